"""A standard Redfish client that knows nothing of fwfleet updates mock BMCs.

Uses DMTF's python-redfish-library (PyPI `redfish`) only. For every persona and
variant it starts a mock BMC in `field` behaviour and updates its BMC firmware
and its BIOS the way that vendor's documentation tells a client to, then reads
the new versions back:

  generic   SimpleUpdate, follow the task; BIOS OnReset: the task's
            Base.ResetRequired names the reset to POST; wait for POST
  openbmc   multipart push (bmcweb stages: task Stopping), Manager.Reset /
            ComputerSystem.Reset
  idrac     multipart push to MultipartUpload with "Oem": {}; BIOS job waits
            Scheduled until the host is reset; iDRAC firmware: the task goes
            away with the iDRAC reboot, the job queue (JobService/Jobs) has the end
  ilo       SimpleUpdate of a .bin / .signed.flash, progress in
            UpdateService.Oem.Hpe; the System ROM needs a host reset
            (Oem.Hpe.Result SystemResetRequired); `legacy`: no task at all
  supermicro  upload (OnStartUpdateRequest + Oem.Supermicro preserve flags),
            wait for the Verify task, UpdateService.StartUpdate, wait for the
            Update task and the BMC reboot; BIOS: then a host reset
  xcc       standard multipart push; `ami`: OemParameters FlashType part
  generic legacy-layout: SimpleUpdate, versions read from SoftwareInventory

Usage: standard_client.py MOCK_BMC_BIN WORKDIR [PERSONA[:VARIANT]...]
"""

import http.server
import json
import os
import secrets
import subprocess
import sys
import threading
import time

import redfish

mock_bin, work = sys.argv[1], sys.argv[2]
targets = sys.argv[3:] or ["generic", "generic:legacy-layout", "openbmc", "idrac", "ilo",
                           "ilo:legacy", "supermicro", "xcc", "xcc:ami"]
DEADLINE = 120


class Fail(Exception):
    pass


