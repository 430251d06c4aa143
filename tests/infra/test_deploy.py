"""The documented deploy, run as a platform engineer runs it, against the emulator.

Run by `make test` inside tests/harness/with-emulator.sh (moto with the launcher's additions; AWS_ENDPOINT_URL set),
after `make package` built dist/. Each test drives the real Make targets (`make publish`, `make deploy`,
`make deploy-organization`), which run infra/deploy through the standard AWS chain, and then reads what exists through
the services' own APIs, in every account and region:

- Organization rollout: an organization of the management account and four members in two OUs and the root; the
  StackSet targets the two OUs in two regions. moto follows one level of child OUs and deploys a root target into the
  management account too (AWS does not), so OUs are targeted, one level deep. moto hides service-managed instance
  stacks from ListStacks in the member account: instances are read with ListStackInstances, and the resources
  themselves with credentials of each member account (STS AssumeRole, which moto maps to that account).
- moto does not check that Lambda code comes from a bucket in the function's own region (AWS does: Lambda API
  reference, FunctionCode.S3Bucket), so `make publish PUBLISH_ARGS=--mark-region` makes each region's zips differ
  (a region.txt inside) and each function's CodeSha256 shows which bucket its code came from.
- Single account: `make deploy` with nothing but a region in the environment; a second run changes nothing.
"""
import json
import os
import sys
import unittest
import uuid
from pathlib import Path

import boto3
from cfnlint.decode import cfn_yaml, decode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra" / "deploy"))
sys.path.insert(0, str(ROOT / "tests" / "harness"))

from publish import region_marked  # noqa: E402
from stackset import management_deploy_command  # noqa: E402

MANAGEMENT = "123456789012"
TAGGER_RULES = {"dynamodb", "ec2", "efs", "fsx", "rds", "tagging"}
VAULT = "superwerker-backup"
SERVICE_ROLE = "AWSBackupDefaultServiceRole"


from deploy_support import (  # noqa: E402
    code_sha256, endpoint, in_account, make, readme_steps, reset_emulator, run_step, setting, trusted_accounts,
)

ORG_STEPS = readme_steps("### Steps: the whole organization")
REGIONS = setting(ORG_STEPS, "REGIONS").split(",")
PREFIX = setting(ORG_STEPS, "ARTIFACT_BUCKET_PREFIX")
CENTRAL_BUS = f"arn:aws:events:{REGIONS[0]}:{MANAGEMENT}:event-bus/superwerker-backup-alerts"
CENTRAL_TOPIC = f"arn:aws:sns:{REGIONS[0]}:{MANAGEMENT}:superwerker-backup-alerts"


def template():
    doc, matches = decode(str(ROOT / "infra" / "template.yaml"))
    assert not matches, matches
    return doc


class OrganizationRolloutTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        endpoint()
        reset_emulator()
        org = boto3.client("organizations")
        org.create_organization(FeatureSet="ALL")
        root = org.list_roots()["Roots"][0]["Id"]

        def ou(name):
            return org.create_organizational_unit(ParentId=root, Name=name)["OrganizationalUnit"]["Id"]

        def account(name, parent):
            acct = org.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]["AccountId"]
            if parent != root:
                org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=parent)
            return acct

        cls.workloads, cls.sandbox = ou("workloads"), ou("sandbox")
        cls.members = [account("prod", cls.workloads), account("staging", cls.workloads), account("play", cls.sandbox)]
        cls.outside = account("outside", root)
        cls.outputs = [run_step(cls.as_here(command)) for command in ORG_STEPS]
        cls.cfn = boto3.client("cloudformation", region_name=REGIONS[0])

    @classmethod
    def as_here(cls, command):
        """A README command with this emulator's OU ids; publish marks each region's zips (see the module doc)."""
        words = [f"OU_IDS={cls.workloads},{cls.sandbox}" if w.startswith("OU_IDS=") else w for w in command.split()]
        if words[:2] == ["make", "publish"]:
            words.append("PUBLISH_ARGS=--mark-region")
        return " ".join(words)

    def test_the_readme_steps_bootstrapped_the_organization_and_showed_the_backfill(self):
        org = boto3.client("organizations")
        for kind in ("TAG_POLICY", "BACKUP_POLICY"):
            (policy,) = org.list_policies(Filter=kind)["Policies"]
            content = json.loads(org.describe_policy(PolicyId=policy["Id"])["Policy"]["Content"])
            if kind == "BACKUP_POLICY":
                plan = content["plans"]["superwerker-backup"]
                self.assertEqual(plan["regions"]["@@assign"], REGIONS)
                self.assertEqual(plan["rules"]["backup-daily"]["target_backup_vault_name"]["@@assign"], VAULT,
                                 "the vault the stacks create")
        self.assertIn("backfill: dry run, nothing was written", self.outputs[-1])

    def test_the_stack_set_is_service_managed_plain_cloudformation(self):
        stack_set = self.cfn.describe_stack_set(StackSetName="superwerker-backup")["StackSet"]
        self.assertEqual(stack_set["PermissionModel"], "SERVICE_MANAGED")
        self.assertNotIn("Transform", cfn_yaml.loads(stack_set["TemplateBody"]))
        self.assertEqual(stack_set["TemplateBody"], (ROOT / "dist" / "template.yaml").read_text())
        params = {p["ParameterKey"]: p["ParameterValue"] for p in stack_set["Parameters"]}
        self.assertEqual(params["DeployBootstrap"], "false", "the bootstrap runs only in the management account")
        self.assertEqual(params["HomeRegion"], REGIONS[0])
        self.assertEqual(params["AuditFromAccounts"], MANAGEMENT, "the read-only audit role trusts the management account")
        self.assertEqual(self.cfn.describe_organizations_access()["Status"], "ENABLED")

    def test_an_instance_in_every_member_account_and_region_and_nowhere_else(self):
        pages = self.cfn.get_paginator("list_stack_instances").paginate(StackSetName="superwerker-backup")
        instances = {(s["Account"], s["Region"]) for page in pages for s in page["Summaries"]}
        self.assertEqual(instances, {(a, r) for a in self.members for r in REGIONS})

    def test_every_member_region_has_its_functions_code_from_its_own_bucket(self):
        manifest = json.loads((ROOT / "dist" / "manifest.json").read_text())
        expected = {
            (name, region): code_sha256(region_marked(ROOT / "dist" / entry["file"], region))
            for name, entry in manifest["artifacts"].items()
            for region in REGIONS
        }
        self.assertNotEqual(expected[("backup-tagger", REGIONS[0])], expected[("backup-tagger", REGIONS[1])])
        for account in self.members:
            for region in REGIONS:
                lam = in_account(account).client("lambda", region_name=region)
                for function, artifact in (("tagger", "backup-tagger"), ("backfill", "backup-backfill")):
                    config = lam.get_function(FunctionName=f"superwerker-backup-{function}")["Configuration"]
                    self.assertEqual(config["CodeSha256"], expected[(artifact, region)], f"{account} {region} {function}")
                names = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
                self.assertNotIn("superwerker-backup-bootstrap", names, "no bootstrap in member accounts")

    def test_every_member_region_has_the_rules_with_the_dead_letter_queue_and_the_retry_settings(self):
        for account in self.members:
            for region in REGIONS:
                session = in_account(account)
                events = session.client("events", region_name=region)
                sqs = session.client("sqs", region_name=region)
                lam = session.client("lambda", region_name=region)
                (queue_url,) = sqs.list_queues()["QueueUrls"]
                queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
                    "QueueArn"
                ]
                rules = {r["Name"]: r for r in events.list_rules(NamePrefix="superwerker-backup-")["Rules"]}
                alerts = {"jobs", "copy-jobs", "alarms"}
                self.assertEqual(set(rules), {f"superwerker-backup-{n}" for n in TAGGER_RULES | {"sweep", "sweep-tick"} | alerts})
                for name, rule in rules.items():
                    (target,) = events.list_targets_by_rule(Rule=name)["Targets"]
                    if name.removeprefix("superwerker-backup-") in alerts:
                        # Central alerts (the default): to the management account's bus, with this account's role.
                        self.assertEqual(target["Arn"], CENTRAL_BUS, f"{account} {region} {name}")
                        self.assertTrue(target["RoleArn"].startswith(f"arn:aws:iam::{account}:role/"), target)
                        self.assertNotIn("InputTransformer", target, "the central function formats")
                    else:
                        function = "backfill" if name.endswith(("-sweep", "-sweep-tick")) else "tagger"
                        self.assertTrue(target["Arn"].endswith(f":function:superwerker-backup-{function}"), target)
                    self.assertEqual(target["DeadLetterConfig"]["Arn"], queue_arn, f"{account} {region} {name}")
                alarms = session.client("cloudwatch", region_name=region).describe_alarms(
                    AlarmNamePrefix="superwerker-backup-")["MetricAlarms"]
                self.assertEqual({a["AlarmName"]: a["AlarmActions"] for a in alarms},
                                 {f"superwerker-backup-{n}": [] for n in ("dlq", "tag-errors", "sweep-part", "no-sweep")},
                                 "their state changes travel to the central bus (the alarms rule)")
                backfill = lam.get_function(FunctionName="superwerker-backup-backfill")["Configuration"]
                self.assertEqual(backfill["Environment"]["Variables"]["SUPERWERKER_BACKUP_ALERT_TOPIC_ARN"],
                                 CENTRAL_TOPIC, "the digest goes to the central topic")
                names = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
                self.assertNotIn("superwerker-backup-alerts", names, "the formatter lives in the management account")
                policy = json.loads(sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["Policy"])[
                    "Attributes"]["Policy"])
                sources = policy["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"]
                self.assertEqual(sorted(sources), sorted(r["Arn"] for r in rules.values()))
                retries = {
                    f: lam.get_function_event_invoke_config(FunctionName=f"superwerker-backup-{f}")
                    for f in ("tagger", "backfill")
                }
                self.assertEqual(retries["tagger"]["MaximumRetryAttempts"], 2)
                self.assertEqual(retries["backfill"]["MaximumRetryAttempts"], 0)
                for r in retries.values():
                    self.assertEqual(r["DestinationConfig"]["OnFailure"]["Destination"], queue_arn)

    def test_every_member_has_the_read_only_audit_role_the_management_account_may_enter(self):
        for account in self.members:
            role = in_account(account).client("iam").get_role(RoleName="superwerker-backup-audit")["Role"]
            self.assertEqual(trusted_accounts(role), {MANAGEMENT})

    def test_every_member_region_has_the_guarded_backfill_role_the_management_account_may_enter(self):
        for account in self.members:
            iam = in_account(account).client("iam")
            for region in REGIONS:
                role = iam.get_role(RoleName=f"superwerker-backup-backfill-{region}")["Role"]
                self.assertEqual(trusted_accounts(role), {MANAGEMENT})
                # moto's CloudFormation ignores a role's ManagedPolicyArns: that the role carries the region's
                # GuardedTaggingPolicy is checked in the template test.

    def test_the_management_accounts_home_region_keeps_the_reports_and_every_sweep_writes_there(self):
        home, _ = REGIONS
        org_id = boto3.client("organizations").describe_organization()["Organization"]["Id"]
        bucket = f"superwerker-backup-reports-{MANAGEMENT}-{home}"
        s3 = boto3.client("s3", region_name=home)
        self.assertEqual(s3.get_bucket_location(Bucket=bucket)["LocationConstraint"], home)
        (write, tls) = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
        self.assertEqual(write["Resource"], f"arn:aws:s3:::{bucket}/reports/${{aws:PrincipalAccount}}/*")
        self.assertEqual(write["Condition"], {
            "StringEquals": {"aws:PrincipalOrgID": org_id},
            "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/superwerker-backup-sweep-*"}})
        self.assertEqual(tls["Effect"], "Deny")
        for account, session in [(MANAGEMENT, boto3.Session())] + [(a, in_account(a)) for a in self.members]:
            for region in REGIONS:
                env = session.client("lambda", region_name=region).get_function(
                    FunctionName="superwerker-backup-backfill")["Configuration"]["Environment"]["Variables"]
                self.assertEqual((env["SUPERWERKER_BACKUP_REPORTS_BUCKET"], env["SUPERWERKER_BACKUP_REPORTS_REGION"],
                                  env["SUPERWERKER_BACKUP_REPORTS_OWNER"]), (bucket, home, MANAGEMENT),
                                 f"{account} {region}")

    def test_every_member_region_has_the_vault_and_every_member_the_backup_role(self):
        for account in self.members:
            session = in_account(account)
            role = session.client("iam").get_role(RoleName=SERVICE_ROLE)["Role"]
            self.assertEqual(role["Path"], "/service-role/")
            for region in REGIONS:
                vault = session.client("backup", region_name=region).describe_backup_vault(BackupVaultName=VAULT)
                self.assertTrue(vault["BackupVaultArn"].startswith(f"arn:aws:backup:{region}:{account}:"), vault)

    def test_an_account_outside_the_ous_gets_nothing(self):
        session = in_account(self.outside)
        for region in REGIONS:
            self.assertEqual(session.client("lambda", region_name=region).list_functions()["Functions"], [])

    def test_the_management_account_has_its_own_stack_in_every_region(self):
        for region in REGIONS:
            cfn = boto3.client("cloudformation", region_name=region)
            (stack,) = cfn.describe_stacks(StackName="superwerker-backup")["Stacks"]
            self.assertEqual(stack["StackStatus"], "CREATE_COMPLETE")
            params = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
            self.assertEqual((params["HomeRegion"], params["DeployBootstrap"]), (REGIONS[0], "false"))
            boto3.client("backup", region_name=region).describe_backup_vault(BackupVaultName=VAULT)
            lam = boto3.client("lambda", region_name=region)
            lam.get_function(FunctionName="superwerker-backup-tagger")

    def test_the_management_accounts_home_region_receives_the_organizations_alerts(self):
        home, other = REGIONS
        org_id = boto3.client("organizations").describe_organization()["Organization"]["Id"]
        events = boto3.client("events", region_name=home)
        bus = events.describe_event_bus(Name="superwerker-backup-alerts")
        self.assertEqual(bus["Arn"], CENTRAL_BUS)
        (statement,) = json.loads(bus["Policy"])["Statement"]
        self.assertEqual((statement["Action"], statement["Resource"]), ("events:PutEvents", CENTRAL_BUS))
        self.assertEqual(statement["Condition"], {"StringEquals": {"aws:PrincipalOrgID": org_id}})
        (rule,) = events.list_rules(EventBusName="superwerker-backup-alerts")["Rules"]
        (target,) = events.list_targets_by_rule(Rule=rule["Name"], EventBusName="superwerker-backup-alerts")["Targets"]
        lam = boto3.client("lambda", region_name=home)
        function = lam.get_function(FunctionName="superwerker-backup-alerts")["Configuration"]
        self.assertEqual(target["Arn"], function["FunctionArn"])
        self.assertEqual(function["Environment"]["Variables"]["SUPERWERKER_BACKUP_ALERT_TOPIC_ARN"], CENTRAL_TOPIC)
        topic_policy = json.loads(boto3.client("sns", region_name=home).get_topic_attributes(TopicArn=CENTRAL_TOPIC)[
            "Attributes"]["Policy"])
        org_statements = [s for s in topic_policy["Statement"] if "aws:PrincipalOrgID" in json.dumps(s)]
        self.assertEqual(len(org_statements), 1, "the organization's sweeps may publish their digests")
        self.assertEqual(org_statements[0]["Condition"], {
            "StringEquals": {"aws:PrincipalOrgID": org_id},
            "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/superwerker-backup-sweep-*"}})
        # The management account's own job events stay on its own topic in the home region; its other region
        # forwards like a member.
        (home_jobs,) = events.list_targets_by_rule(Rule="superwerker-backup-jobs")["Targets"]
        self.assertEqual(home_jobs["Arn"], CENTRAL_TOPIC)
        (other_jobs,) = boto3.client("events", region_name=other).list_targets_by_rule(
            Rule="superwerker-backup-jobs")["Targets"]
        self.assertEqual(other_jobs["Arn"], CENTRAL_BUS)
        with self.assertRaises(Exception):
            boto3.client("lambda", region_name=other).get_function(FunctionName="superwerker-backup-alerts")

    def test_a_members_job_failure_and_alarm_reach_the_central_rule(self):
        """Through the deployed rules: an event put on a member's default bus (AWS Backup's and CloudWatch's
        documented examples, injected with PutEvents, which AWS itself refuses for aws.* sources: the emulator's way to
        produce the state) is forwarded by the member's rule to the central bus (moto delivers cross-account bus
        targets) and matched by the central rule, read through a queue that stands in for the rule's Lambda target
        while the test runs (moto cannot invoke a Lambda target: it fails the PutEvents; the function is tested on its
        own in tests/tests/alerts_emulator.rs). For the same reason the member's schedule rules (the sweep and its
        tick) lose their targets meanwhile: moto matches a rule without an event pattern against every event (AWS
        runs it on its schedule only)."""
        home = REGIONS[0]
        member = self.members[0]
        events = boto3.client("events", region_name=home)
        sqs = boto3.client("sqs", region_name=home)
        url = sqs.create_queue(QueueName=f"central-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        bus = {"Rule": "superwerker-backup-org-alerts", "EventBusName": "superwerker-backup-alerts"}
        (function_target,) = events.list_targets_by_rule(**bus)["Targets"]
        events.remove_targets(**bus, Ids=[function_target["Id"]])
        events.put_targets(**bus, Targets=[{"Id": "probe", "Arn": arn}])
        member_events = in_account(member).client("events", region_name=home)
        schedules = {}
        for rule in ("superwerker-backup-sweep", "superwerker-backup-sweep-tick"):
            (schedules[rule],) = member_events.list_targets_by_rule(Rule=rule)["Targets"]
            member_events.remove_targets(Rule=rule, Ids=[schedules[rule]["Id"]])
        try:
            fixtures = ROOT / "tests" / "fixtures"
            job = json.loads((fixtures / "backup-events" / "backup-job-failed.aws-docs.json").read_text())
            job["detail"]["resourceArn"] = f"arn:aws:ec2:{home}:{member}:volume/vol-0123456789abcdef0"
            alarm = json.loads((fixtures / "alarm-events" / "alarm-state-change-single-metric.aws-docs.json")
                               .read_text())
            alarm["detail"]["alarmName"] = "superwerker-backup-no-sweep"
            other = dict(alarm, detail=dict(alarm["detail"], alarmName="someone-elses-alarm"))
            completed = json.loads((fixtures / "backup-events" / "backup-job-completed.aws-docs.json").read_text())
            for e, resource in ((job, []), (alarm, [f"arn:aws:cloudwatch:{home}:{member}:alarm:superwerker-backup-no-sweep"]),
                                (other, [f"arn:aws:cloudwatch:{home}:{member}:alarm:someone-elses-alarm"]),
                                (completed, [])):
                out = member_events.put_events(Entries=[{"Source": e["source"], "DetailType": e["detail-type"],
                                                         "Detail": json.dumps(e["detail"]), "Resources": resource}])
                self.assertEqual(out["FailedEntryCount"], 0)
            got = []
            for _ in range(10):
                got += [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                                           WaitTimeSeconds=1).get("Messages", [])]
                if len(got) >= 2:
                    break
            self.assertEqual(sorted(m["detail-type"] for m in got),
                             ["Backup Job State Change", "CloudWatch Alarm State Change"],
                             "the failed job and our alarm arrive; another alarm and a plain COMPLETED do not")
            (arrived,) = [m for m in got if m["source"] == "aws.backup"]
            self.assertEqual(arrived["detail"]["resourceArn"], job["detail"]["resourceArn"],
                             "the detail the formatter reads the account and region from travels unchanged")
        finally:
            events.remove_targets(**bus, Ids=["probe"])
            events.put_targets(**bus, Targets=[function_target])
            for rule, target in schedules.items():
                member_events.put_targets(Rule=rule, Targets=[target])

    def test_zz_a_second_run_changes_nothing(self):
        operations = self.cfn.list_stack_set_operations(StackSetName="superwerker-backup")["Summaries"]
        publish = next(c for c in ORG_STEPS if c.startswith("make publish"))
        deploy = next(c for c in ORG_STEPS if c.startswith("make deploy-organization"))
        out = run_step(self.as_here(publish))
        for region in REGIONS:
            self.assertIn(f"{region}: s3://{PREFIX}-{region} up to date; 0 uploaded", out)
        again = run_step(self.as_here(deploy))
        self.assertIn("StackSet superwerker-backup: up to date", again)
        self.assertIn("all present", again)
        for region in REGIONS:
            self.assertIn(f"{region}: management account stack superwerker-backup up to date", again)
        after = self.cfn.list_stack_set_operations(StackSetName="superwerker-backup")["Summaries"]
        self.assertEqual(len(after), len(operations), "no StackSet operation on an unchanged re-run")


