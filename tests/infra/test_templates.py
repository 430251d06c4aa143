"""infra/ templates against the code and the emulator.

Run by `make test` inside tests/harness/with-emulator.sh (moto on 127.0.0.1; AWS_ENDPOINT_URL set), with the
project's .venv python (boto3 and cfn-lint come with moto and cfn-lint there).

- The IAM actions each function's policies grant are exactly the ones the code declares
  (`superwerker-backup iam-actions`, from crates/aws/src/iam.rs; the Rust emulator tests check every call the code
  makes is declared). Tagging is restricted to our key, the value `daily`, and resources without the key (the never-overwrite guard).
- The tagger's EventBridge patterns, read from the template, name exactly the handled events
  (`superwerker-backup handled-events`), and — run by moto's real pattern matcher: rules with an SQS target, the
  real fixture events sent with PutEvents, the queue read back — match each fixture of a handled event and nothing
  else: other event names, other sources, failed calls carrying errorCode. (moto's TestEventPattern is a no-op that
  always answers empty, so it is not used.)
"""
import copy
import json
import os
import subprocess
import time
import unittest
import uuid
from pathlib import Path

import boto3
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
CLI = os.environ.get("SWB_CLI", str(ROOT / "target" / "debug" / "superwerker-backup"))
FIXTURES = ROOT / "tests" / "fixtures" / "cloudtrail"
KEY = "superwerker:backup"
FUNCTIONS = {"TaggerFunction": "backup-tagger", "BackfillFunction": "backup-backfill", "BootstrapFunction": "backup-bootstrap"}
# Actions the Service Authorization Reference lists with no resource type: only these may use Resource "*".
NO_RESOURCE_TYPE = {
    "ec2:DescribeVolumes",
    "ec2:DescribeInstances",
    "dynamodb:ListTables",
    "tag:GetResources",
    "tag:TagResources",
    "backup:ListBackupPlans",
    "backup-storage:MountCapsule",
}
TAGGING_ACTIONS = {"ec2:CreateTags", "dynamodb:TagResource", "rds:AddTagsToResource", "elasticfilesystem:TagResource"}


def template(name="template.yaml"):
    doc, matches = decode(str(ROOT / "infra" / name))
    if matches:
        raise AssertionError(f"{name} does not parse: {matches}")
    return doc


def cli(*args):
    return json.loads(subprocess.run([CLI, *args], check=True, capture_output=True, text=True).stdout)


def statements(resource):
    for policy in resource["Properties"].get("Policies", []):
        if isinstance(policy, dict):
            yield from policy.get("Statement", [])


def as_list(v):
    return v if isinstance(v, list) else [v]


class IamTest(unittest.TestCase):
    def test_each_function_is_granted_exactly_the_actions_its_code_declares(self):
        declared = cli("iam-actions")
        resources = template()["Resources"]
        for logical, function in FUNCTIONS.items():
            granted = {a for s in statements(resources[logical]) for a in as_list(s["Action"])}
            self.assertEqual(granted, set(declared[function]), f"{logical} vs the code's list for {function}")

    def test_no_wildcard_actions_and_wildcard_resources_only_where_no_resource_type_exists(self):
        resources = template()["Resources"]
        for logical in FUNCTIONS:
            for s in statements(resources[logical]):
                actions = set(as_list(s["Action"]))
                self.assertFalse(any("*" in a for a in actions), f"{logical}: wildcard action {actions}")
                if "*" in as_list(s["Resource"]):
                    allowed = NO_RESOURCE_TYPE | {a for a in actions if a.startswith("organizations:")}
                    self.assertLessEqual(actions, allowed, f"{logical} {s.get('Sid')}: Resource * for {actions}")

    def test_tagging_is_restricted_to_our_key_daily_and_to_resources_without_the_key(self):
        resources = template()["Resources"]
        for logical in ("TaggerFunction", "BackfillFunction"):
            tagging = [s for s in statements(resources[logical]) if TAGGING_ACTIONS & set(as_list(s["Action"]))]
            self.assertTrue(tagging, logical)
            for s in tagging:
                cond = s.get("Condition", {})
                self.assertEqual(cond.get("ForAllValues:StringEquals", {}).get("aws:TagKeys"), [KEY], logical)
                self.assertEqual(cond.get("StringEquals", {}).get(f"aws:RequestTag/{KEY}"), "daily", logical)
                # The never-overwrite guard: AWS refuses the write on a resource that already has the key.
                self.assertEqual(cond.get("Null", {}).get(f"aws:ResourceTag/{KEY}"), "true", logical)


