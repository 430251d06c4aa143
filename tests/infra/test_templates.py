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
TARGET = json.loads(
    subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=ROOT, check=True,
                   capture_output=True, text=True).stdout
)["target_directory"]  # CARGO_TARGET_DIR, build.target-dir or target/
CLI = os.environ.get("SWB_CLI", str(Path(TARGET) / "debug" / "superwerker-backup"))
FIXTURES = ROOT / "tests" / "fixtures" / "cloudtrail"
KEY = "superwerker:backup"
# Function → (its role, the code's name for it in `superwerker-backup iam-actions`).
FUNCTIONS = {
    "TaggerFunction": ("TaggerRole", "backup-tagger"),
    "BackfillFunction": ("BackfillRole", "backup-backfill"),
    "BootstrapFunction": ("BootstrapRole", "backup-bootstrap"),
    "AlertsFunction": ("AlertsRole", "backup-alerts"),
}
TAGGING_ACTIONS = {
    "ec2:CreateTags", "dynamodb:TagResource", "rds:AddTagsToResource", "elasticfilesystem:TagResource", "fsx:TagResource"
}
# What the Lambda service does with a function's role (its logs, its on-failure destination), not the code.
RUNTIME_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage"}


def template(name="template.yaml"):
    doc, matches = decode(str(ROOT / "infra" / name))
    if matches:
        raise AssertionError(f"{name} does not parse: {matches}")
    return doc


def cli(*args):
    return json.loads(subprocess.run([CLI, *args], check=True, capture_output=True, text=True).stdout)


def as_list(v):
    return v if isinstance(v, list) else [v]


def policy_statements(resources, role, name=None):
    """Statements of a role's inline policies (all, or the one called `name`)."""
    for policy in resources[role]["Properties"].get("Policies", []):
        if name is None or policy["PolicyName"] == name:
            for statement in policy["PolicyDocument"]["Statement"]:
                # A statement only some stacks have (Fn::If with AWS::NoValue): counted, as the code may make the call.
                if "Fn::If" in statement:
                    yield from (b for b in statement["Fn::If"][1:] if b != {"Ref": "AWS::NoValue"})
                else:
                    yield statement


def attached_statements(resources, role):
    """Statements of the template's managed policies attached to the role."""
    for ref in resources[role]["Properties"].get("ManagedPolicyArns", []):
        if isinstance(ref, dict) and "Ref" in ref:
            yield from resources[ref["Ref"]]["Properties"]["PolicyDocument"]["Statement"]


def code_statements(resources, role):
    return list(policy_statements(resources, role, "code")) + list(attached_statements(resources, role))