def wait(what, probe, deadline=DEADLINE):
    end = time.time() + deadline
    while True:
        try:
            v = probe()
        except Exception:  # the BMC may be rebooting: refused connections, 401s
            v = None
        if v:
            return v
        if time.time() > end:
            raise Fail(f"timed out waiting for {what}")
        time.sleep(0.1)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Bmc:
    """One mock BMC process and a python-redfish-library client to it."""

    def __init__(self, persona, variant, wd):
        self.persona, self.variant, self.wd = persona, variant, wd
        os.makedirs(wd, exist_ok=True)
        self.password = secrets.token_hex(8)
        self.fleet = os.path.join(wd, "fleet.toml")
        self.proc = subprocess.Popen(
            [mock_bin, "serve", "--count", "1", "--profile", persona, "--variant", variant,
             "--behaviour", "field", "--time-scale", "600", "--password", self.password,
             "--fleet-out", self.fleet], stdout=subprocess.PIPE, text=True)
        for line in self.proc.stdout:
            if line.startswith("ready "):
                break
        else:
            raise Fail("mock-bmc exited before ready")
        self.url = next(l.split('"')[1] for l in open(self.fleet) if l.startswith("url ="))
        if not self.url.startswith("http://127.0.0.1:"):
            raise Fail(f"refusing non-loopback url {self.url}")
        self.client = None
        self.connect()
        root = self.get("/redfish/v1")
        self.system = self.get(root["Systems"]["@odata.id"])["Members"][0]["@odata.id"]
        self.manager = self.get(root["Managers"]["@odata.id"])["Members"][0]["@odata.id"]
        self.us = self.get(root["UpdateService"]["@odata.id"])

    def connect(self):
        """Log in (again: a BMC reboot ends every session)."""
        def login():
            c = redfish.redfish_client(base_url=self.url, username="admin",
                                       password=self.password, max_retry=1, timeout=10)
            c.login(auth="session")
            return c
        self.client = wait("a session", login)

    def get(self, uri):
        r = self.client.get(uri)
        if r.status == 401:
            self.connect()
            r = self.client.get(uri)
        if r.status != 200:
            raise Fail(f"GET {uri}: {r.status} {r.text[:200]}")
        return r.dict

    def post(self, uri, body, headers=None):
        return self.client.post(uri, body=body, headers=headers)

    def close(self):
        try:
            self.client.logout()
        except Exception:
            pass
        self.proc.kill()
        self.proc.wait()

    # -- inventory ---------------------------------------------------------------------------
    def inventory_uri(self):
        if "FirmwareInventory" in self.us:
            return self.us["FirmwareInventory"]["@odata.id"]
        return self.us["SoftwareInventory"]["@odata.id"]

    def versions(self):
        out = {}
        for m in self.get(self.inventory_uri())["Members"]:
            item = self.get(m["@odata.id"])
            out[item["Id"]] = item.get("Version")
        return out

    def running(self, kind):
        """The running version: Manager FirmwareVersion, ComputerSystem BiosVersion."""
        if kind == "bmc":
            return self.get(self.manager)["FirmwareVersion"]
        return self.get(self.system)["BiosVersion"]

    # -- images ------------------------------------------------------------------------------
    def images(self):
        out = os.path.join(self.wd, "images")
        subprocess.run([mock_bin, "make-images", "--fleet", self.fleet, "--out", out,
                        "--components", "bios,bmc"], check=True, stdout=subprocess.DEVNULL)
        specs = {s["component"]: s for s in json.load(open(os.path.join(out, "images.json")))}
        srv = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), lambda *a, **k: Quiet(*a, directory=out, **k))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.server = srv
        base = f"http://127.0.0.1:{srv.server_address[1]}"
        imgs = {}
        for kind, s in specs.items():
            name = s["file"]
            if self.persona == "ilo":
                # iLO's SimpleUpdate flashes iLO .bin and UEFI .signed.flash files only.
                name = s["file"] + (".bin" if kind == "bmc" else ".signed.flash")
                os.replace(os.path.join(out, s["file"]), os.path.join(out, name))
            imgs[kind] = (os.path.join(out, name), f"{base}/{name}", s["version"])
        return imgs

    # -- tasks -------------------------------------------------------------------------------
    def task_of(self, resp):
        """The task a 202 names: Location, body @odata.id, or Supermicro's MessageArgs."""
        if resp.status not in (200, 202):
            raise Fail(f"update request: {resp.status} {resp.text[:300]}")
        body = resp.dict if resp.text else {}
        for info in (body.get("Accepted") or {}).get("@Message.ExtendedInfo", []):
            for a in info.get("MessageArgs", []):
                if "/TaskService/Tasks/" in a:
                    return a
        if body.get("@odata.id", "").find("/TaskService/Tasks/") >= 0:
            return body["@odata.id"]
        return resp.getheader("Location")

    def task_state(self, uri):
        r = self.client.get(uri)
        if r.status == 404:
            return "gone", {}
        if r.status == 401:
            self.connect()
            return "?", {}
        return r.dict.get("TaskState"), r.dict

    def wait_task(self, uri, states):
        return wait(f"{uri} in {states}", lambda: (lambda s: s if s[0] in states else None)(
            self.task_state(uri)))

    def reset_host(self):
        r = self.post(f"{self.system}/Actions/ComputerSystem.Reset", {"ResetType": "ForceRestart"})
        if r.status not in (200, 202, 204):
            raise Fail(f"ComputerSystem.Reset: {r.status} {r.text[:200]}")
        wait("POST to finish", lambda: self.get(self.system).get("BootProgress", {}).get(
            "LastState") == "OSRunning")

    def reset_bmc(self):
        self.post(f"{self.manager}/Actions/Manager.Reset", {"ResetType": "GracefulRestart"})

    def await_reboot(self, kind, version):
        """A BMC update ends with the BMC rebooting: log in again, read the version."""
        wait(f"the BMC back with {version}", lambda: self.reconnect_and(kind) == version)

    def reconnect_and(self, kind):
        try:
            return self.running(kind)
        except Exception:
            self.connect()
            return self.running(kind)

    def multipart(self, params, path, extra=None):
        with open(path, "rb") as f:
            data = f.read()
        body = {"UpdateParameters": (None, json.dumps(params), "application/json"),
                "UpdateFile": (os.path.basename(path), data, "application/octet-stream")}
        body.update(extra or {})
        return self.post(self.us["MultipartHttpPushUri"], body,
                         headers={"Content-Type": "multipart/form-data"})

    def simple(self, url, apply_time=None):
        body = {"ImageURI": url, "TransferProtocol": "HTTP"}
        if apply_time:
            body["@Redfish.OperationApplyTime"] = apply_time
        return self.post(self.us["Actions"]["#UpdateService.SimpleUpdate"]["target"], body)

    def hpe(self):
        return self.get("/redfish/v1/UpdateService").get("Oem", {}).get("Hpe", {})


