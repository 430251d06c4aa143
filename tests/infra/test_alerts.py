"""The alerts of infra/template.yaml (README, Alerts), against AWS Backup's documented events and the emulator.

- Event patterns: the template's alert rules are created in moto with an SQS target (moto's real pattern matcher),
  AWS Backup's example events from its EventBridge page (tests/fixtures/backup-events, sources in its README) are put,
  in every job state of the API reference's BackupJobState / CopyJobState enums, and what arrives is read back: the
  failed states and "completed with issues" arrive, a plain COMPLETED, the running states and other sources do not.
- The rule -> topic hop: moto's EventBridge cannot deliver to an SNS target, so it is checked in the template (each
  rule targets the topic, the topic policy admits exactly those rules); the topic -> subscriber hop runs in moto's
  SNS with an SQS subscription.
- The message: each rule's input transformer is applied to the fixtures as EventBridge documents it (placeholders
  `<name>` replaced by the value at the InputPathsMap path; EventBridge user guide, "Amazon EventBridge input
  transformation") and read field by field.
- Alarms: moto never evaluates alarms, so metric, namespace, dimensions, threshold, missing data and action are
  checked from the template.
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

from test_templates import CLI, template

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "fixtures" / "backup-events"
BACKUP_JOB_STATES = ["CREATED", "PENDING", "RUNNING", "ABORTING", "ABORTED", "COMPLETED", "FAILED", "EXPIRED",
                     "PARTIAL"]  # BackupJobState (AWS Backup API reference)
COPY_JOB_STATES = ["CREATED", "RUNNING", "COMPLETED", "FAILED", "PARTIAL"]  # CopyJobState
ALERT_RULES = ("BackupJobAlertRule", "CopyJobAlertRule")
ALARM = ROOT / "tests" / "fixtures" / "alarm-events" / "alarm-state-change-single-metric.aws-docs.json"
TOPIC = {"Fn::If": ["WithOwnAlertTopic", {"Ref": "AlertTopic"}, {"Ref": "AlertTopicArn"}]}


def branch(rule, central):
    """The rule's one target with central alerts (ForwardsAlerts) or without."""
    (target,) = rule["Properties"]["Targets"]["Fn::If"][1 if central else 2]
    return target


