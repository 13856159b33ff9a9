#!/usr/bin/env bash
# A standard Redfish client (DMTF python-redfish-library, from the pinned
# validator virtualenv) updates the BMC firmware and BIOS of a field-mode mock BMC
# of every persona and variant the way each vendor documents (task and job
# following, host resets, StartUpdate, BMC reboots) and reads the versions back.
set -euo pipefail
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
CACHE=${FWFLEET_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fwfleet-ci}
PY="$CACHE/venv/bin/python"
if [ ! -x "$PY" ]; then
    echo "standard-client: no virtualenv at $CACHE/venv; run .ci/conformance.sh first" >&2
    exit 1
fi
BIN=${MOCK_BMC_BIN:-}
if [ -z "$BIN" ]; then
    BIN=$(cd "$REPO" && cargo build --release -p mock-bmc --message-format=json 2>/dev/null \
        | "$PY" -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable") and m["target"]["name"]=="mock-bmc": print(m["executable"])' | tail -1)
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fwfleet-stdclient.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost "$PY" "$SCRIPT_DIR/standard_client.py" "$BIN" "$WORK"