def update(b, kind, img):
    path, url, version = img
    p, v = b.persona, b.variant
    if p == "generic":
        if kind == "bmc":
            b.wait_task(b.task_of(b.simple(url)), ["Completed", "gone"])
            b.await_reboot(kind, version)
        else:
            task = b.task_of(b.simple(url, "OnReset"))
            _, t = b.wait_task(task, ["Pending"])
            reset = next(m for m in t["Messages"] if m["MessageId"].endswith(".ResetRequired"))
            r = b.post(reset["MessageArgs"][0], {"ResetType": reset["MessageArgs"][1]})
            if r.status != 200:
                raise Fail(f"ResetRequired reset: {r.status}")
            b.wait_task(task, ["Completed"])
    elif p == "openbmc":
        task = b.task_of(b.multipart({"Targets": []}, path))
        b.wait_task(task, ["Stopping"])  # bmcweb: staged, waiting for the reset
        if kind == "bmc":
            b.reset_bmc()
            b.await_reboot(kind, version)
        else:
            b.reset_host()
    elif p == "idrac":
        apply = "Immediate" if kind == "bmc" else "OnReset"
        task = b.task_of(b.multipart({"Targets": [], "@Redfish.OperationApplyTime": apply, "Oem": {}}, path))
        jid = task.rsplit("/", 1)[-1]
        if kind == "bios":
            wait("the job to be scheduled", lambda: b.get(task)["Oem"]["Dell"]["JobState"] == "Scheduled")
            b.reset_host()
        # The task may be gone (iDRAC reboot): the job queue has the end.
        wait("the job to complete", lambda: b.get(f"/redfish/v1/JobService/Jobs/{jid}")["JobState"] == "Completed")
        if kind == "bmc":
            b.await_reboot(kind, version)
    elif p == "ilo":
        r = b.simple(url)
        if v == "legacy" and r.status != 200:
            raise Fail(f"iLO legacy SimpleUpdate: {r.status}")
        if kind == "bmc":
            b.await_reboot(kind, version)
        else:
            wait("SystemResetRequired", lambda: b.hpe().get("Result", {}).get("MessageId", "").endswith(
                ".SystemResetRequired"))
            b.reset_host()
    elif p == "supermicro":
        target = b.manager if kind == "bmc" else f"{b.system}/Bios"
        oem = {"BMC": {"PreserveCfg": True, "PreserveSdr": True, "PreserveSsl": True}} if kind == "bmc" \
            else {"BIOS": {"PreserveME": True, "PreserveNVRAM": True, "PreserveSMBIOS": True}}
        verify = b.task_of(b.multipart({"Targets": [target], "@Redfish.OperationApplyTime": "OnStartUpdateRequest",
                                        "Oem": {"Supermicro": oem}}, path))
        b.wait_task(verify, ["Completed"])
        r = b.post(b.us["Actions"]["#UpdateService.StartUpdate"]["target"], {})
        task = b.task_of(r)
        b.wait_task(task, ["Completed", "gone"])
        if kind == "bmc":
            b.await_reboot(kind, version)
        else:
            b.reset_host()
    elif p == "xcc":
        extra = None
        params = {"Targets": []}
        if v == "ami":
            params = {"Targets": [b.manager]}  # for both, as Lenovo's script does
            flash = "HPMFwUpdate" if kind == "bmc" else "UEFIUpdate"
            extra = {"OemParameters": ("oem_parameters.json",
                                       json.dumps({"FlashType": flash, "UploadSelector": "Default"}),
                                       "application/json")}
        if kind == "bios":
            params["@Redfish.OperationApplyTime"] = "OnReset"
        task = b.task_of(b.multipart(params, path, extra))
        if kind == "bmc":
            b.await_reboot(kind, version)
        else:
            b.wait_task(task, ["Pending", "Completed"])
            b.reset_host()
    got = b.reconnect_and(kind)
    if got != version:
        raise Fail(f"{kind}: the BMC reports {got}, expected {version}")
    inv = b.versions()
    if version not in inv.values():
        raise Fail(f"{kind}: {version} is not in {b.inventory_uri()}: {inv}")
    return got


passed, failed = 0, 0
for t in targets:
    persona, _, variant = t.partition(":")
    variant = variant or "standard"
    b = None
    try:
        b = Bmc(persona, variant, os.path.join(work, t.replace(":", "-")))
        imgs = b.images()
        for kind in ("bmc", "bios"):
            before = b.running(kind)
            after = update(b, kind, imgs[kind])
            print(f"standard-client: {persona}:{variant} {kind} {before} -> {after}")
        passed += 1
    except Exception as e:  # noqa: BLE001 - report every persona, then fail
        print(f"standard-client: FAIL: {persona}:{variant}: {e}", file=sys.stderr)
        failed += 1
    finally:
        if b is not None:
            b.close()
print(f"standard-client: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
