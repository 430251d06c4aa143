"""The emulator's AWS Backup region settings, recovery points, tonight's backup and Organizations' effective policy,
against the API references' shapes (in-process moto with the launcher's additions, no server)."""
import json
import os
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from moto import mock_aws  # noqa: E402

import moto_server  # noqa: E402,F401  (applies the launcher's additions)
import teach_backup_run  # noqa: E402

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/backup"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def tag_plan(backup, vault="v"):
    rule = {"RuleName": "r", "TargetBackupVaultName": vault, "ScheduleExpression": "cron(0 5 ? * * *)"}
    plan_id = backup.create_backup_plan(BackupPlan={"BackupPlanName": "p", "Rules": [rule]})["BackupPlanId"]
    backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection={
        "SelectionName": "daily", "IamRoleArn": ROLE,
        "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "daily"}]})
    return plan_id


def volume(ec2, value):
    return ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1, TagSpecifications=[
        {"ResourceType": "volume", "Tags": [{"Key": "backup", "Value": value}]}])["VolumeId"]


def arn_of(vid):
    return f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/{vid}"


class Backups(unittest.TestCase):
    def setUp(self):
        self.mock = mock_aws()
        self.mock.start()
        self.backup = boto3.client("backup", region_name=REGION)
        self.ec2 = boto3.client("ec2", region_name=REGION)
        boto3.client("iam").create_role(RoleName="backup", AssumeRolePolicyDocument=TRUST)

    def tearDown(self):
        self.mock.stop()

    def test_region_settings_start_on_and_change_only_what_is_named(self):
        before = self.backup.describe_region_settings()["ResourceTypeOptInPreference"]
        self.assertTrue(before["EBS"] and before["Aurora"])
        self.backup.update_region_settings(ResourceTypeOptInPreference={"EBS": False})
        after = self.backup.describe_region_settings()["ResourceTypeOptInPreference"]
        self.assertEqual(after, dict(before, EBS=False))
        with self.assertRaises(ClientError) as refused:
            self.backup.update_region_settings(ResourceTypeOptInPreference={"Floppy": True})
        self.assertEqual(refused.exception.response["Error"]["Code"], "InvalidParameterValueException")

    def test_tonights_backup_honours_tags_opt_in_and_vault(self):
        self.backup.create_backup_vault(BackupVaultName="v")
        tag_plan(self.backup)
        daily, none = volume(self.ec2, "daily"), volume(self.ec2, "none")
        done, skipped = teach_backup_run.run(ACCOUNT, REGION, set(), "COMPLETED", 1_000_000.0)
        self.assertEqual(done, [arn_of(daily)])
        self.assertEqual(skipped, [])
        points = self.backup.list_recovery_points_by_backup_vault(BackupVaultName="v")["RecoveryPoints"]
        self.assertEqual([(p["ResourceArn"], p["ResourceType"], p["Status"]) for p in points],
                         [(arn_of(daily), "EBS", "COMPLETED")])
        by_resource = self.backup.list_recovery_points_by_resource(ResourceArn=arn_of(daily))["RecoveryPoints"]
        self.assertEqual([p["RecoveryPointArn"] for p in by_resource], [points[0]["RecoveryPointArn"]])
        self.assertEqual(self.backup.list_recovery_points_by_resource(ResourceArn=arn_of(none))["RecoveryPoints"], [])
        protected = self.backup.list_protected_resources()["Results"]
        self.assertEqual([p["ResourceArn"] for p in protected], [arn_of(daily)])

        self.backup.update_region_settings(ResourceTypeOptInPreference={"EBS": False})
        done, skipped = teach_backup_run.run(ACCOUNT, REGION, set(), "COMPLETED", 1_000_000.0)
        self.assertEqual((done, skipped), ([], [{"resource": arn_of(daily), "reason": "EBS is not opted in"}]))

    def test_a_missing_vault_or_role_makes_no_point(self):
        tag_plan(self.backup, vault="gone")
        daily = volume(self.ec2, "daily")
        done, skipped = teach_backup_run.run(ACCOUNT, REGION, set(), "COMPLETED", 1.0)
        self.assertEqual((done, skipped), ([], [{"resource": arn_of(daily), "reason": "vault gone does not exist"}]))
        boto3.client("iam").delete_role(RoleName="backup")
        self.backup.create_backup_vault(BackupVaultName="gone")
        done, skipped = teach_backup_run.run(ACCOUNT, REGION, set(), "COMPLETED", 1.0)
        self.assertEqual(skipped, [{"resource": arn_of(daily), "reason": f"role {ROLE} does not exist"}])

    def test_the_vault_listing_filters_by_creation_time_and_pages(self):
        self.backup.create_backup_vault(BackupVaultName="v")
        tag_plan(self.backup)
        vids = [volume(self.ec2, "daily") for _ in range(3)]
        teach_backup_run.run(ACCOUNT, REGION, set(), "COMPLETED", 1_000.0)
        teach_backup_run.run(ACCOUNT, REGION, {arn_of(vids[0])}, "PARTIAL", 5_000.0)
        from datetime import datetime, timezone
        after = datetime.fromtimestamp(2_000, timezone.utc)
        recent = self.backup.list_recovery_points_by_backup_vault(BackupVaultName="v", ByCreatedAfter=after)
        self.assertEqual([(p["ResourceArn"], p["Status"]) for p in recent["RecoveryPoints"]],
                         [(arn_of(vids[0]), "PARTIAL")])
        pages = self.backup.get_paginator("list_recovery_points_by_backup_vault").paginate(
            BackupVaultName="v", PaginationConfig={"PageSize": 2})
        self.assertEqual([len(p["RecoveryPoints"]) for p in pages], [2, 2])
        with self.assertRaises(ClientError) as missing:
            self.backup.list_recovery_points_by_backup_vault(BackupVaultName="nope")
        self.assertEqual(missing.exception.response["Error"]["Code"], "ResourceNotFoundException")

    def test_selections_follow_the_documented_rules(self):
        arn = "arn:aws:ec2:eu-west-1:1:volume/vol-1"
        self.assertEqual(teach_backup_run.selects({}, arn, {}), (True, None))
        self.assertEqual(teach_backup_run.selects({"Resources": ["arn:aws:ec2:*:*:volume/*"],
                                                   "NotResources": [arn]}, arn, {}), (False, None))
        only_conditions = {"Conditions": {"StringLike": [{"ConditionKey": "aws:ResourceTag/a", "ConditionValue": "*"}]}}
        self.assertFalse(teach_backup_run.selects(only_conditions, arn, {"a": "x"})[0])
        self.assertIsNotNone(teach_backup_run.selects(only_conditions, arn, {"a": "x"})[1])
        both = {"ListOfTags": [{"ConditionKey": "b", "ConditionValue": "daily"}],
                "Conditions": {"StringNotLike": [{"ConditionKey": "aws:ResourceTag/stage", "ConditionValue": "te*"}]}}
        self.assertEqual(teach_backup_run.selects(both, arn, {"b": "daily"}), (True, None))
        self.assertEqual(teach_backup_run.selects(both, arn, {"b": "daily", "stage": "test"}), (False, None))
        self.assertTrue(teach_backup_run.names_type("arn:aws:ec2:*:*:volume/*", arn))
        self.assertFalse(teach_backup_run.names_type("*", arn))
        cluster = "arn:aws:rds:eu-west-1:1:cluster:orders"
        self.assertFalse(teach_backup_run.names_type("arn:aws:rds:*:*:cluster:*", cluster), "Aurora and RDS share it")


