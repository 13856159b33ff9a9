"""A standard Redfish client that knows nothing of fwfleet updates a mock BMC.

Uses DMTF's python-redfish-library (PyPI `redfish`) only: session login,
SimpleUpdate (the BMC pulls the image from a local HTTP server), a multipart
push, following the task monitors the library's way (202 + Location), then
reading the new versions back from FirmwareInventory.

Usage: standard_client.py MOCK_BMC_BIN WORKDIR
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
os.makedirs(work, exist_ok=True)
password = secrets.token_hex(8)
fleet = os.path.join(work, "fleet.toml")
mock = subprocess.Popen(
    [mock_bin, "serve", "--count", "1", "--profile", "generic", "--password", password,
     "--update-secs", "1", "--fleet-out", fleet],
    stdout=subprocess.PIPE, text=True)


def fail(msg):
    print(f"standard-client: FAIL: {msg}", file=sys.stderr)
    mock.kill()
    sys.exit(1)


try:
    for line in mock.stdout:
        if line.startswith("ready "):
            break
    else:
        fail("mock-bmc exited before ready")
    url = next(l.split('"')[1] for l in open(fleet) if l.startswith("url ="))
    if not url.startswith("http://127.0.0.1:"):
        fail(f"refusing non-loopback url {url}")

    client = redfish.redfish_client(base_url=url, username="admin", password=password)
    client.login(auth="session")
    inv = "/redfish/v1/UpdateService/FirmwareInventory"

    def inventory():
        out = {}
        coll = client.get(inv)
        for m in coll.dict["Members"]:
            item = client.get(m["@odata.id"]).dict
            out[item["Id"]] = item["Version"]
        return out

    system = client.get("/redfish/v1/Systems/1").dict
    model = system["Model"]
    before = inventory()

    def newer(v):
        parts = v.split(".")
        parts[-1] = str(int(parts[-1]) + 10)
        return ".".join(parts)

    images = {}
    for kind, item in (("bios", "BIOS"), ("nic", "NIC1")):
        version = newer(before[item])
        path = os.path.join(work, f"{kind}.img")
        subprocess.run([mock_bin, "make-image", "--component", kind, "--version", version,
                        "--model", model, "--size", "100000", "-o", path],
                       check=True, stdout=subprocess.DEVNULL)
        images[kind] = (path, version)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = lambda *a, **k: Quiet(*a, directory=work, **k)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    image_base = f"http://127.0.0.1:{server.server_address[1]}"

    def follow(resp, what):
        if resp.status != 202:
            fail(f"{what}: expected 202, got {resp.status} {resp.text}")
        if not resp.task_location:
            fail(f"{what}: 202 without Location")
        deadline = time.time() + 60
        while resp.is_processing:
            if time.time() > deadline:
                fail(f"{what}: task still running after 60 s")
            time.sleep(resp.retry_after or 1)
            resp = resp.monitor(client)
        task = resp.dict if resp.status == 200 else {}
        if task.get("TaskState") != "Completed":
            fail(f"{what}: task ended {resp.status} {task.get('TaskState')} {task.get('Messages')}")
        return task

    # 1. SimpleUpdate: the BMC pulls the image.
    r = client.post("/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate",
                    body={"ImageURI": f"{image_base}/bios.img", "TransferProtocol": "HTTP"})
    follow(r, "SimpleUpdate")

    # 2. Multipart push, the way the library documents it.
    push_uri = client.get("/redfish/v1/UpdateService").dict["MultipartHttpPushUri"]
    with open(images["nic"][0], "rb") as f:
        data = f.read()
    body = {
        "UpdateParameters": (None, json.dumps({"Targets": []}), "application/json"),
        "UpdateFile": ("nic.img", data, "application/octet-stream"),
    }
    r = client.post(push_uri, body=body, headers={"Content-Type": "multipart/form-data"})
    follow(r, "multipart push")

    after = inventory()
    for kind, item in (("bios", "BIOS"), ("nic", "NIC1")):
        if after[item] != images[kind][1]:
            fail(f"{item}: inventory shows {after[item]}, expected {images[kind][1]}")
        print(f"standard-client: {item} {before[item]} -> {after[item]}")
    client.logout()
    server.shutdown()
    print("standard-client: 2 passed, 0 failed")
finally:
    mock.kill()
    mock.wait()
