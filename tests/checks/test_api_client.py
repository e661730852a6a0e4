#!/usr/bin/env python3
"""tools/api-client.py (`./rootstock vm|image`) against a stub of the appliance's API on this
machine's loopback: which requests each command sends (method, path, body, headers), how it
shows answers and refusals, and that a certificate is pinned on first use and then held to.
Standard library only; run by ctest as check.api-client."""
import hashlib
import http.server
import importlib.util
import io
import json
import ssl
import subprocess
import sys
import tempfile
import threading
import unittest
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("api_client", TOP / "tools" / "api-client.py")
client = importlib.util.module_from_spec(spec)
spec.loader.exec_module(client)

TOKEN = "stub-token-0123456789abcdefghijklmnopqrstuvwxyz"


class Stub(http.server.BaseHTTPRequestHandler):
    """Records every request; answers from `answers` by (method, path) or 204."""
    seen = []
    answers = {}

    def log_message(self, *args):
        pass

    def handle_one(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        Stub.seen.append((self.command, self.path, body, dict(self.headers)))
        status, answer = Stub.answers.get((self.command, self.path), (204, None))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            status, answer = 401, {"fault_message": "this API needs the appliance's token"}
        self.send_response(status)
        data = json.dumps(answer).encode() if answer is not None else b""
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = handle_one


def serve(tls_context=None):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    if tls_context:
        server.socket = tls_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    old = sys.argv
    sys.argv = ["rootstock", *argv]
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                client.main()
            except client.ApiError as e:
                print(f"rootstock: {e}", file=sys.stderr)
                code = 1
    finally:
        sys.argv = old
    return code, out.getvalue(), err.getvalue()


class PlainHttp(unittest.TestCase):
    def setUp(self):
        Stub.seen.clear()
        Stub.answers.clear()
        self.server = serve()
        self.api = ["--api", f"http://127.0.0.1:{self.server.server_address[1]}", "--token", TOKEN]

    def tearDown(self):
        self.server.shutdown()

    def test_vm_create_sends_a_whole_spec(self):
        code, out, _ = run("vm", "create", "web", "--kernel", "/var/lib/rootstock/images/k",
                           "--cmdline", "console=ttyS0", "--vcpus", "2", "--mem", "256",
                           "--disk", "/var/lib/rootstock/images/d:ro", "--autostart", *self.api)
        self.assertEqual(code, 0)
        method, path, body, headers = Stub.seen[0]
        self.assertEqual((method, path), ("PUT", "/vms/web"))
        spec = json.loads(body)
        self.assertEqual(spec["boot-source"], {"kernel_image_path": "/var/lib/rootstock/images/k",
                                               "boot_args": "console=ttyS0"})
        self.assertEqual(spec["machine-config"], {"vcpu_count": 2, "mem_size_mib": 256})
        self.assertEqual(spec["drives"][0]["is_read_only"], True)
        self.assertTrue(spec["autostart"])
        self.assertIn("vm web created", out)

    def test_lifecycle_commands(self):
        for argv, want in [(("start", "a"), ("PUT", "/vms/a/actions", {"action_type": "InstanceStart"})),
                           (("stop", "a"), ("POST", "/vms/a/stop", None)),
                           (("pause", "a"), ("PATCH", "/vms/a/vm", {"state": "Paused"})),
                           (("resume", "a"), ("PATCH", "/vms/a/vm", {"state": "Resumed"})),
                           (("delete", "a"), ("DELETE", "/vms/a", None))]:
            Stub.seen.clear()
            self.assertEqual(run("vm", *argv, *self.api)[0], 0)
            method, path, body, _ = Stub.seen[0]
            self.assertEqual((method, path), want[:2])
            if want[2] is not None:
                self.assertEqual(json.loads(body), want[2])

    def test_list_shows_a_table_and_refusals_are_said(self):
        Stub.answers[("GET", "/vms")] = (200, [{"id": "web", "name": "web", "state": "running",
                                                "start_count": 1}])
        code, out, _ = run("vm", "list", *self.api)
        self.assertEqual(code, 0)
        self.assertIn("web", out.splitlines()[1])
        self.assertIn("running", out)
        Stub.answers[("DELETE", "/vms/web")] = (400, {"fault_message": "vm 'web' is running"})
        code, _, err = run("vm", "delete", "web", *self.api)
        self.assertEqual(code, 1)
        self.assertIn("400 vm 'web' is running", err)
        code, _, err = run("vm", "list", "--api", self.api[1], "--token", "wrong" * 10)
        self.assertEqual(code, 1)
        self.assertIn("401", err)

    def test_image_put_streams_the_file_with_its_digest(self):
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"kernel bytes" * 1000)
            f.flush()
            Stub.answers[("PUT", "/images/k")] = (201, {"name": "k", "size": 12000,
                                                        "path": "/var/lib/rootstock/images/k"})
            code, out, _ = run("image", "put", "k", f.name, *self.api)
        self.assertEqual(code, 0)
        method, path, body, headers = Stub.seen[0]
        self.assertEqual((method, path, len(body)), ("PUT", "/images/k", 12000))
        self.assertEqual(headers["X-Content-SHA256"], hashlib.sha256(body).hexdigest())
        self.assertIn("/var/lib/rootstock/images/k", out)


class PinnedCertificate(unittest.TestCase):
    def setUp(self):
        Stub.seen.clear()
        Stub.answers.clear()
        self.dir = tempfile.TemporaryDirectory()
        d = Path(self.dir.name)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=stub", "-days", "2",
                        "-keyout", d / "key.pem", "-out", d / "cert.pem"],
                       check=True, capture_output=True)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(d / "cert.pem", d / "key.pem")
        der = ssl.PEM_cert_to_DER_cert((d / "cert.pem").read_text())
        self.fingerprint = hashlib.sha256(der).hexdigest()
        self.server = serve(context)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"

    def tearDown(self):
        self.server.shutdown()
        self.dir.cleanup()

    def test_pinned_right_and_wrong(self):
        Stub.answers[("GET", "/vms")] = (200, [])
        code, _, _ = run("vm", "list", "--api", self.url, "--token", TOKEN, "--sha256",
                         self.fingerprint)
        self.assertEqual(code, 0)
        code, _, err = run("vm", "list", "--api", self.url, "--token", TOKEN, "--sha256", "ab" * 32)
        self.assertEqual(code, 1)
        self.assertIn("not " + "ab" * 32, err)

    def test_trusted_on_first_use_then_held_to(self):
        settings = Path(self.dir.name) / "api.json"
        settings.write_text(json.dumps({"url": self.url, "token": TOKEN}))
        client.RUN_API = settings
        Stub.answers[("GET", "/vms")] = (200, [])
        code, _, err = run("vm", "list")
        self.assertEqual(code, 0)
        self.assertIn("trusting the appliance's certificate", err)
        self.assertEqual(json.loads(settings.read_text())["sha256"], self.fingerprint)
        pinned = json.loads(settings.read_text())
        pinned["sha256"] = "cd" * 32
        settings.write_text(json.dumps(pinned))
        code, _, err = run("vm", "list")
        self.assertEqual(code, 1)
        self.assertIn("as pinned", err)


if __name__ == "__main__":
    unittest.main(verbosity=1)
