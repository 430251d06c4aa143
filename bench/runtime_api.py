"""A minimal Lambda Runtime API server (the protocol Lambda and `cargo lambda watch` speak), to run our release Lambda
binaries as Lambda would, and what the bench needs around it."""
import json
import os
import queue
import socket
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from common import ACCOUNT, PROXY, REGION


class RuntimeApi:
    """Serves queued events to one Lambda process over the Runtime API and records each answer."""

    def __init__(self, deadline_s=900):
        """`deadline_s`: each invocation's deadline from its delivery (Lambda's `Timeout`, at most 900 s)."""
        self.events = queue.Queue()
        self.answers = {}
        self.answered = threading.Condition()
        self.first_next = None
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                # Headers and body go out as separate writes: without TCP_NODELAY, Nagle's algorithm and the client's
                # delayed ACK add ~40 ms to every answer.
                super().setup()
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args):
                pass

            def _reply(self, status, body=b"{}", headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if not self.path.endswith("/runtime/invocation/next"):
                    return self._reply(404)
                if api.first_next is None:
                    api.first_next = time.perf_counter()
                request_id, event = api.events.get()
                body = json.dumps(event).encode()
                deadline = int((time.time() + deadline_s) * 1000)
                self._reply(200, body, {
                    "Content-Type": "application/json",
                    "Lambda-Runtime-Aws-Request-Id": request_id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline),
                    "Lambda-Runtime-Invoked-Function-Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:bench",
                    "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000",
                })

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = self.path.split("/")
                if "invocation" in parts and (parts[-1] in ("response", "error")):
                    request_id = parts[parts.index("invocation") + 1]
                    with api.answered:
                        api.answers[request_id] = (time.perf_counter(), parts[-1], body)
                        api.answered.notify_all()
                    return self._reply(202)
                return self._reply(202)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # the Lambda process is killed while its next long poll is open: expected

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def submit(self, event):
        request_id = str(uuid.uuid4())
        self.events.put((request_id, event))
        return request_id

    def wait(self, request_ids, timeout=900):
        end = time.time() + timeout
        with self.answered:
            while not all(r in self.answers for r in request_ids):
                left = end - time.time()
                if left <= 0:
                    raise TimeoutError(f"{len([r for r in request_ids if r not in self.answers])} answers missing")
                self.answered.wait(left)
        return [self.answers[r] for r in request_ids]

    def close(self):
        self.server.shutdown()


def lambda_env(api, extra=None):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_ENDPOINT_URL": PROXY,
        "SUPERWERKER_BACKUP_ACCOUNT_ID": ACCOUNT,
        # boto3's read timeout (60 s), not our 10 s default: moto answers DescribeVolumes for 5,000 volumes in one
        # page (it ignores MaxResults) and takes about 8-12 s to render it.
        "SUPERWERKER_BACKUP_ATTEMPT_TIMEOUT_MS": "60000",
        "RUST_LOG": "warn",
    }
    env.update(extra or {})
    return env


def lambda_binary(path):
    """The Lambda's `bootstrap`: a zip as `cargo lambda build --output-format zip` ships it is unpacked first, so the
    exact artifact is measured."""
    if not path.endswith(".zip"):
        return path
    import zipfile
    out = Path(tempfile.mkdtemp(prefix="lambda-", dir=os.environ.get("SWB_RUN_DIR"))) / "bootstrap"
    with zipfile.ZipFile(path) as z:
        out.write_bytes(z.read("bootstrap"))
    out.chmod(0o755)
    return str(out)


def peak_rss_mb(pid):
    """VmHWM of a live process (its peak resident set), in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")