def substituted(value, values):
    """`value` with every `Fn::Sub` string resolved from `values` (pseudo parameters and parameters)."""
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        text = value["Fn::Sub"]
        for k, v in values.items():
            text = text.replace("${" + k + "}", v)
        return text
    if isinstance(value, dict):
        return {k: substituted(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [substituted(v, values) for v in value]
    return value


def cli_lines(*args):
    return subprocess.run([CLI, *args], check=True, capture_output=True, text=True).stdout.splitlines()


def fixture(detail_type):
    """The first documented example event of `detail_type`."""
    for path in sorted(EVENTS.glob("*.json")):
        event = json.loads(path.read_text())
        if event.get("detail-type") == detail_type:
            return event
    raise AssertionError(f"no fixture of {detail_type} in {EVENTS}")


def variants():
    """(tag, event, should it alert) for every state of both job kinds, with and without a status message."""
    out = []
    for detail_type, states, alerting in (
        ("Backup Job State Change", BACKUP_JOB_STATES, {"FAILED", "ABORTED", "EXPIRED", "PARTIAL"}),
        ("Copy Job State Change", COPY_JOB_STATES, {"FAILED", "PARTIAL"}),
    ):
        base = fixture(detail_type)
        # A status message as AWS Backup writes them, an empty one (the documented PENDING example has ""), none.
        for state in states:
            for message in ('"Windows VSS Backup Job Error encountered"', "", None):
                e = copy.deepcopy(base)
                e["detail"]["state"] = state
                if message is None:
                    e["detail"].pop("statusMessage", None)
                else:
                    e["detail"]["statusMessage"] = message
                issues = state == "COMPLETED" and bool(message) and detail_type == "Backup Job State Change"
                out.append((f"{detail_type}/{state}/{message!r}", e, state in alerting or issues))
    other = copy.deepcopy(fixture("Backup Job State Change"))
    other["source"] = "aws.ec2"
    other["detail"]["state"] = "FAILED"
    out.append(("other-source", other, False))
    return out


def render(target, event):
    """The message EventBridge makes with the target's input transformer (EventBridge user guide, input
    transformation): a variable placed as a JSON value becomes the value's JSON; inside a quoted string its text is
    inserted as is, not escaped ("EventBridge doesn't escape values extracted by Input Path"); the predefined
    `aws.events.event.json` is the whole event. The result must be valid JSON, or EventBridge could not deliver it."""
    t = target["InputTransformer"]
    values = {}
    for name, path in t["InputPathsMap"].items():
        value = event
        for part in path.removeprefix("$.").split("."):
            value = value.get(part) if isinstance(value, dict) else None
        values[name] = value
    values["aws.events.event.json"] = event
    out, in_string, i, text = [], False, 0, t["InputTemplate"]
    while i < len(text):
        c = text[i]
        if c == "<" and text.find(">", i) > i and text[i + 1:text.find(">", i)] in values:
            end = text.find(">", i)
            value = values[text[i + 1:end]]
            out.append(str(value) if in_string else json.dumps(value))
            i = end + 1
            continue
        if c == "\\" and in_string:
            out.append(text[i:i + 2])
            i += 2
            continue
        if c == '"':
            in_string = not in_string
        out.append(c)
        i += 1
    return json.loads("".join(out))


class AlertPatternTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.environ.get("AWS_ENDPOINT_URL", "").startswith("http://127.0.0.1:"):
            raise AssertionError("run through make test: the pattern tests need the local emulator")
        cls.resources = template()["Resources"]
        cls.events, cls.sqs, cls.sns = boto3.client("events"), boto3.client("sqs"), boto3.client("sns")

    def queue(self, name):
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    def drain(self, url, wait=8):
        got, deadline = [], time.time() + wait
        while time.time() < deadline:
            msgs = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            if not msgs and got:
                break
            for m in msgs:
                got.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return got

    def test_failed_aborted_expired_partial_and_completed_with_issues_arrive_and_nothing_else(self):
        bus = f"alerts-{uuid.uuid4().hex[:8]}"
        self.events.create_event_bus(Name=bus)
        url, arn = self.queue(bus)
        for name in ALERT_RULES:
            pattern = self.resources[name]["Properties"]["EventPattern"]
            self.events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern))
            self.events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
        cases = variants()
        for i in range(0, len(cases), 10):
            entries = [{"Source": e["source"], "DetailType": e["detail-type"], "EventBusName": bus,
                        "Detail": json.dumps(dict(e["detail"], tag=tag))} for tag, e, _ in cases[i:i + 10]]
            self.assertEqual(self.events.put_events(Entries=entries)["FailedEntryCount"], 0)
        received = {m["detail"]["tag"] for m in self.drain(url)}
        expected = {tag for tag, _, alerts in cases if alerts}
        self.assertEqual(len(expected), 19, "backup FAILED, ABORTED, EXPIRED, PARTIAL whatever the message, "
                                            "COMPLETED with one; copy FAILED, PARTIAL whatever the message")
        self.assertEqual(received, expected)

    def test_each_rule_publishes_to_the_topic_whose_policy_admits_exactly_the_rules(self):
        topic = TOPIC
        for name in ALERT_RULES:
            target = branch(self.resources[name], central=False)
            self.assertEqual(target["Arn"], topic, name)
        (events_statement, alarms_statement, _digests) = self.resources["AlertTopicPolicy"]["Properties"][
            "PolicyDocument"]["Statement"]
        self.assertEqual(events_statement["Principal"], {"Service": "events.amazonaws.com"})
        self.assertEqual(events_statement["Action"], "sns:Publish")
        self.assertEqual(events_statement["Condition"]["ArnEquals"]["aws:SourceArn"],
                         [{"Fn::GetAtt": [n, "Arn"]} for n in ALERT_RULES])
        self.assertEqual(alarms_statement["Principal"], {"Service": "cloudwatch.amazonaws.com"})
        self.assertIn("aws:SourceAccount", alarms_statement["Condition"]["StringEquals"])

    def test_the_message_names_account_region_resource_type_state_aws_message_and_the_job(self):
        for detail_type, rule, kind in (("Backup Job State Change", "BackupJobAlertRule", "backup"),
                                        ("Copy Job State Change", "CopyJobAlertRule", "copy")):
            target = branch(self.resources[rule], central=False)
            for path in sorted(EVENTS.glob("*.json")):
                event = json.loads(path.read_text())
                if event["detail-type"] != detail_type or "resourceArn" not in event["detail"]:
                    continue
                message = render(target, event)  # AWS's quoted status messages included: valid JSON
                d = event["detail"]
                self.assertIn(d["state"], message["alert"], path.name)
                self.assertEqual((message["resource"], message["resourceType"]), (d["resourceArn"], d["resourceType"]))
                self.assertEqual((message["account"], message["region"]), (event["account"], event["region"]))
                job = d["backupJobId"] if kind == "backup" else d["copyJobId"]
                self.assertEqual(message["job"], f"https://{event['region']}.console.aws.amazon.com/backup/home"
                                                 f"?region={event['region']}#/jobs/{kind}/details/{job}")
                self.assertEqual(message["event"]["detail"].get("statusMessage"), d.get("statusMessage"), path.name)
        backup = json.loads((EVENTS / "backup-job-failed.aws-docs.json").read_text())
        target = branch(self.resources["BackupJobAlertRule"], central=False)
        message = json.dumps(render(target, backup))

        # Delivery to a subscriber, in the emulator's SNS (an SQS subscription): the message arrives unchanged. This is
        # the emulator's SNS, not our wiring; the wiring is checked in the template above and after a deploy.
        topic = self.sns.create_topic(Name=f"alerts-{uuid.uuid4().hex[:8]}")["TopicArn"]
        url, arn = self.queue(f"sub-{uuid.uuid4().hex[:8]}")
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        self.sns.publish(TopicArn=topic, Message=message)
        (delivered,) = self.drain(url)
        self.assertEqual(delivered["Message"], message)


