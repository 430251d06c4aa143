"""Fault-injection proxy between the AWS SDK and the local emulator (moto), for the reliability tests.

Every request is forwarded to moto unchanged unless a rule matches it. A rule can answer, for a number of times or
always, a throttling error in the service's own wire shape (DynamoDB/Tagging JSON `ThrottlingException` /
`ThrottledException`, EC2 XML `RequestLimitExceeded`, RDS XML `Throttling`, EFS REST `ThrottlingException`), a
"not found" error in the service's shape (a resource not visible yet), HTTP 500 or 503, a delay before forwarding
(beyond the SDK's attempt timeout), or a reset connection.

A `guard` rule stands in for IAM evaluating the deployed role's never-overwrite condition
(`Null: aws:ResourceTag/superwerker:backup: true`), which moto does not evaluate: while it is in place, a DynamoDB
`TagResource` on a table that has the key is refused with `AccessDeniedException`; the Tagging API's `TagResources`
refuses each ARN that has the key (HTTP 403 in `FailedResourcesMap`) and forwards the others; an EC2 `CreateTags` with
any resource that has the key is refused as a whole (`UnauthorizedOperation`, as EC2 authorizes a call); RDS
`AddTagsToResource`, EFS `TagResource` and FSx `TagResource` are refused with each service's IAM denial. Keys compare
without letter case (see `same_key`). The current tags are read from moto (`GetResources` / `DescribeTags` /
EFS `DescribeFileSystems`) after any delay rule, just before forwarding. These six writes are covered.

Control API (JSON, on the same port, under /__faults__/):
  POST /__faults__/rules   add rules: [{"id", "service", "op", "contains", "fault", "times", "delay_ms"}]
                           service: SigV4 signing name (dynamodb, ec2, rds, elasticfilesystem, tagging);
                           op: operation name (CreateTags, TagResource, ...), optional; contains: a substring of the
                           request body or path, optional; times: how many matching requests get the fault (null =
                           all); every: only every k-th matching request (a steady fault rate);
                           fault: throttle | not_found | http500 | http503 | delay | reset | quota (a request rate as
                           AWS documents it, with "rate", "burst", "scope", "region": proxy_quota.py) | guard (with "key",
                           default superwerker:backup; applies to every matching request, alongside other rules;
                           service/op/contains narrow it) | deny (IAM refuses the call in the service's shape:
                           "no identity-based policy allows", or with "scp": true "an explicit deny in a service
                           control policy" — a blanket denial, whatever the resource's tags).
  DELETE /__faults__/rules?id=X   remove rules with that id (no id: all)
  GET  /__faults__/log?contains=X  the requests seen (service, op, region, fault, status, t_start, t_end); filtered by
                           substring
Usage: python fault_proxy.py --port P --upstream http://127.0.0.1:M
Only the Python standard library; listens on 127.0.0.1 only.
"""
import argparse
import http.client
import json
import re
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import proxy_quota
from proxy_ops import deny_response, fault_response, op_of, service_of

RULES = []
LOG = []
LOCK = threading.Lock()
UPSTREAM = None

def take_rule(service, op, text):
    with LOCK:
        for rule in RULES:
            if rule.get("fault") in ("guard", "quota"):
                continue
            if rule.get("service") and rule["service"] != service:
                continue
            if rule.get("op") and rule["op"] != op:
                continue
            if rule.get("contains") and rule["contains"] not in text:
                continue
            rule["seen"] = rule.get("seen", 0) + 1
            every = rule.get("every")
            if every and rule["seen"] % every != 0:
                continue
            times = rule.get("times")
            if times is not None and rule.get("used", 0) >= times:
                continue
            rule["used"] = rule.get("used", 0) + 1
            return dict(rule)
    return None


# The tagging writes a guard rule stands in IAM for: every kind's own write and the Tagging API's.
GUARDED = {
    ("dynamodb", "TagResource"), ("tagging", "TagResources"), ("ec2", "CreateTags"), ("rds", "AddTagsToResource"),
    ("elasticfilesystem", "TagResource"), ("fsx", "TagResource"),
}


def same_key(a, b):
    """Keys compare without letter case: IAM reads condition key names case-insensitively (IAM user guide,
    "Condition"), and whether the `aws:ResourceTag/<key>` part follows is not documented, so the stand-in assumes
    the stricter case: a key differing only in case refuses our write too."""
    return (a or "").lower() == (b or "").lower()


def guard_key(service, op, text):
    """The key a guard rule protects for this request, if one applies (its optional `contains` narrows it)."""
    if (service, op) not in GUARDED:
        return None
    with LOCK:
        for rule in RULES:
            if rule.get("fault") != "guard":
                continue
            if rule.get("service") and rule["service"] != service or rule.get("op") and rule["op"] != op:
                continue
            if not rule.get("contains") or rule["contains"] in text:
                return rule.get("key", "superwerker:backup")
    return None