class IamTest(unittest.TestCase):
    def test_each_function_is_granted_exactly_the_actions_its_code_declares(self):
        declared = cli("iam-actions")
        resources = template()["Resources"]
        for logical, (role, function) in FUNCTIONS.items():
            self.assertEqual(resources[logical]["Properties"]["Role"], {"Fn::GetAtt": [role, "Arn"]}, logical)
            granted = {a for s in code_statements(resources, role) for a in as_list(s["Action"])}
            self.assertEqual(granted, set(declared[function]), f"{role} vs the code's list for {function}")
            roles_policies = {p["PolicyName"] for p in resources[role]["Properties"]["Policies"]}
            self.assertEqual(roles_policies, {"code", "lambda-runtime"}, role)

    def test_the_runtime_policy_covers_only_the_own_log_group_and_the_dead_letter_queue(self):
        resources = template()["Resources"]
        for logical, (role, _) in FUNCTIONS.items():
            log_group = resources[logical]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
            for s in policy_statements(resources, role, "lambda-runtime"):
                actions = set(as_list(s["Action"]))
                self.assertLessEqual(actions, RUNTIME_ACTIONS, role)
                expected = log_group if actions <= {"logs:CreateLogStream", "logs:PutLogEvents"} else "DeadLetterQueue"
                self.assertEqual(s["Resource"], {"Fn::GetAtt": [expected, "Arn"]}, f"{role} {s['Sid']}")

    def test_no_wildcard_actions(self):
        resources = template()["Resources"]
        for role, _ in FUNCTIONS.values():
            for s in code_statements(resources, role) + list(policy_statements(resources, role)):
                self.assertFalse(any("*" in a for a in as_list(s["Action"])), f"{role}: {s['Action']}")

    def test_tagging_is_restricted_to_our_key_daily_and_to_resources_without_the_key(self):
        resources = template()["Resources"]
        for role in ("TaggerRole", "BackfillRole"):
            tagging = [s for s in code_statements(resources, role) if TAGGING_ACTIONS & set(as_list(s["Action"]))]
            self.assertEqual({a for s in tagging for a in as_list(s["Action"])}, TAGGING_ACTIONS, role)
            for s in tagging:
                cond = s["Condition"]
                self.assertEqual(cond["ForAllValues:StringEquals"], {"aws:TagKeys": [KEY]}, role)
                # The never-overwrite guard: AWS refuses the write on a resource that already has the key.
                self.assertEqual(cond["Null"], {f"aws:ResourceTag/{KEY}": "true"}, role)
                if as_list(s["Action"]) != ["dynamodb:TagResource"]:
                    self.assertEqual(set(cond), {"ForAllValues:StringEquals", "StringEquals", "Null"}, s["Sid"])
                    self.assertEqual(cond["StringEquals"], {f"aws:RequestTag/{KEY}": "daily"}, s["Sid"])

    def test_dynamodb_tagging_statement_works_with_and_without_abac(self):
        """The statement's shape, read from the template (no offline IAM evaluator exists; SECURITY.md walks through
        both ABAC states with the IAM user guide's operator semantics). With ABAC off, DynamoDB evaluates tag
        conditions "as if no tags are present for your resources or API requests" (DynamoDB developer guide,
        abac-enable-ddb): aws:RequestTag must therefore be tested with ...IfExists, or no table is ever tagged."""
        resources = template()["Resources"]
        grants = [
            (where, s)
            for where in resources
            if resources[where]["Type"] in ("AWS::IAM::Role", "AWS::IAM::ManagedPolicy")
            for s in (
                list(policy_statements(resources, where))
                if resources[where]["Type"] == "AWS::IAM::Role"
                else resources[where]["Properties"]["PolicyDocument"]["Statement"]
            )
            if "dynamodb:TagResource" in as_list(s["Action"])
        ]
        self.assertEqual([w for w, _ in grants], ["GuardedTaggingPolicy"], "one statement grants dynamodb:TagResource")
        statement = grants[0][1]
        self.assertEqual(statement["Action"], "dynamodb:TagResource")
        self.assertEqual(
            statement["Condition"],
            {
                "ForAllValues:StringEquals": {"aws:TagKeys": [KEY]},
                "StringEqualsIfExists": {f"aws:RequestTag/{KEY}": "daily"},
                "Null": {f"aws:ResourceTag/{KEY}": "true"},
            },
        )
        self.assertEqual(
            statement["Resource"],
            {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*"},
        )

    def test_organizations_writes_are_limited_to_tag_and_backup_policies(self):
        resources = template()["Resources"]
        for s in code_statements(resources, "BootstrapRole"):
            writes = {a for a in as_list(s["Action"]) if a.startswith("organizations:")} - {
                "organizations:DescribeOrganization",
                "organizations:ListRoots",
            }
            if writes:
                self.assertEqual(
                    s["Condition"], {"StringEquals": {"organizations:PolicyType": ["TAG_POLICY", "BACKUP_POLICY"]}},
                    s["Sid"],
                )

    def test_the_sweep_is_told_its_topic_and_its_dead_letter_queue(self):
        env = template()["Resources"]["BackfillFunction"]["Properties"]["Environment"]["Variables"]
        # The names of crates/sweep/src/lib.rs ENV_ALERT_TOPIC_ARN and ENV_DEAD_LETTER_QUEUE_URL.
        self.assertEqual(env["SUPERWERKER_BACKUP_DEAD_LETTER_QUEUE_URL"], {"Ref": "DeadLetterQueue"})
        self.assertIn("SUPERWERKER_BACKUP_ALERT_TOPIC_ARN", env)
        sweep = (ROOT / "crates" / "sweep" / "src" / "lib.rs").read_text()
        for name in ("SUPERWERKER_BACKUP_DEAD_LETTER_QUEUE_URL", "SUPERWERKER_BACKUP_ALERT_TOPIC_ARN"):
            self.assertIn(f'= "{name}";', sweep, name)

    def test_the_sweeps_chain_has_its_table_and_its_tick(self):
        resources = template()["Resources"]
        env = resources["BackfillFunction"]["Properties"]["Environment"]["Variables"]
        main = (ROOT / "crates" / "sweep" / "src" / "main.rs").read_text()
        self.assertIn('ENV_CHAIN_TABLE: &str = "SUPERWERKER_BACKUP_SWEEP_CHAIN_TABLE";', main)
        self.assertEqual(env["SUPERWERKER_BACKUP_SWEEP_CHAIN_TABLE"], {"Ref": "SweepChainTable"})
        table = resources["SweepChainTable"]["Properties"]
        self.assertEqual(table["KeySchema"], [{"AttributeName": "id", "KeyType": "HASH"}],
                         "crates/aws/src/chain_record.rs keys the item by id")
        self.assertIn({"Key": "superwerker:backup", "Value": "none"}, table["Tags"], "opted out: never backed up")
        (statement,) = [s for s in code_statements(resources, "BackfillRole") if s.get("Sid") == "SweepChainRecord"]
        self.assertEqual(statement["Resource"], {"Fn::GetAtt": ["SweepChainTable", "Arn"]}, "that table only")
        rule = resources["SweepContinueRule"]["Properties"]
        (target,) = rule["Targets"]
        chain = (ROOT / "crates" / "sweep" / "src" / "chain.rs").read_text()
        self.assertIn('CONTINUE_INPUT: &str = "continue";', chain)
        self.assertEqual(json.loads(target["Input"]), {"sweep": "continue"})
        # A tick at most every 15 minutes: a step claims the chain for its invocation (at most 900 s) and a minute.
        self.assertEqual(rule["ScheduleExpression"], "rate(15 minutes)")

    def test_the_dead_letter_queue_admits_only_our_rules(self):
        resources = template()["Resources"]
        statement = resources["DeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
        rules = sorted(k for k, v in resources.items() if v["Type"] == "AWS::Events::Rule")
        self.assertEqual(statement["Principal"], {"Service": "events.amazonaws.com"})
        self.assertEqual(
            sorted(if_present(a)["Fn::GetAtt"][0] for a in statement["Condition"]["ArnEquals"]["aws:SourceArn"]), rules
        )


def targets(rule_properties):
    """A rule's targets; for `Targets: !If [condition, a, b]` (per-account or central alerts), those of both."""
    t = rule_properties["Targets"]
    if isinstance(t, dict) and "Fn::If" in t:
        return t["Fn::If"][1] + t["Fn::If"][2]
    return t


def if_present(value):
    """`value`, or the present branch of `!If [condition, value, !Ref AWS::NoValue]`."""
    if isinstance(value, dict) and "Fn::If" in value and value["Fn::If"][2] == {"Ref": "AWS::NoValue"}:
        return value["Fn::If"][1]
    return value


def rules_targeting(resources, function):
    return {
        name: res["Properties"]
        for name, res in resources.items()
        if res["Type"] == "AWS::Events::Rule"
        and any(t["Arn"] == {"Fn::GetAtt": [function, "Arn"]} for t in targets(res["Properties"]))
    }


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
        rules = rules_targeting(template()["Resources"], "TaggerFunction")
        cls.patterns = {name: props["EventPattern"] for name, props in rules.items()}

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


class DeliveryTest(unittest.TestCase):
    def test_every_rule_retries_delivery_then_keeps_the_event_and_may_invoke_its_function(self):
        resources = template()["Resources"]
        rules = {k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::Events::Rule"}
        sources = {e["source"] for e in cli("handled-events")}
        self.assertEqual(len(rules_targeting(resources, "TaggerFunction")), len(sources), "one rule per source")
        self.assertEqual(sorted(rules_targeting(resources, "BackfillFunction")), ["SweepContinueRule", "SweepRule"])
        permissions = {
            (v["Properties"]["FunctionName"]["Ref"], v["Properties"]["SourceArn"]["Fn::GetAtt"][0])
            for v in resources.values()
            if v["Type"] == "AWS::Lambda::Permission"
        }
        topic_policy = resources["AlertTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
        for name, rule in rules.items():
            for target in targets(rule):
                self.assertEqual(target["DeadLetterConfig"], {"Arn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}}, name)
                if target["Arn"] != {"Ref": "CentralAlertBusArn"}:  # a bus target keeps EventBridge's retry policy
                    self.assertIn("MaximumRetryAttempts", target["RetryPolicy"], name)
                if "Fn::GetAtt" in target["Arn"]:
                    self.assertIn((target["Arn"]["Fn::GetAtt"][0], name), permissions, f"{name} may not invoke it")
                elif target["Arn"] == {"Ref": "CentralAlertBusArn"}:  # forwarded with the stack's role
                    self.assertEqual(target["RoleArn"], {"Fn::GetAtt": ["AlertForwardRole", "Arn"]}, name)
                else:  # the alert topic (tests/infra/test_alerts.py)
                    self.assertIn({"Fn::GetAtt": [name, "Arn"]},
                                  topic_policy["Condition"]["ArnEquals"]["aws:SourceArn"])

    def test_function_errors_are_retried_by_lambda_and_the_sweep_is_not_rerun(self):
        """EventBridge invokes Lambda asynchronously: Lambda retries a function error (async invocation config), the
        rule's RetryPolicy covers only delivery. The tagger keeps Lambda's 2 retries; a sweep is not rerun."""
        resources = template()["Resources"]
        configs = {
            v["Properties"]["FunctionName"]["Ref"]: v["Properties"]
            for v in resources.values()
            if v["Type"] == "AWS::Lambda::EventInvokeConfig"
        }
        self.assertEqual(configs["TaggerFunction"]["MaximumRetryAttempts"], 2)
        self.assertEqual(configs["BackfillFunction"]["MaximumRetryAttempts"], 0)
        for config in configs.values():
            self.assertEqual(
                config["DestinationConfig"]["OnFailure"]["Destination"], {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
            )

    def test_no_reserved_concurrency_by_default(self):
        """Lambda refuses a reservation that leaves the account below its unreserved minimum; new accounts often have
        a concurrency quota of 10 (Lambda developer guide, configuration-concurrency)."""
        doc = template()
        self.assertEqual(doc["Parameters"]["TaggerReservedConcurrency"]["Default"], 0)
        for name, res in doc["Resources"].items():
            if res["Type"] == "AWS::Lambda::Function":
                value = res["Properties"].get("ReservedConcurrentExecutions")
                self.assertIn(value, (None, {"Fn::If": ["WithTaggerReservation", {"Ref": "TaggerReservedConcurrency"},
                                                        {"Ref": "AWS::NoValue"}]}), name)


if __name__ == "__main__":
    unittest.main()