class EffectivePolicy(unittest.TestCase):
    @mock_aws
    def test_policies_from_root_to_account_merge_and_none_is_not_found(self):
        org = boto3.client("organizations", region_name="us-east-1")
        org.create_organization(FeatureSet="ALL")
        with self.assertRaises(ClientError) as none:
            org.describe_effective_policy(PolicyType="BACKUP_POLICY")
        self.assertEqual(none.exception.response["Error"]["Code"], "EffectivePolicyNotFoundException")
        root = org.list_roots()["Roots"][0]["Id"]
        plan = {"regions": {"@@assign": ["eu-west-1"]},
                "rules": {"daily": {"target_backup_vault_name": {"@@assign": "v"}}}}
        parent = org.create_policy(Name="root", Type="BACKUP_POLICY", Description="", Content=json.dumps(
            {"plans": {"p": plan}}))["Policy"]["PolicySummary"]["Id"]
        org.attach_policy(PolicyId=parent, TargetId=root)
        child = org.create_policy(Name="acct", Type="BACKUP_POLICY", Description="", Content=json.dumps(
            {"plans": {"p": {"regions": {"@@assign": ["eu-central-1"]}}}}))["Policy"]["PolicySummary"]["Id"]
        org.attach_policy(PolicyId=child, TargetId=ACCOUNT)
        found = org.describe_effective_policy(PolicyType="BACKUP_POLICY")["EffectivePolicy"]
        self.assertEqual(found["TargetId"], ACCOUNT)
        self.assertEqual(json.loads(found["PolicyContent"]), {"plans": {"p": {
            "regions": ["eu-central-1"], "rules": {"daily": {"target_backup_vault_name": "v"}}}}})


if __name__ == "__main__":
    unittest.main()