class CentralAlertTest(unittest.TestCase):
    """Organization-wide alerts (ForwardsAlerts in every other stack, ReceivesOrganizationAlerts in the management
    account's home region): the forwarding rules' and the central rule's patterns in moto's matcher, the wiring from
    the template. The whole path through deployed stacks runs in test_deploy.py; the function in
    tests/tests/alerts_emulator.rs."""
    VALUES = {"AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "210987654321",
              "NamePrefix": "superwerker-backup"}

    @classmethod
    def setUpClass(cls):
        cls.resources = template()["Resources"]
        cls.events, cls.sqs = boto3.client("events"), boto3.client("sqs")

    def arrivals(self, rule, cases):
        """Which tagged cases the rule's pattern (parameters substituted) lets through, in moto."""
        bus = f"central-{uuid.uuid4().hex[:8]}"
        self.events.create_event_bus(Name=bus)
        url = self.sqs.create_queue(QueueName=bus)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        pattern = substituted(self.resources[rule]["Properties"]["EventPattern"], self.VALUES)
        self.events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps(pattern))
        self.events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
        for tag, e, _ in cases:
            entry = {"Source": e["source"], "DetailType": e["detail-type"], "EventBusName": bus,
                     "Detail": json.dumps(dict(e["detail"], tag=tag)), "Resources": e.get("resources", [])}
            self.assertEqual(self.events.put_events(Entries=[entry])["FailedEntryCount"], 0)
        got, deadline = set(), time.time() + 8
        while time.time() < deadline:
            msgs = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            if not msgs and got:
                break
            got |= {json.loads(m["Body"])["detail"]["tag"] for m in msgs}
        return got

    def alarm_cases(self):
        base = json.loads(ALARM.read_text())
        out = []
        for name, account, state, alerts in (
            ("superwerker-backup-no-sweep", "210987654321", "ALARM", True),
            ("superwerker-backup-dlq", "210987654321", "OK", False),
            ("ServerCpuTooHigh", "210987654321", "ALARM", False),
            ("superwerker-backup-dlq", "999999999999", "ALARM", None),  # another account's: only central sees it
        ):
            e = copy.deepcopy(base)
            e["detail"]["alarmName"] = name
            e["detail"]["state"]["value"] = state
            e["resources"] = [f"arn:aws:cloudwatch:eu-west-1:{account}:alarm:{name}"]
            out.append((f"{name}/{account}/{state}", e, alerts))
        return out

    def test_a_stack_forwards_its_own_alarms_going_into_alarm_and_nothing_else(self):
        cases = self.alarm_cases()
        got = self.arrivals("AlarmForwardRule", cases)
        self.assertEqual(got, {tag for tag, _, alerts in cases if alerts})

    def test_the_central_rule_lets_through_exactly_what_the_stacks_forward(self):
        jobs = variants()
        alarms = [(t, e, a is not False) for t, e, a in self.alarm_cases()]
        got = self.arrivals("CentralAlertRule", jobs + alarms)
        self.assertEqual(got, {tag for tag, _, alerts in jobs + alarms if alerts})

    def test_forwarding_uses_the_stacks_role_which_may_only_put_events_on_the_central_bus(self):
        for name in ALERT_RULES:
            self.assertEqual(branch(self.resources[name], central=False)["Arn"], TOPIC)
            target = branch(self.resources[name], central=True)
            self.assertEqual(target["Arn"], {"Ref": "CentralAlertBusArn"}, name)
            self.assertNotIn("InputTransformer", target, "the central function formats, from the whole event")
        (target,) = self.resources["AlarmForwardRule"]["Properties"]["Targets"]
        for t in [target] + [branch(self.resources[n], central=True) for n in ALERT_RULES]:
            self.assertEqual(t["RoleArn"], {"Fn::GetAtt": ["AlertForwardRole", "Arn"]})
        role = self.resources["AlertForwardRole"]["Properties"]
        (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
        self.assertEqual(trust["Principal"], {"Service": "events.amazonaws.com"})
        self.assertEqual(trust["Condition"]["StringEquals"], {"aws:SourceAccount": {"Ref": "AWS::AccountId"}})
        self.assertEqual(substituted(trust["Condition"]["ArnLike"]["aws:SourceArn"], self.VALUES),
                         "arn:aws:events:eu-west-1:210987654321:rule/superwerker-backup-*", "only the stack's rules")
        for t in [target] + [branch(self.resources[n], central=True) for n in ALERT_RULES]:
            self.assertNotIn("RetryPolicy", t, "a bus target takes EventBridge's own retry policy")
        ((policy,),) = [p["PolicyDocument"]["Statement"] for p in role["Policies"]]
        self.assertEqual((policy["Action"], policy["Resource"]), ("events:PutEvents", {"Ref": "CentralAlertBusArn"}))

    def test_the_central_bus_admits_the_organization_and_its_rule_invokes_the_formatter(self):
        r = self.resources
        statement = r["CentralAlertBusPolicy"]["Properties"]["Statement"]
        self.assertEqual(statement["Condition"], {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "AlertOrganizationId"}}})
        self.assertEqual((statement["Effect"], statement["Action"]), ("Allow", "events:PutEvents"))
        self.assertEqual((statement["Principal"], statement["Resource"]), ("*", {"Fn::GetAtt": ["CentralAlertBus", "Arn"]}))
        rule = r["CentralAlertRule"]["Properties"]
        self.assertEqual(rule["EventBusName"], {"Ref": "CentralAlertBus"})
        (target,) = rule["Targets"]
        self.assertEqual(target["Arn"], {"Fn::GetAtt": ["AlertsFunction", "Arn"]})
        self.assertEqual(r["AlertsPermission"]["Properties"]["SourceArn"], {"Fn::GetAtt": ["CentralAlertRule", "Arn"]})
        env = r["AlertsFunction"]["Properties"]["Environment"]["Variables"]
        self.assertEqual(env["SUPERWERKER_BACKUP_ALERT_TOPIC_ARN"], TOPIC)
        for name in ("CentralAlertBus", "CentralAlertBusPolicy", "CentralAlertRule", "AlertsFunction", "AlertsRole"):
            self.assertEqual(r[name]["Condition"], "ReceivesOrganizationAlerts", name)
        (digests,) = [s["Fn::If"][1] for s in r["AlertTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
                      if "Fn::If" in s]
        self.assertEqual(digests["Condition"]["StringEquals"], {"aws:PrincipalOrgID": {"Ref": "AlertOrganizationId"}})
        self.assertEqual(substituted(digests["Condition"]["ArnLike"]["aws:PrincipalArn"], self.VALUES),
                         "arn:aws:iam::*:role/superwerker-backup-sweep-*", "only the organization's sweep roles")
        self.assertEqual(substituted(r["BackfillRole"]["Properties"]["RoleName"], self.VALUES),
                         "superwerker-backup-sweep-eu-west-1", "the sweep role's name the topic policy admits")
        self.assertEqual((digests["Action"], digests["Principal"], digests["Resource"]),
                         ("sns:Publish", {"AWS": "*"}, {"Ref": "AlertTopic"}))


class AlarmTest(unittest.TestCase):
    EXPECTED = {  # alarm: (namespace, metric, dimension name, dimension value, statistic)
        "DeadLetterAlarm": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName",
                            {"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]}, "Maximum"),
        "TaggerErrorAlarm": ("AWS/Lambda", "Errors", "FunctionName", {"Ref": "TaggerFunction"}, "Sum"),
    }
    SWEEP = {"SweepPartialAlarm": "SweepPartial", "SweepMissingAlarm": "SweepSucceeded"}

    def alarms(self):
        resources = template()["Resources"]
        return {k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"}

    def test_the_sweeps_metric_lines_match_its_alarms(self):
        """The lines the sweep logs (`superwerker-backup sweep-metric-lines`, the function the Lambda calls; the
        Lambda's own line is read from its log in tests/tests/backfill_emulator.rs): namespace, dimension and metric
        names are the alarms'; a partial sweep breaches the partial alarm, a succeeded one the missing alarm's
        threshold is met by."""
        succeeded, partial = [json.loads(line) for line in cli_lines("sweep-metric-lines")]
        alarms = self.alarms()
        for name, metric in self.SWEEP.items():
            a = alarms[name]
            for line in (succeeded, partial):
                (spec,) = line["_aws"]["CloudWatchMetrics"]
                self.assertEqual(spec["Namespace"], a["Namespace"], name)
                self.assertIn(metric, [m["Name"] for m in spec["Metrics"]])
                self.assertEqual(spec["Dimensions"], [[d["Name"] for d in a["Dimensions"]]], name)
            self.assertEqual(a["Dimensions"], [{"Name": "FunctionName", "Value": {"Ref": "BackfillFunction"}}])
        p, m = alarms["SweepPartialAlarm"], alarms["SweepMissingAlarm"]
        self.assertGreater(partial["SweepPartial"], p["Threshold"])
        self.assertEqual((p["ComparisonOperator"], succeeded["SweepPartial"]), ("GreaterThanThreshold", 0))
        self.assertEqual((m["ComparisonOperator"], m["Statistic"]), ("LessThanThreshold", "Sum"))
        self.assertGreaterEqual(succeeded["SweepSucceeded"], m["Threshold"], "one succeeded sweep is enough")
        self.assertLess(partial["SweepSucceeded"], m["Threshold"], "a partial sweep is no success")
        self.assertEqual(m["TreatMissingData"], "breaching", "no sweep at all must alarm")
        self.assertEqual(m["Period"] * m["EvaluationPeriods"], 26 * 3600)
        self.assertEqual(m["DatapointsToAlarm"], m["EvaluationPeriods"])

    def test_every_alarm_fits_cloudwatchs_evaluation_range(self):
        """PutMetricAlarm: Period x EvaluationPeriods at most 604,800 s, and at most 86,400 s when Period < 3,600."""
        for name, a in self.alarms().items():
            limit = 604_800 if a["Period"] >= 3600 else 86_400
            self.assertLessEqual(a["Period"] * a["EvaluationPeriods"], limit, name)
            self.assertTrue(a["Period"] in (10, 20, 30) or a["Period"] % 60 == 0, name)

    def test_each_alarm_fires_on_one_and_tells_the_topic(self):
        alarms = self.alarms()
        self.assertEqual(set(alarms), set(self.EXPECTED) | set(self.SWEEP))
        # A forwarding stack's alarms have no action: their state changes go to the central bus (AlarmForwardRule).
        topic = {"Fn::If": ["ForwardsAlerts", {"Ref": "AWS::NoValue"}, [TOPIC]]}
        for name in self.SWEEP:
            self.assertEqual(alarms[name]["AlarmActions"], topic, name)
            self.assertTrue(alarms[name]["AlarmName"]["Fn::Sub"].startswith("${NamePrefix}-"), "the topic policy")
        for name, (namespace, metric, dim, value, stat) in self.EXPECTED.items():
            a = alarms[name]
            self.assertEqual((a["Namespace"], a["MetricName"], a["Statistic"]), (namespace, metric, stat), name)
            self.assertEqual(a["Dimensions"], [{"Name": dim, "Value": value}], name)
            self.assertEqual((a["Threshold"], a["ComparisonOperator"]), (0, "GreaterThanThreshold"), name)
            self.assertEqual(a["TreatMissingData"], "notBreaching", f"{name}: no message / no invocation is no fault")
            self.assertEqual(a["AlarmActions"], topic, name)
            self.assertTrue(a["AlarmName"]["Fn::Sub"].startswith("${NamePrefix}-"), "the topic policy's ArnLike")


if __name__ == "__main__":
    unittest.main()
