#!/usr/bin/env bash
# Redfish conformance: runs the DMTF Redfish Service Validator against each mock-bmc persona.
#
# Usage: .ci/conformance.sh [PROFILE[:VARIANT]...]
#
#   PROFILE...            personas to check; default: $PROFILES, else "generic"
#                         e.g. .ci/conformance.sh generic openbmc idrac ilo supermicro xcc
#                         A persona without :VARIANT also brings its variants (ilo:legacy,
#                         ilo:apollo, xcc:ami, generic:legacy-layout) unless CONFORMANCE_VARIANTS=0.
#
# For each persona (and variant) it starts `mock-bmc serve --count 1 --profile P [--variant V]
# --behaviour B` and validates it, for each behaviour B in $CONFORMANCE_BEHAVIOURS:
#   http-session   plain HTTP, validator logs in with a Redfish session (--authtype Session)
#   https-basic    --tls (self-signed), validator uses HTTP Basic auth (--authtype Basic)
#   after-update   field only, plain HTTP + session: first an update is left in flight the
#                  way the vendor runs it (a staged BIOS: tasks, Dell jobs, staged and
#                  Available- entries, iLO Oem.Hpe results, Supermicro's Verify task and
#                  update mode), then the validator walks the tree with all of that in it
# and prints `conformance P[:V] B <pass>: pass=N warn=N fail=N (...)`. Exit status is non-zero
# if any pass has a FAIL, the validator errored, checked nothing, or the mock did not come up.
#
# Environment (all optional):
#   PROFILES              space-separated persona list (used when no arguments are given)
#   CONFORMANCE_PASSES    passes for the field behaviour; default "http-session https-basic after-update"
#   CONFORMANCE_IDEAL_PASSES passes for the ideal behaviour; default "http-session"
#   CONFORMANCE_BEHAVIOURS behaviours to check; default "field ideal"
#   CONFORMANCE_VARIANTS  1 (default): add each persona's variants; 0: only what is named
#   MOCK_BMC_BIN          prebuilt mock-bmc binary; otherwise `cargo build --release -p mock-bmc`
#                         (honours CARGO_TARGET_DIR and cargo config)
#   FWFLEET_CI_CACHE      cache dir for the validator virtualenv; default ~/.cache/fwfleet-ci
#   CONFORMANCE_WORKDIR   logs, reports and schema copy; default ${TMPDIR:-/tmp}/fwfleet-validator
#   REDFISH_CSDL_DIR      CSDL source; default <repo>/../shared/redfish/csdl (DSP8010 2025.4)
#   FWFLEET_CI_PYTHON     python (>= 3.11) used to create the virtualenv; default python3.11/python3
#   MOCK_READY_TIMEOUT    seconds to wait for the mock's `ready N` line; default 60
#   VALIDATOR_RUN_TIMEOUT seconds one validator run may take; default 1200
#   VALIDATOR_EXTRA_ARGS  extra arguments for rf_service_validator (word-split)
#   CONFORMANCE_SHOW_WARN 1: also print every WARN line (default: only a per-class tally)
#
# Everything it writes lives outside the checkout. All traffic goes to 127.0.0.1 only; it never
# runs the DMTF protocol validator (that one sends SSDP multicast) and never lets the service
# validator download schemas (--skipschema with a local copy of the CSDL).
set -euo pipefail

t_start=$(date +%s)
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
REQ_FILE="$SCRIPT_DIR/validator-requirements.txt"
CACHE=${FWFLEET_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fwfleet-ci}
WORK=${CONFORMANCE_WORKDIR:-${TMPDIR:-/tmp}/fwfleet-validator}
CSDL_SRC=${REDFISH_CSDL_DIR:-$REPO/../shared/redfish/csdl}
PASSES=${CONFORMANCE_PASSES:-http-session https-basic after-update}
IDEAL_PASSES=${CONFORMANCE_IDEAL_PASSES:-http-session}
BEHAVIOURS=${CONFORMANCE_BEHAVIOURS:-field ideal}
READY_TIMEOUT=${MOCK_READY_TIMEOUT:-60}
RUN_TIMEOUT=${VALIDATOR_RUN_TIMEOUT:-1200}
MOCK_USER=admin
if [ "$#" -gt 0 ]; then
    NAMED="$*"