def fixture_events():
    """(name, EventBridge entry) for every real fixture."""
    out = []
    for path in sorted(FIXTURES.glob("*.json")):
        detail = json.loads(path.read_text())
        source = "aws." + detail.get("eventSource", "unknown.amazonaws.com").split(".")[0]
        out.append((path.name, detail, source))
    return out


class EventPatternTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.environ.get("AWS_ENDPOINT_URL", "").startswith("http://127.0.0.1:"):
            raise AssertionError("run through make test: the pattern tests need the local emulator")
        cls.events = boto3.client("events")
        cls.sqs = boto3.client("sqs")
        fn = template()["Resources"]["TaggerFunction"]["Properties"]
        cls.patterns = {name: ev["Properties"]["Pattern"] for name, ev in fn["Events"].items()}

    def test_patterns_name_exactly_the_handled_events(self):
        handled = {(e["source"], e["eventSource"], e["eventName"]) for e in cli("handled-events")}
        in_template = set()
        for p in self.patterns.values():
            self.assertEqual(p["detail-type"], ["AWS API Call via CloudTrail"])
            self.assertEqual(p["detail"]["errorCode"], [{"exists": False}])
            for source in p["source"]:
                for es in p["detail"]["eventSource"]:
                    for en in p["detail"]["eventName"]:
                        in_template.add((source, es, en))
        self.assertEqual(in_template, handled)

    def deliver(self, entries):
        """Creates the template's rules on a fresh bus with an SQS target, sends the entries, returns what arrived."""
        bus = f"patterns-{uuid.uuid4().hex[:8]}"
        self.events.create_event_bus(Name=bus)
        queue_url = self.sqs.create_queue(QueueName=bus)["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for name, pattern in self.patterns.items():
            self.events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern))
            self.events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
        for i in range(0, len(entries), 10):
            batch = [dict(e, EventBusName=bus) for e in entries[i : i + 10]]
            result = self.events.put_events(Entries=batch)
            self.assertEqual(result["FailedEntryCount"], 0, result)
        got = []
        deadline = time.time() + 10
        while time.time() < deadline:
            msgs = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            if not msgs:
                if got or time.time() > deadline - 8:
                    break
                continue
            for m in msgs:
                got.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
        return got

    def test_real_fixtures_match_exactly_when_handled_and_failed_calls_never(self):
        handled = {(e["eventSource"], e["eventName"]) for e in cli("handled-events")}
        entries, expected = [], set()
        for name, detail, source in fixture_events():
            for variant in ("as-is", "failed", "other-name"):
                d = copy.deepcopy(detail)
                tag = f"{name}#{variant}"
                d["eventID"] = tag
                if variant == "failed":
                    d["errorCode"] = "Client.UnauthorizedOperation"
                    d["errorMessage"] = "You are not authorized to perform this operation."
                    d["responseElements"] = None
                if variant == "other-name":
                    d["eventName"] = "Describe" + d.get("eventName", "X")
                entries.append({"Source": source, "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps(d)})
                if variant == "as-is" and (d.get("eventSource"), d.get("eventName")) in handled:
                    expected.add(tag)
        # A handled event name under another service's source.
        d = json.loads((FIXTURES / "create-volume.awsdocs-kms.json").read_text())
        d["eventID"] = "wrong-source"
        entries.append({"Source": "aws.rds", "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps(d)})
        # A handled event with another detail-type.
        d = dict(d, eventID="wrong-detail-type")
        entries.append({"Source": "aws.ec2", "DetailType": "AWS Service Event via CloudTrail", "Detail": json.dumps(d)})

        received = {e["detail"]["eventID"] for e in self.deliver(entries)}
        self.assertGreaterEqual(len(expected), 6, "the handled fixtures")
        self.assertEqual(received, expected)


class OrganizationTemplateTest(unittest.TestCase):
    def test_stackset_is_service_managed_with_auto_deployment_and_regions_as_parameters(self):
        res = template("organization.yaml")["Resources"]["MemberStackSet"]["Properties"]
        self.assertEqual(res["PermissionModel"], "SERVICE_MANAGED")
        self.assertEqual(res["AutoDeployment"]["Enabled"], True)
        self.assertEqual(res["StackInstancesGroup"][0]["Regions"], [{"Ref": "HomeRegion"}])
        params = {p["ParameterKey"]: p["ParameterValue"] for p in res["Parameters"]}
        self.assertEqual(params["DeployBootstrap"], "false", "the bootstrap runs only in the management account")


if __name__ == "__main__":
    unittest.main()
