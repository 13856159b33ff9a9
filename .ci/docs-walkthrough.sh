#!/usr/bin/env bash
# Runs the walkthrough of docs/GUIDE.md for real: the shell block after the
# `<!-- ci: walkthrough` marker, line by line, in a new temporary directory,
# with the release binaries first on PATH. The docs are the script, so the
# docs cannot drift from what the binaries do. Then checks the outcome the
# guide promises: every host compliant, and (by the mock BMCs' own
# counters) no component flashed twice.
#
# Needs `cargo build --release` first (.ci/run does it); CARGO_TARGET_DIR is honoured.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "$repo" && cd "${CARGO_TARGET_DIR:-target}/release" && pwd)
for b in fwfleet mock-bmc; do
    [ -x "$bin/$b" ] || { echo "docs-walkthrough: $bin/$b missing; run cargo build --release first" >&2; exit 2; }
done

script=$(awk '
    /<!-- ci: walkthrough/ { armed = 1; next }
    armed && /^```sh/      { inside = 1; next }
    inside && /^```/       { exit }
    inside                 { print }
' "$repo/docs/GUIDE.md")
[ -n "$script" ] || { echo "docs-walkthrough: no walkthrough block in docs/GUIDE.md" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/fwfleet-walkthrough-XXXXXX")
cleanup() {
    # Only the background jobs this script started (the mock fleet), by id.
    for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export PATH="$bin:$PATH"

echo "docs-walkthrough: running docs/GUIDE.md's walkthrough in $work"
start=$(date +%s)
# `timeout` guards the one loop that waits for the fleet.
while IFS= read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    echo "+ $line"
    case "$line" in
        *'&') eval "${line}" ;;
        'while '*) timeout 60 bash -c "$line" ;;
        *) eval "$line" ;;
    esac
done <<< "$script"

python3 - <<'PY'
import json, sys
plan = json.load(open("plan-after.json"))
s = plan["summary"]
print(f"docs-walkthrough: compliant {s['hosts_compliant']}/{s['hosts']} hosts after apply")
bad = [h["name"] for h in plan["hosts"] if not all(
    st["action"] in ("up-to-date", "newer-than-repository", "no-image", "not-updateable")
    for st in h["steps"]) or not h["ok"]]
if s["hosts"] == 0 or s["hosts_compliant"] != s["hosts"] or bad:
    sys.exit(f"docs-walkthrough: not compliant after the guide's apply: {bad}")
# The mock BMCs count their own flashes: nothing may have been written twice.
import ssl, tomllib, urllib.request
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE  # the mock's own self-signed control plane
fleet = tomllib.load(open("fleet.toml", "rb"))
flashes = 0
for h in fleet["hosts"]:
    st = json.load(urllib.request.urlopen(h["url"] + "/mock/state", context=ctx, timeout=10))
    for c in st["components"]:
        flashes += c["flash_count"]
        if c["flash_count"] > 1:
            sys.exit(f"docs-walkthrough: {h['name']} {c['key']} flashed {c['flash_count']} times")
print(f"docs-walkthrough: {flashes} flashes on {len(fleet['hosts'])} mock BMCs, none repeated")
PY
echo "docs-walkthrough: ok in $(( $(date +%s) - start ))s"