else
    NAMED=${PROFILES:-generic}
fi
PROFILE_LIST=""
for p in $NAMED; do
    PROFILE_LIST="$PROFILE_LIST $p"
    if [ "${CONFORMANCE_VARIANTS:-1}" = 1 ] && [ "${p#*:}" = "$p" ]; then
        case "$p" in
            ilo) PROFILE_LIST="$PROFILE_LIST ilo:legacy ilo:apollo" ;;
            xcc) PROFILE_LIST="$PROFILE_LIST xcc:ami" ;;
            generic) PROFILE_LIST="$PROFILE_LIST generic:legacy-layout" ;;
        esac
    fi
done
PROFILE_LIST=${PROFILE_LIST# }

log() { printf '%s\n' "conformance: $*"; }
die() { printf '%s\n' "conformance: error: $*" >&2; exit 2; }

# --- where things go: never inside the checkout --------------------------------------------
mkdir -p -- "$CACHE" "$WORK"
CACHE=$(cd -- "$CACHE" && pwd -P)
WORK=$(cd -- "$WORK" && pwd -P)
for d in "$CACHE" "$WORK"; do
    case "$d/" in
        "$REPO"/*) die "$d is inside the checkout $REPO; set FWFLEET_CI_CACHE / CONFORMANCE_WORKDIR elsewhere" ;;
        /) die "refusing to use / as a work directory" ;;
    esac
done

# --- the one mock process we run at a time; stopped on any exit ------------------------------
MOCK_PID=""
stop_mock() {
    local pid=$MOCK_PID i
    [ -n "$pid" ] || return 0
    MOCK_PID=""
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
    wait "$pid" 2>/dev/null || true
}
trap stop_mock EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. validator virtualenv (rebuilt only when the pinned requirements change) ----------------
[ -f "$REQ_FILE" ] || die "missing $REQ_FILE"
PY=${FWFLEET_CI_PYTHON:-}
if [ -z "$PY" ]; then
    if command -v python3.11 >/dev/null 2>&1; then PY=python3.11; else PY=python3; fi
fi
command -v "$PY" >/dev/null 2>&1 || die "python not found ($PY); need CPython >= 3.11 with venv and pip"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    die "$PY is $("$PY" -c 'import sys; print(sys.version.split()[0])'); need >= 3.11 (tomllib)"

VENV="$CACHE/venv"
STAMP="$VENV/.fwfleet-requirements.sha256"
want_stamp="$(sha256sum <"$REQ_FILE" | cut -d' ' -f1) $("$PY" -c 'import sys; print(sys.version.split()[0])')"
t0=$(date +%s)
if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/venv.lock"
    flock 9
fi
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want_stamp" ] ||
    ! "$VENV/bin/python" -c 'import redfish_service_validator' >/dev/null 2>&1; then
    log "installing validator into $VENV"
    rm -f -- "$STAMP"
    "$PY" -m venv --clear "$VENV"
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
        "$VENV/bin/python" -m pip install --quiet --requirement "$REQ_FILE" </dev/null
    printf '%s\n' "$want_stamp" >"$STAMP"
fi
if command -v flock >/dev/null 2>&1; then exec 9>&-; fi
VPY="$VENV/bin/python"
VALIDATOR="$VENV/bin/rf_service_validator"
[ -x "$VALIDATOR" ] || die "$VALIDATOR missing after install"
VALIDATOR_VERSION=$("$VPY" -c 'from importlib.metadata import version; print(version("redfish_service_validator"))')
log "redfish-service-validator $VALIDATOR_VERSION ready ($(($(date +%s) - t0))s)"

# Helper code (fleet file, certificate, OEM CSDL, result parsing), run with the venv's python.
HELPER="$WORK/conformance_helper.py"
cat >"$HELPER" <<'PYEOF'
import glob, hashlib, ipaddress, os, re, shlex, socket, ssl, sys, tomllib
from urllib.parse import urlsplit


def q(v):
    return shlex.quote(str(v))


def fleet(path, scheme):
    """Print shell assignments for the first host of a mock fleet file."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    hosts = data.get("hosts") or []
    if not hosts:
        sys.exit("fleet file {} has no [[hosts]]".format(path))
    h = hosts[0]
    for key in ("name", "url", "username", "password"):
        if not isinstance(h.get(key), str) or not h[key]:
            sys.exit("fleet file {}: host 0 lacks '{}'".format(path, key))
    url = h["url"].rstrip("/")
    u = urlsplit(url)
    if u.scheme != scheme:
        sys.exit("fleet file url {} is not {}://".format(url, scheme))
    host = u.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback or not u.port:
        sys.exit("fleet file url {} is not a loopback address with a port".format(url))
    print("H_NAME={} H_URL={} H_USER={} H_PASS={} H_HOST={} H_PORT={} H_FP={}".format(
        q(h["name"]), q(url), q(h["username"]), q(h["password"]), q(host), q(u.port),
        q(h.get("tls_fingerprint_sha256", ""))))


def certfp(host, port, expected):
    """Compare the served certificate's SHA-256 with the fleet file's tls_fingerprint_sha256."""
    pem = ssl.get_server_certificate((host, int(port)), timeout=10)
    got = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()
    norm = expected.replace(":", "").replace(" ", "").lower()
    if norm.startswith("sha256"):
        norm = norm[6:].lstrip("=/")
    if not expected:
        sys.exit("fleet file has no tls_fingerprint_sha256 for the TLS host")
    if norm != got:
        sys.exit("tls_fingerprint_sha256 {} != SHA-256 of the served certificate {}".format(expected, got))


def oem_schemas(url, user, password, base_dir, out_dir):
    """Fetch CSDL the mock serves itself (service-relative Reference Uri in $metadata) that is not
    in the DMTF set. Builds out_dir = base + those files; prints how many were added."""
    import warnings
    import requests
    import xml.etree.ElementTree as ET
    warnings.filterwarnings("ignore")
    s = requests.Session()
    s.trust_env = False  # loopback only: never through a proxy
    r = s.get(url + "/redfish/v1/$metadata", verify=False, timeout=30)
    if r.status_code == 401:
        r = s.get(url + "/redfish/v1/$metadata", verify=False, timeout=30, auth=(user, password))
    if r.status_code != 200:
        print(0)
        print("$metadata: HTTP {}".format(r.status_code), file=sys.stderr)
        return
    root = ET.fromstring(r.content)
    have = set(os.listdir(base_dir))
    wanted = []
    for ref in root:
        uri = ref.attrib.get("Uri", "") if ref.tag.endswith("Reference") else ""
        name = uri.split("/")[-1]
        if uri.startswith("/") and name.endswith(".xml") and name not in have:
            wanted.append((uri, name))
    if not wanted:
        print(0)
        return
    os.makedirs(out_dir, exist_ok=True)
    for name in have:
        os.symlink(os.path.join(base_dir, name), os.path.join(out_dir, name))
    n = 0
    for uri, name in wanted:
        r = s.get(url + uri, verify=False, timeout=30, auth=(user, password))
        if r.status_code == 200:
            with open(os.path.join(out_dir, name), "wb") as f:
                f.write(r.content)
            n += 1
        else:
            print("{}: HTTP {}".format(uri, r.status_code), file=sys.stderr)
    print(n)


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
RESULT = re.compile(r"^(/\S*) \((.*?)\): (.*)$")  # "<property path> (<value>): <message>"
MAX_GROUPS = 60
LOGLINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ - (\S+) - (DEBUG|INFO|WARNING|ERROR|CRITICAL) - (.*)$")


def summarize(pass_dir, rc, show_warn):
    """Read the validator's console output and debug log; write summary.env and findings.txt."""
    rc = int(rc)
    out = ANSI.sub("", open(os.path.join(pass_dir, "validator.out"), errors="replace").read())
    counts = None
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if "PASS" in line and "WARN" in line and "FAIL" in line and "NOT TESTED" in line:
            for nxt in lines[i + 1:i + 4]:
                nums = re.findall(r"\|\s*(\d+)\s*(?=\|)", nxt)
                if len(nums) == 4:
                    counts = [int(n) for n in nums]
                    break
    logs = sorted(glob.glob(os.path.join(pass_dir, "report", "*", "RedfishServiceValidatorDebug_*.log")))
    reports = sorted(glob.glob(os.path.join(pass_dir, "report", "*", "*.html")))
    uri = "(service)"
    resources = 0
    results = []  # (kind, uri, text)
    prev = None
    if logs:
        for raw in open(logs[-1], errors="replace"):
            raw = raw.rstrip("\n")
            m = LOGLINE.match(raw)
            if not m:
                if prev is not None and raw.strip():
                    prev[2] += " " + raw.strip()
                continue
            name, level, msg = m.groups()
            prev = None
            if name != "redfish":
                continue  # the HTTP library's own chatter
            v = re.match(r"^Validating (.+)\.\.\.$", msg)
            if v:
                uri = v.group(1)
                resources += 1
            elif level == "ERROR" and msg.startswith("FAIL - "):
                prev = ["FAIL", uri, msg[7:]]
                results.append(prev)
            elif level == "WARNING" and msg.startswith("WARN - "):
                prev = ["WARN", uri, msg[7:]]
                results.append(prev)
            elif level == "CRITICAL":
                prev = ["CRITICAL", uri, msg.strip()]
                results.append(prev)
    status, reason = "ok", ""
    if counts is None:
        status = "error"
        reason = "validator printed no results table (exit {})".format(rc)
        if rc == 124:
            reason = "validator timed out"
        counts = [0, 0, 0, 0]
    p, w, f, s = counts
    if status == "ok":
        if rc != 0 and f == 0:
            status, reason = "error", "validator exited {} without FAILs".format(rc)
        elif p == 0 or resources == 0:
            status, reason = "error", "validator checked nothing (resources={}, pass={})".format(resources, p)
        elif f > 0:
            status, reason = "fail", "{} FAIL result(s)".format(f)
    warn_classes = {}
    groups = {}  # (kind, prop, message) -> [(uri, value)], in order of first appearance
    for kind, u, text in results:
        m = RESULT.match(text)
        prop, value, msg = (m.group(1), m.group(2), m.group(3)) if m else ("", None, text)
        if kind == "WARN":
            cls = msg.split(":")[0]
            warn_classes[cls] = warn_classes.get(cls, 0) + 1
        groups.setdefault((kind, prop, msg), []).append((u, value))
    shown = ("FAIL",) + (("WARN",) if show_warn else ()) + (("CRITICAL",) if status == "error" else ())
    with open(os.path.join(pass_dir, "findings.txt"), "w") as fo:
        n = 0
        for (kind, prop, msg), where in groups.items():
            if kind not in shown:
                continue
            n += 1
            if n > MAX_GROUPS:
                fo.write("    ... {} more distinct findings: see {}\n".format(
                    sum(1 for k in groups if k[0] in shown) - MAX_GROUPS, os.path.join(pass_dir, "findings-full.txt")))
                break
            if len(where) == 1:
                u, value = where[0]
                what = "{} ({})".format(prop, value) if prop else ""
                fo.write("    {} {} {}{}{}\n".format(kind, u, what, ": " if what else "", msg))
            else:
                uris = []
                for u, _ in where:
                    if u not in uris:
                        uris.append(u)
                fo.write("    {} x{} {}{}{}\n".format(kind, len(where), prop, ": " if prop else "", msg))
                fo.write("        at {}{}\n".format(", ".join(uris[:4]), " and {} more".format(len(uris) - 4) if len(uris) > 4 else ""))
        if not results and status == "error":
            tail = [l for l in lines if l.strip()][-15:]
            fo.write("    last validator output:\n")
            fo.writelines("      {}\n".format(l) for l in tail)
    with open(os.path.join(pass_dir, "findings-full.txt"), "w") as fo:
        last = None
        for kind, u, text in results:
            if u != last:
                fo.write("{}\n".format(u))
                last = u
            fo.write("    {:8} {}\n".format(kind, text))
    with open(os.path.join(pass_dir, "summary.env"), "w") as fo:
        fo.write("S_PASS={} S_WARN={} S_FAIL={} S_SKIP={} S_RESOURCES={} S_STATUS={} S_REASON={} S_REPORT={} S_LOG={} S_WARN_CLASSES={}\n".format(
            p, w, f, s, resources, q(status), q(reason), q(reports[-1] if reports else ""),
            q(logs[-1] if logs else ""),
            q(", ".join("{} x{}".format(k, v) for k, v in sorted(warn_classes.items(), key=lambda kv: -kv[1])))))


def artifact(path, name):
    """Find the executable of bin target `name` in cargo --message-format=json output."""
    import json
    exe = None
    for line in open(path):
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") \
                and msg.get("target", {}).get("name") == name and "bin" in msg["target"].get("kind", []):
            exe = msg["executable"]
    if not exe:
        sys.exit("cargo reported no executable for bin target {}".format(name))
    print(exe)


def update_first(url, user, password, mock_bin, work, fleet):
    """Leave an update in flight the way the persona's vendor runs it: a newer BIOS image
    staged for the next host reset (Supermicro: uploaded and verified, waiting for
    StartUpdate), plus a finished NIC update where the persona completes one without a
    reset. Waits until /mock/state shows it; prints what it left."""
    import http.server, json, subprocess, threading, time, warnings
    import requests
    warnings.filterwarnings("ignore")
    s = requests.Session()
    s.trust_env = False
    s.auth = (user, password)
    s.verify = False

    def state():
        return s.get(url + "/mock/state", timeout=10).json()

    st = state()
    persona, variant, model = st["persona"], st.get("variant", "standard"), st["model"]
    bios = next(c for c in st["components"] if c["kind"] == "bios" and c["role"] == "active")
    os.makedirs(work, exist_ok=True)
    name = "bios.signed.flash" if persona == "ilo" else "bios.img"
    path = os.path.join(work, name)
    # A version the mock's own style makes newer: make-images computes it from the fleet.
    subprocess.run([mock_bin, "make-images", "--fleet", fleet, "--out", work, "--components", "bios"],
                   check=True, stdout=subprocess.DEVNULL)
    spec = json.load(open(os.path.join(work, "images.json")))[0]
    os.replace(os.path.join(work, spec["file"]), path)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                          lambda *a, **k: Quiet(*a, directory=work, **k))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    image_url = "http://127.0.0.1:{}/{}".format(srv.server_address[1], name)
    us = s.get(url + "/redfish/v1/UpdateService", timeout=10).json()
    if persona == "supermicro":
        params = {"Targets": ["/redfish/v1/Systems/1/Bios"], "@Redfish.OperationApplyTime": "OnStartUpdateRequest",
                  "Oem": {"Supermicro": {"BIOS": {"PreserveME": True, "PreserveNVRAM": True, "PreserveSMBIOS": True}}}}
        files = {"UpdateParameters": (None, json.dumps(params), "application/json"),
                 "UpdateFile": (name, open(path, "rb"), "application/octet-stream")}
        r = s.post(url + us["MultipartHttpPushUri"], files=files, timeout=60)
    else:
        body = {"ImageURI": image_url}
        if persona != "ilo":
            body["@Redfish.OperationApplyTime"] = "OnReset"
        r = s.post(url + us["Actions"]["#UpdateService.SimpleUpdate"]["target"], json=body, timeout=60)
    if r.status_code not in (200, 202):
        sys.exit("update before validation: HTTP {} {}".format(r.status_code, r.text[:300]))
    deadline = time.time() + 60
    while True:
        f = state()["field"]
        if f["staged_for_host_reset"] or f["update_mode"] or f["hpe_state"] == "Complete":
            break
        if time.time() > deadline:
            sys.exit("update before validation: nothing staged after 60 s: {}".format(json.dumps(f)[:400]))
        time.sleep(0.1)
    srv.shutdown()
    tasks = s.get(url + "/redfish/v1/TaskService/Tasks", timeout=10).json()["Members@odata.count"]
    print("{} {}: staged BIOS {} (tasks {}, jobs {})".format(persona, variant, spec["version"], tasks,
                                                           len(state()["field"]["jobs"])))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "summarize":
        summarize(args[0], args[1], args[2] == "1")
    else:
        {"fleet": fleet, "certfp": certfp, "oem-schemas": oem_schemas, "artifact": artifact,
         "update-first": update_first}[cmd](*args)
PYEOF

# --- 2. schema directory: a copy of the DMTF CSDL, used with --skipschema -----------------------
[ -d "$CSDL_SRC" ] || die "CSDL directory $CSDL_SRC not found (expected shared/ beside the checkout, or set REDFISH_CSDL_DIR)"
SCHEMAS="$WORK/schemas/dsp8010"
rm -rf -- "$WORK/schemas"
mkdir -p -- "$SCHEMAS"
cp -- "$CSDL_SRC"/*.xml "$SCHEMAS"/
n_xml=$(find "$SCHEMAS" -maxdepth 1 -name '*.xml' | wc -l)
[ -f "$SCHEMAS/ServiceRoot_v1.xml" ] || die "$CSDL_SRC has no ServiceRoot_v1.xml; not a DSP8010 CSDL folder"
log "schemas: $n_xml CSDL files from $CSDL_SRC -> $SCHEMAS"

# --- 3. the mock --------------------------------------------------------------------------------
if [ -n "${MOCK_BMC_BIN:-}" ]; then
    MOCK=$MOCK_BMC_BIN
    [ -x "$MOCK" ] || die "MOCK_BMC_BIN=$MOCK is not an executable file"
else
    t0=$(date +%s)
    log "building mock-bmc (cargo build --release -p mock-bmc)"
    (cd -- "$REPO" && cargo build --release -p mock-bmc --message-format=json-render-diagnostics </dev/null) \
        >"$WORK/cargo-build.json"
    MOCK=$("$VPY" "$HELPER" artifact "$WORK/cargo-build.json" mock-bmc)
    log "built $MOCK ($(($(date +%s) - t0))s)"
fi

# Starts the mock; sets MOCK_PID or returns 1 with the reason in $pass_dir/error.txt.
start_mock() {
    local profile=$1 tls=$2 pass_dir=$3 password=$4 behaviour=$5 i rc
    local persona=${profile%%:*} variant=standard
    [ "$persona" != "$profile" ] && variant=${profile#*:}
    local -a args=(serve --count 1 --profile "$persona" --variant "$variant" --behaviour "$behaviour"
        --username "$MOCK_USER" --password="$password" --fleet-out "$pass_dir/fleet.toml")
    # Field updates at ÷600, so the after-update pass does not wait minutes.
    [ "$behaviour" = field ] && args+=(--time-scale 600)
    [ "$tls" = 1 ] && args+=(--tls)
    "$MOCK" "${args[@]}" </dev/null >"$pass_dir/mock.stdout" 2>"$pass_dir/mock.stderr" &
    MOCK_PID=$!
    for i in $(seq $((READY_TIMEOUT * 10))); do
        if grep -Eq '^ready [0-9]+' "$pass_dir/mock.stdout"; then
            [ -s "$pass_dir/fleet.toml" ] && return 0
        fi
        if ! kill -0 "$MOCK_PID" 2>/dev/null; then
            wait "$MOCK_PID" 2>/dev/null && rc=0 || rc=$?
            echo "mock-bmc exited with status $rc before printing 'ready'" >"$pass_dir/error.txt"
            return 1
        fi
        sleep 0.1
    done
    echo "mock-bmc printed no 'ready N' line with a fleet file within ${READY_TIMEOUT}s" >"$pass_dir/error.txt"
    return 1
}

# --- 4. validator passes ------------------------------------------------------------------------
n_ok=0
n_bad=0
SUMMARY=()
run_pass() {
    local profile=$1 pass=$2 behaviour=$3 scheme tls authtype pass_dir password rc t0 schemas n_oem
    case "$pass" in
        http-session | after-update) scheme=http tls=0 authtype=Session ;;
        https-basic) scheme=https tls=1 authtype=Basic ;;
        *) die "unknown pass '$pass' (known: http-session https-basic after-update)" ;;
    esac
    [ "$pass" = after-update ] && [ "$behaviour" != field ] && die "after-update runs in field behaviour only"
    t0=$(date +%s)
    pass_dir="$WORK/${profile/:/-}-$behaviour-$pass"
    rm -rf -- "$pass_dir"
    mkdir -p -- "$pass_dir"
    password=$("$VPY" -c 'import secrets; print(secrets.token_hex(16))')
    local label="conformance $profile $behaviour $pass"

    local H_NAME H_URL H_USER H_PASS H_HOST H_PORT H_FP fleet_vars
    if ! start_mock "$profile" "$tls" "$pass_dir" "$password" "$behaviour" ||
        ! fleet_vars=$("$VPY" "$HELPER" fleet "$pass_dir/fleet.toml" "$scheme" 2>"$pass_dir/error.txt"); then
        stop_mock
        printf '%s: ERROR mock-bmc did not start: %s\n' "$label" "$(cat "$pass_dir/error.txt")"
        sed -n '1,40p' "$pass_dir/mock.stderr" | sed 's/^/    mock stderr: /'
        n_bad=$((n_bad + 1))
        SUMMARY+=("$label: ERROR (mock did not start)")
        return 0
    fi
    eval "$fleet_vars"
    [ "$H_PASS" = "$password" ] || log "note: fleet file password differs from --password for $profile"

    local extra_err=""
    if [ "$tls" = 1 ] && ! "$VPY" "$HELPER" certfp "$H_HOST" "$H_PORT" "$H_FP" 2>"$pass_dir/certfp.txt"; then
        extra_err="fleet file vs certificate: $(tail -n1 "$pass_dir/certfp.txt")"
    fi

    if [ "$pass" = after-update ] &&
        ! "$VPY" "$HELPER" update-first "$H_URL" "$H_USER" "$H_PASS" "$MOCK" "$pass_dir/update" \
            "$pass_dir/fleet.toml" >"$pass_dir/update.txt" 2>&1; then
        extra_err="update before validation failed: $(tail -n1 "$pass_dir/update.txt")"
    fi
    [ -s "$pass_dir/update.txt" ] && sed 's/^/    update: /' "$pass_dir/update.txt"

    # CSDL the mock serves itself (OEM schemas referenced from its $metadata), if any.
    schemas=$SCHEMAS
    n_oem=$("$VPY" "$HELPER" oem-schemas "$H_URL" "$H_USER" "$H_PASS" "$SCHEMAS" "$pass_dir/schemas" \
        2>"$pass_dir/oem-schemas.txt") || n_oem=0
    if [ "${n_oem:-0}" -gt 0 ]; then
        schemas="$pass_dir/schemas"
    fi

    rc=0
    (
        cd -- "$pass_dir"
        # shellcheck disable=SC2086 # VALIDATOR_EXTRA_ARGS is word-split on purpose
        NO_PROXY=127.0.0.1,localhost,::1 no_proxy=127.0.0.1,localhost,::1 PYTHONWARNINGS=ignore \
            timeout --kill-after=30 "$RUN_TIMEOUT" "$VALIDATOR" \
            --config "$pass_dir/no-such-config.ini" \
            --rhost "$H_URL" --user "$H_USER" --password "$H_PASS" --authtype "$authtype" \
            --skipschema --schema_directory "$schemas" --logdir "$pass_dir/report" \
            ${VALIDATOR_EXTRA_ARGS:-} </dev/null
    ) >"$pass_dir/validator.out" 2>&1 || rc=$?
    stop_mock

    "$VPY" "$HELPER" summarize "$pass_dir" "$rc" "${CONFORMANCE_SHOW_WARN:-0}"
    local S_PASS S_WARN S_FAIL S_SKIP S_RESOURCES S_STATUS S_REASON S_REPORT S_LOG S_WARN_CLASSES
    # shellcheck disable=SC1091
    . "$pass_dir/summary.env"
    if [ -n "$extra_err" ] && [ "$S_STATUS" = ok ]; then
        S_STATUS=fail S_REASON=$extra_err
    fi
    local line="$label: pass=$S_PASS warn=$S_WARN fail=$S_FAIL"
    local detail="not-tested=$S_SKIP resources=$S_RESOURCES oem-csdl=${n_oem:-0} $(($(date +%s) - t0))s"
    if [ "$S_STATUS" = ok ]; then
        printf '%s (%s)\n' "$line" "$detail"
        n_ok=$((n_ok + 1))
        SUMMARY+=("$line")
    else
        printf '%s (%s) -- %s: %s\n' "$line" "$detail" "$(tr '[:lower:]' '[:upper:]' <<<"$S_STATUS")" "$S_REASON"
        [ -n "$extra_err" ] && printf '    %s\n' "$extra_err"
        cat "$pass_dir/findings.txt"
        printf '    report: %s\n    log:    %s\n    all findings by resource: %s\n' \
            "${S_REPORT:-none}" "${S_LOG:-none}" "$pass_dir/findings-full.txt"
        n_bad=$((n_bad + 1))
        SUMMARY+=("$line -- $(tr '[:lower:]' '[:upper:]' <<<"$S_STATUS")")
    fi
    [ -n "$S_WARN_CLASSES" ] && printf '    warnings: %s\n' "$S_WARN_CLASSES"
    if [ "${CONFORMANCE_SHOW_WARN:-0}" = 1 ] && [ "$S_STATUS" = ok ]; then cat "$pass_dir/findings.txt"; fi
    return 0
}

log "profiles: $PROFILE_LIST; behaviours: $BEHAVIOURS (field: $PASSES; ideal: $IDEAL_PASSES); logs: $WORK"
for profile in $PROFILE_LIST; do
    for behaviour in $BEHAVIOURS; do
        passes=$PASSES
        [ "$behaviour" = ideal ] && passes=$IDEAL_PASSES
        for pass in $passes; do
            run_pass "$profile" "$pass" "$behaviour"
        done
    done
done

echo
for s in "${SUMMARY[@]+"${SUMMARY[@]}"}"; do echo "$s"; done
log "validator $VALIDATOR_VERSION, total $(($(date +%s) - t_start))s"
echo "conformance: $n_ok passed, $n_bad failed"
[ "$n_bad" -eq 0 ] && [ "$n_ok" -gt 0 ]
