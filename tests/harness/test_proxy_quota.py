"""The fault proxy's quota rules (proxy_quota.py): AWS's documented request rates, per account and region or per
account, enforced with the service's own throttling answer. The bucket arithmetic runs on a fake clock; one test runs
the proxy itself in front of a stand-in upstream (no moto needed: a throttled request never reaches it)."""
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import proxy_quota

HERE = Path(__file__).resolve().parent


def signed(region, key_id="AKIDA", service="dynamodb"):
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential={key_id}/20261207/{region}/{service}/aws4_request, "
                             "SignedHeaders=host, Signature=0"}


DYNAMODB_TAG = {"id": "ddb", "fault": "quota", "service": "dynamodb", "op": "TagResource", "rate": 5, "burst": 1,
                "scope": "account"}
TAGGING = {"id": "tag", "fault": "quota", "service": "tagging", "op": "TagResources", "rate": 5, "burst": 1}
EC2 = {"id": "ec2", "fault": "quota", "service": "ec2", "op": "CreateTags", "rate": 10, "burst": 100}


def admitted(rule, times, headers, service, op):
    """How many requests at each of `times` (seconds, fake clock) the rule admits."""
    proxy_quota.forget()
    return sum(proxy_quota.admits([rule], service, op, headers, now=t) is None for t in times)


class QuotaBucketTest(unittest.TestCase):
    def test_no_more_than_the_rate_per_second_after_the_burst(self):
        # 200 requests spread evenly over 9.95 s at 20 a second: the bucket admits its burst, then 5 a second.
        times = [i * 0.05 for i in range(200)]
        self.assertEqual(admitted(DYNAMODB_TAG, times, signed("eu-west-1"), "dynamodb", "TagResource"), 1 + 49)
        self.assertEqual(admitted(EC2, [0.0] * 150, signed("eu-west-1", service="ec2"), "ec2", "CreateTags"), 100)
        self.assertEqual(admitted(EC2, [0.0] * 150 + [1.0] * 20, signed("eu-west-1", service="ec2"), "ec2",
                                  "CreateTags"), 110)

    def test_a_regional_quota_has_a_bucket_per_region_and_an_account_quota_one_across_regions(self):
        proxy_quota.forget()
        for region in ("eu-west-1", "us-east-1"):
            self.assertIsNone(proxy_quota.admits([TAGGING], "tagging", "TagResources", signed(region, service="tagging"),
                                                 now=0.0), region)
        proxy_quota.forget()
        self.assertIsNone(proxy_quota.admits([DYNAMODB_TAG], "dynamodb", "TagResource", signed("eu-west-1"), now=0.0))
        self.assertEqual(proxy_quota.admits([DYNAMODB_TAG], "dynamodb", "TagResource", signed("us-east-1"), now=0.0),
                         "ddb", "one bucket per account across regions")
        self.assertIsNone(proxy_quota.admits([DYNAMODB_TAG], "dynamodb", "TagResource", signed("us-east-1", "AKIDB"),
                                             now=0.0), "another account has its own")

    def test_other_operations_and_regions_outside_the_rule_pass(self):
        proxy_quota.forget()
        rule = dict(TAGGING, region="eu-west-3")
        for _ in range(10):
            self.assertIsNone(proxy_quota.admits([rule], "tagging", "GetResources", signed("eu-west-3"), now=0.0))
            self.assertIsNone(proxy_quota.admits([rule], "tagging", "TagResources", signed("eu-west-1"), now=0.0))


    def test_tables_tagged_through_the_tagging_api_draw_on_dynamodbs_quota_one_token_each(self):
        proxy_quota.forget()
        rule = dict(DYNAMODB_TAG, draws=[{"service": "tagging", "op": "TagResources", "per_arn": "arn:aws:dynamodb:"}])
        tables = [f"arn:aws:dynamodb:eu-west-1:123456789012:table/t{i}" for i in range(20)]
        dbs = [f"arn:aws:rds:eu-west-1:123456789012:db:d{i}" for i in range(20)]
        body = json.dumps({"ResourceARNList": tables[:10] + dbs[:10], "Tags": {"k": "v"}}).encode()
        tagging = signed("eu-west-1", service="tagging")
        # Ten tables at once take ten tokens: a bucket that has been filling long enough has them, and is then empty.
        self.assertIsNone(proxy_quota.admits([rule], "tagging", "TagResources", tagging, now=-2.0, body=body))
        # At 5 a second, ten more take 2 s; the bucket, with a burst of one, may fill to the draw's own cost.
        self.assertEqual(proxy_quota.admits([rule], "dynamodb", "TagResource", signed("eu-west-1"), now=-1.85), "ddb")
        self.assertEqual(proxy_quota.admits([rule], "tagging", "TagResources", tagging, now=-0.1, body=body), "ddb")
        self.assertIsNone(proxy_quota.admits([rule], "tagging", "TagResources", tagging, now=0.0, body=body))
        self.assertEqual(proxy_quota.admits([rule], "tagging", "TagResources", tagging, now=1.8, body=body), "ddb")
        self.assertIsNone(proxy_quota.admits([rule], "tagging", "TagResources", tagging, now=1.8 + 0.2, body=body))
        # They are spent: the next table waits for a token of its own.
        self.assertEqual(proxy_quota.admits([rule], "dynamodb", "TagResource", signed("eu-west-1"), now=2.1), "ddb")
        self.assertIsNone(proxy_quota.admits([rule], "dynamodb", "TagResource", signed("eu-west-1"), now=2.2))
        # Without a table the call takes nothing from DynamoDB's bucket; nor does a body that is no Tagging API's.
        only_dbs = json.dumps({"ResourceARNList": dbs, "Tags": {"k": "v"}}).encode()
        for other in (only_dbs, b"Action=CreateTags", b""):
            self.assertIsNone(proxy_quota.admits([rule], "tagging", "TagResources", tagging, now=2.2, body=other))
        self.assertEqual(proxy_quota.cost_of(rule, "tagging", "TagResources", "eu-west-1", body), 10)
        self.assertEqual(proxy_quota.cost_of(rule, "tagging", "GetResources", "eu-west-1", body), 0)

class Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen = 0

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Upstream.seen += 1
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class QuotaProxyTest(unittest.TestCase):
    def test_the_proxy_answers_throttling_in_dynamodbs_shape_beyond_the_quota(self):
        upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
        threading.Thread(target=upstream.serve_forever, daemon=True).start()
        port = free_port()
        proxy = subprocess.Popen([sys.executable, str(HERE / "fault_proxy.py"), "--port", str(port), "--upstream",
                                  f"http://127.0.0.1:{upstream.server_address[1]}"], cwd=HERE)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                    break
                except OSError:
                    time.sleep(0.05)

            def send(method, path, body=b"", headers=None):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request(method, path, body=body, headers=headers or {})
                resp = conn.getresponse()
                return resp.status, resp.read()

            self.assertEqual(send("POST", "/__faults__/rules", json.dumps([DYNAMODB_TAG]).encode())[0], 200)
            headers = dict(signed("eu-west-1"), **{"X-Amz-Target": "DynamoDB_20120810.TagResource"})
            answers = [send("POST", "/", b"{}", headers) for _ in range(4)]
            self.assertEqual([a[0] for a in answers], [200, 400, 400, 400], "a burst of 1, then 5 a second")
            self.assertEqual(json.loads(answers[1][1])["__type"], "com.amazonaws.dynamodb#ThrottlingException")
            self.assertEqual(Upstream.seen, 1, "a throttled request never reaches the emulator")
            time.sleep(0.25)
            self.assertEqual(send("POST", "/", b"{}", headers)[0], 200, "a token again after 1/5 s")
            status, log = send("GET", "/__faults__/log")
            self.assertEqual(sum(r["fault"] == "quota" for r in json.loads(log)), 3)
        finally:
            proxy.terminate()
            proxy.wait()
            upstream.shutdown()


if __name__ == "__main__":
    unittest.main()