def to_upstream(headers, drop=()):
    """The request's headers for moto: without hop-by-hop ones, the length (recomputed) and `drop`; Host set."""
    skip = ("host", "connection", "content-length") + tuple(drop)
    out = {k: v for k, v in headers.items() if k.lower() not in skip}
    out["Host"] = f"{UPSTREAM.hostname}:{UPSTREAM.port}"
    return out


def upstream(method, path, body, headers):
    conn = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    finally:
        conn.close()


def keyed(arns, headers, key):
    """The ARNs among `arns` whose resource has `key`, as moto knows them now (Tagging API GetResources)."""
    ask = to_upstream(headers, drop=("x-amz-target", "content-type", "authorization"))
    ask["X-Amz-Target"] = "ResourceGroupsTaggingAPI_20170126.GetResources"
    ask["Content-Type"] = "application/x-amz-json-1.1"
    ask["Authorization"] = re.sub(r"/[^/]+/aws4_request", "/tagging/aws4_request", headers.get("Authorization", ""))
    found, token = set(), None
    while True:
        query = {"ResourceARNList": list(arns)}
        if token:
            query["PaginationToken"] = token
        _, _, payload = upstream("POST", "/", json.dumps(query).encode(), ask)
        page = json.loads(payload or b"{}")
        for mapping in page.get("ResourceTagMappingList", []):
            if any(same_key(t.get("Key"), key) for t in mapping.get("Tags", [])):
                found.add(mapping["ResourceARN"])
        token = page.get("PaginationToken")
        if not token:
            return found