class SingleAccountDeployTest(unittest.TestCase):
    def setUp(self):
        endpoint()
        reset_emulator()

    def test_make_deploy_with_only_a_region_in_the_environment_then_again_changes_nothing(self):
        env = {k: v for k, v in os.environ.items() if k not in ("AWS_REGION", "REGIONS", "ARTIFACT_BUCKET_PREFIX")}
        env["AWS_DEFAULT_REGION"] = "eu-west-1"
        first = make("deploy", env=env)
        self.assertIn("eu-west-1: stack superwerker-backup created", first)
        cfn = boto3.client("cloudformation", region_name="eu-west-1")
        (stack,) = cfn.describe_stacks(StackName="superwerker-backup")["Stacks"]
        self.assertEqual(stack["StackStatus"], "CREATE_COMPLETE")
        bucket = f"superwerker-backup-artifacts-{MANAGEMENT}-eu-west-1"
        boto3.client("s3", region_name="eu-west-1").head_bucket(Bucket=bucket)
        boto3.client("lambda", region_name="eu-west-1").get_function(FunctionName="superwerker-backup-tagger")
        boto3.client("backup", region_name="eu-west-1").describe_backup_vault(BackupVaultName=VAULT)
        boto3.client("iam").get_role(RoleName=SERVICE_ROLE)
        events = len(cfn.describe_stack_events(StackName="superwerker-backup")["StackEvents"])
        second = make("deploy", env=env)
        self.assertIn("eu-west-1: stack superwerker-backup up to date", second)
        self.assertIn(f"s3://{bucket} up to date; 0 uploaded", second)
        (stack,) = cfn.describe_stacks(StackName="superwerker-backup")["Stacks"]
        self.assertNotIn("LastUpdatedTime", stack)
        self.assertEqual(len(cfn.describe_stack_events(StackName="superwerker-backup")["StackEvents"]), events)

    def test_the_readme_one_account_steps(self):
        steps = readme_steps("### Steps: one account")
        outputs = [run_step(command) for command in steps]
        region = setting(steps, "REGIONS")
        self.assertIn(f"{region}: stack superwerker-backup created", outputs[0])
        backup = boto3.client("backup", region_name=region)
        (plan,) = backup.list_backup_plans()["BackupPlansList"]
        (selection,) = backup.list_backup_selections(BackupPlanId=plan["BackupPlanId"])["BackupSelectionsList"]
        self.assertEqual(selection["SelectionName"], "backup-daily")
        rule = backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"])["BackupPlan"]["Rules"][0]
        self.assertEqual(rule["TargetBackupVaultName"], VAULT)
        self.assertIn("up to date", outputs[1].split("backup vault")[1].splitlines()[0], "the stack made the vault")

    def test_the_management_accounts_deploy_a_delegated_administrator_prints_works(self):
        # From a delegated StackSets administrator, `make deploy-organization` cannot deploy the management account's
        # own stacks and prints the command for it (stackset.py); this runs that command, as built, in the
        # management account.
        org_id = boto3.client("organizations").create_organization(FeatureSet="ALL")["Organization"]["Id"]
        home, other = "eu-central-1", "eu-west-1"
        out = run_step(management_deploy_command([home, other], org_id, org_id))
        self.assertIn(f"{home}: stack superwerker-backup created", out)
        self.assertIn(f"{other}: stack superwerker-backup created", out)
        bucket = f"superwerker-backup-reports-{MANAGEMENT}-{home}"
        (write, _) = json.loads(boto3.client("s3", region_name=home).get_bucket_policy(Bucket=bucket)["Policy"])[
            "Statement"]
        self.assertEqual(write["Condition"]["StringEquals"], {"aws:PrincipalOrgID": org_id})
        bus = boto3.client("events", region_name=home).describe_event_bus(Name="superwerker-backup-alerts")
        (statement,) = json.loads(bus["Policy"])["Statement"]
        self.assertEqual(statement["Condition"], {"StringEquals": {"aws:PrincipalOrgID": org_id}})
        for region in (home, other):
            env = boto3.client("lambda", region_name=region).get_function(
                FunctionName="superwerker-backup-backfill")["Configuration"]["Environment"]["Variables"]
            self.assertEqual((env["SUPERWERKER_BACKUP_REPORTS_BUCKET"], env["SUPERWERKER_BACKUP_REPORTS_OWNER"]),
                             (bucket, MANAGEMENT), region)
        (jobs,) = boto3.client("events", region_name=other).list_targets_by_rule(
            Rule="superwerker-backup-jobs")["Targets"]
        self.assertEqual(jobs["Arn"], f"arn:aws:events:{home}:{MANAGEMENT}:event-bus/superwerker-backup-alerts",
                         "the other region forwards to the home region's bus")
        with self.assertRaises(Exception):
            boto3.client("s3", region_name=other).head_bucket(Bucket=f"superwerker-backup-reports-{MANAGEMENT}-{other}")

    def test_an_account_that_has_the_role_and_the_vault_already_deploys_with_both_off(self):
        boto3.client("iam").create_role(
            RoleName=SERVICE_ROLE, Path="/service-role/",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        )
        boto3.client("backup").create_backup_vault(BackupVaultName=VAULT)
        out = make("deploy", "REGIONS=eu-central-1", f"ARTIFACT_BUCKET_PREFIX={PREFIX}",
                   "DEPLOY_ARGS=--create-backup-service-role false --create-backup-vault false")
        self.assertIn("eu-central-1: stack superwerker-backup created", out)
        resources = boto3.client("cloudformation").describe_stack_resources(StackName="superwerker-backup")
        logical = {r.get("LogicalResourceId") for r in resources["StackResources"]}
        self.assertNotIn("BackupServiceRole", logical)
        self.assertNotIn("BackupVault", logical)
        self.assertIn("TaggerFunction", logical)


if __name__ == "__main__":
    unittest.main()