def keyed_ec2(ids, headers, key):
    """The EC2 resource ids among `ids` that have `key`, as moto knows them now (DescribeTags)."""
    ask = to_upstream(headers, drop=("content-type",))
    ask["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    form = {"Action": "DescribeTags", "Version": "2016-11-15", "Filter.1.Name": "resource-id"}
    for i, rid in enumerate(ids, 1):
        form[f"Filter.1.Value.{i}"] = rid
    _, _, payload = upstream("POST", "/", urllib.parse.urlencode(form).encode(), ask)
    items = re.findall(r"<item>(.*?)</item>", payload.decode("utf-8", "replace"), re.S)
    found = set()
    for item in items:
        rid, k = re.search(r"<resourceId>([^<]*)</resourceId>", item), re.search(r"<key>([^<]*)</key>", item)
        if rid and k and same_key(k.group(1), key):
            found.add(rid.group(1))
    return found


def keyed_efs(fs_id, headers, key):
    """Whether the EFS file system has `key`, as moto knows it now (DescribeFileSystems)."""
    ask = to_upstream(headers, drop=("content-type",))
    _, _, payload = upstream("GET", f"/2015-02-01/file-systems?FileSystemId={fs_id}", b"", ask)
    systems = json.loads(payload or b"{}").get("FileSystems", [])
    return any(same_key(t.get("Key"), key) for fs in systems for t in fs.get("Tags", []))


def refusal(arn, action):
    return (
        f"User: arn:aws:sts::000000000000:assumed-role/backfill/session is not authorized to perform: {action} on "
        f"resource: {arn} because no identity-based policy allows the {action} action"
    )


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        # Headers and body go out as separate writes: without TCP_NODELAY, Nagle's algorithm and the client's
        # delayed ACK add ~40 ms to every answer.
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def _send(self, status, headers, body):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _control(self, body):
        parsed = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(parsed.query)
        if self.command == "POST" and parsed.path == "/__faults__/rules":
            with LOCK:
                RULES.extend(json.loads(body or b"[]"))
            return self._send(200, {"Content-Type": "application/json"}, b"{}")
        if self.command == "DELETE" and parsed.path == "/__faults__/rules":
            rid = query.get("id", [None])[0]
            with LOCK:
                RULES[:] = [r for r in RULES if rid is not None and r.get("id") != rid]
            proxy_quota.forget(rid)
            return self._send(200, {"Content-Type": "application/json"}, b"{}")
        if self.command == "GET" and parsed.path == "/__faults__/log":
            needle = query.get("contains", [""])[0]
            with LOCK:
                rows = [r for r in LOG if needle in r["text"]]
            out = [{k: v for k, v in r.items() if k != "text"} for r in rows]
            return self._send(200, {"Content-Type": "application/json"}, json.dumps(out).encode())
        return self._send(404, {"Content-Type": "text/plain"}, b"unknown control path")

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/__faults__/"):
            return self._control(body)
        service = service_of(self.headers)
        op = op_of(self.command, self.path, self.headers, body)
        text = urllib.parse.unquote(self.path) + "\n" + urllib.parse.unquote_plus(body.decode("utf-8", "replace"))
        entry = {"service": service, "op": op, "region": proxy_quota.signer(self.headers)[1], "fault": None,
                 "status": None, "t_start": time.time(), "text": text}
        with LOCK:
            LOG.append(entry)
            quotas = [r for r in RULES if r.get("fault") == "quota"]
        if quotas and proxy_quota.admits(quotas, service, op, self.headers, body=body) is not None:
            rule, fault = None, "quota"
        else:
            rule = take_rule(service, op, text)
            fault = rule and rule.get("fault")
        entry["fault"] = fault
        if fault in ("throttle", "not_found", "quota"):
            # A request beyond a quota gets the service's throttling answer, as an injected throttle does.
            status, headers, payload = fault_response(service, op, "throttle" if fault == "quota" else fault)
            entry["status"], entry["t_end"] = status, time.time()
            return self._send(status, headers, payload)
        if fault == "deny":
            status, headers, payload = deny_response(service, op, rule)
            entry["status"], entry["t_end"] = status, time.time()
            return self._send(status, headers, payload)
        if fault in ("http500", "http503"):
            status = int(fault[4:])
            entry["status"], entry["t_end"] = status, time.time()
            return self._send(status, {"Content-Type": "text/plain"}, b"injected server error")
        if fault == "reset":
            entry["status"], entry["t_end"] = "reset", time.time()
            self.close_connection = True
            try:
                import socket
                import struct
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            self.connection.close()
            return
        if fault == "delay":
            time.sleep(rule.get("delay_ms", 1000) / 1000.0)
        key = guard_key(service, op, text)
        if key is not None and service == "ec2":
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            ids = [v[0] for k, v in form.items() if re.fullmatch(r"ResourceId\.\d+", k)]
            if keyed_ec2(ids, self.headers, key):
                # EC2 authorizes a CreateTags call as a whole: one refused resource refuses the call.
                entry["fault"], entry["status"], entry["t_end"] = "guard", 403, time.time()
                payload = (
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>UnauthorizedOperation"
                    f"</Code><Message>{refusal(','.join(ids), 'ec2:CreateTags')}</Message></Error></Errors>"
                    "<RequestID>fault-proxy-guard</RequestID></Response>"
                )
                return self._send(403, {"Content-Type": "text/xml"}, payload.encode())
        elif key is not None and service in ("rds", "elasticfilesystem", "fsx"):
            if service == "elasticfilesystem":
                refused = keyed_efs(self.path.rstrip("/").rsplit("/", 1)[-1], self.headers, key)
            else:
                if service == "rds":
                    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
                    arn = form.get("ResourceName", [""])[0]
                else:
                    arn = json.loads(body or b"{}").get("ResourceARN", "")
                refused = bool(keyed([arn], self.headers, key))
            if refused:
                entry["fault"] = "guard"
                status, headers, payload = deny_response(service, op, {})
                entry["status"], entry["t_end"] = status, time.time()
                return self._send(status, headers, payload)
        elif key is not None:
            request = json.loads(body or b"{}")
            arns = [request["ResourceArn"]] if op == "TagResource" else list(request.get("ResourceARNList", []))
            refused = keyed(arns, self.headers, key) & set(arns)
            if refused and op == "TagResource":
                entry["fault"], entry["status"], entry["t_end"] = "guard", 400, time.time()
                payload = json.dumps({
                    "__type": "com.amazonaws.dynamodb.v20120810#AccessDeniedException",
                    "message": refusal(arns[0], "dynamodb:TagResource"),
                })
                return self._send(400, {"Content-Type": "application/x-amz-json-1.0"}, payload.encode())
            if refused:
                entry["fault"] = "guard"
                failed = {
                    arn: {"StatusCode": 403, "ErrorCode": "InvalidParameterException",
                          "ErrorMessage": refusal(arn, "dynamodb:TagResource")}
                    for arn in refused
                }
                rest = [a for a in arns if a not in refused]
                if rest:
                    request["ResourceARNList"] = rest
                    body = json.dumps(request).encode()
                    _, _, payload = upstream(self.command, self.path, body, to_upstream(self.headers))
                    answer = json.loads(payload or b"{}")
                else:
                    answer = {}
                answer.setdefault("FailedResourcesMap", {}).update(failed)
                entry["status"], entry["t_end"] = 200, time.time()
                return self._send(200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(answer).encode())
        status, resp_headers, payload = upstream(self.command, self.path, body, to_upstream(self.headers))
        out_headers = {
            k: v for k, v in resp_headers if k.lower() not in ("content-length", "transfer-encoding", "connection")
        }
        entry["status"], entry["t_end"] = status, time.time()
        try:
            self._send(status, out_headers, payload)
        except (BrokenPipeError, ConnectionResetError):
            entry["status"] = "client-gone"

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle


def main():
    global UPSTREAM
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    UPSTREAM = urllib.parse.urlparse(args.upstream)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
