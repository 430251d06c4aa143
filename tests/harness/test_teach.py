"""What the emulator launcher teaches moto answers as the API references say (in-process moto, no server)."""
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

REGION = "eu-west-1"
SELECTION = {
    "SelectionName": "backup-daily",
    "IamRoleArn": "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole",
    "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "superwerker:backup", "ConditionValue": "daily"}],
    "NotResources": ["arn:aws:dynamodb:*:*:table/scratch-*"],
    "Conditions": {"StringLike": [{"ConditionKey": "aws:ResourceTag/env", "ConditionValue": "prod*"}]},
}


def plan(backup):
    rule = {"RuleName": "r", "TargetBackupVaultName": "v", "ScheduleExpression": "cron(0 5 ? * * *)"}
    return backup.create_backup_plan(BackupPlan={"BackupPlanName": "p", "Rules": [rule]})["BackupPlanId"]


class BackupSelections(unittest.TestCase):
    @mock_aws
    def test_create_list_get_delete(self):
        backup = boto3.client("backup", region_name=REGION)
        plan_id = plan(backup)
        created = backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=SELECTION)
        self.assertEqual(created["BackupPlanId"], plan_id)
        listed = backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
        self.assertEqual([(s["SelectionId"], s["SelectionName"]) for s in listed],
                         [(created["SelectionId"], "backup-daily")])
        got = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=created["SelectionId"])
        self.assertEqual(got["BackupSelection"]["ListOfTags"], SELECTION["ListOfTags"])
        self.assertEqual(got["BackupSelection"]["Conditions"]["StringLike"], SELECTION["Conditions"]["StringLike"])
        self.assertEqual(got["BackupSelection"]["NotResources"], SELECTION["NotResources"])
        backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=created["SelectionId"])
        self.assertEqual(backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"], [])

    @mock_aws
    def test_pages_and_unknown_plans(self):
        backup = boto3.client("backup", region_name=REGION)
        plan_id = plan(backup)
        for i in range(3):
            backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=dict(SELECTION, SelectionName=f"s{i}"))
        pages = backup.get_paginator("list_backup_selections").paginate(BackupPlanId=plan_id, MaxResults=2)
        self.assertEqual([len(p["BackupSelectionsList"]) for p in pages], [2, 1])
        with self.assertRaises(ClientError) as e:
            backup.list_backup_selections(BackupPlanId="no-such-plan")
        self.assertEqual(e.exception.response["Error"]["Code"], "ResourceNotFoundException")

    @mock_aws
    def test_update_backup_plan_replaces_the_rules(self):
        backup = boto3.client("backup", region_name=REGION)
        plan_id = plan(backup)
        before = backup.get_backup_plan(BackupPlanId=plan_id)["VersionId"]
        rule = {"RuleName": "r2", "TargetBackupVaultName": "v", "ScheduleExpression": "cron(0 6 ? * * *)"}
        out = backup.update_backup_plan(BackupPlanId=plan_id, BackupPlan={"BackupPlanName": "p", "Rules": [rule]})
        self.assertNotEqual(out["VersionId"], before)
        rules = backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]["Rules"]
        self.assertEqual([(r["RuleName"], r["ScheduleExpression"]) for r in rules], [("r2", "cron(0 6 ? * * *)")])


class CloudFormationAdditions(unittest.TestCase):
    @mock_aws
    def test_trusted_access_is_off_until_activated_and_gates_service_managed_stack_sets(self):
        cfn = boto3.client("cloudformation", region_name=REGION)
        self.assertEqual(cfn.describe_organizations_access()["Status"], "DISABLED")
        body = json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}})
        with self.assertRaises(ClientError):
            cfn.create_stack_set(StackSetName="s", TemplateBody=body, PermissionModel="SERVICE_MANAGED")
        cfn.activate_organizations_access()
        self.assertEqual(cfn.describe_organizations_access()["Status"], "ENABLED")
        cfn.create_stack_set(StackSetName="s", TemplateBody=body, PermissionModel="SERVICE_MANAGED")

    @mock_aws
    def test_taught_types_create_real_resources(self):
        cfn = boto3.client("cloudformation", region_name=REGION)
        template = {
            "Resources": {
                "Vault": {"Type": "AWS::Backup::BackupVault", "Properties": {"BackupVaultName": "swb"}},
                "Queue": {"Type": "AWS::SQS::Queue"},
                "Policy": {"Type": "AWS::SQS::QueuePolicy", "Properties": {
                    "Queues": [{"Ref": "Queue"}],
                    "PolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:*",
                                                      "Resource": "*"}]}}},
            },
            "Outputs": {"VaultArn": {"Value": {"Fn::GetAtt": ["Vault", "BackupVaultArn"]}}},
        }
        cfn.create_stack(StackName="t", TemplateBody=json.dumps(template))
        vault = boto3.client("backup", region_name=REGION).describe_backup_vault(BackupVaultName="swb")
        outputs = cfn.describe_stacks(StackName="t")["Stacks"][0]["Outputs"]
        self.assertEqual(outputs[0]["OutputValue"], vault["BackupVaultArn"])
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.list_queues()["QueueUrls"][0]
        policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
        self.assertEqual(policy["Statement"][0]["Action"], "sqs:*")


class TemplateReading(unittest.TestCase):
    @mock_aws
    def test_condition_short_form_and_comma_delimited_list_values(self):
        template = """
Parameters:
  Home: {Type: String}
  Regions: {Type: CommaDelimitedList}
Conditions:
  IsHome: !Equals [!Ref Home, !Ref "AWS::Region"]
  WithQueue: !And [!Condition IsHome, !Equals [!Ref Home, eu-west-1]]
  Never: !And [!Condition IsHome, !Equals [!Ref Home, elsewhere]]
Resources:
  Made: {Type: AWS::SQS::Queue, Condition: WithQueue}
  NotMade: {Type: AWS::SQS::Queue, Condition: Never}
"""
        cfn = boto3.client("cloudformation", region_name=REGION)
        cfn.create_stack(StackName="c", TemplateBody=template, Parameters=[
            {"ParameterKey": "Home", "ParameterValue": REGION},
            {"ParameterKey": "Regions", "ParameterValue": "eu-west-1,eu-central-1"}])
        resources = cfn.describe_stack_resources(StackName="c")["StackResources"]
        self.assertEqual(sorted(r.get("LogicalResourceId", "") for r in resources if r.get("LogicalResourceId")),
                         ["Made"])
        params = {p["ParameterKey"]: p["ParameterValue"] for p in cfn.describe_stacks(StackName="c")["Stacks"][0][
            "Parameters"]}
        self.assertEqual(params["Regions"], "eu-west-1,eu-central-1")


class TlsOnlyBucketPolicies(unittest.TestCase):
    @mock_aws
    def test_a_tls_only_deny_does_not_refuse_the_sdk_but_an_unconditional_deny_does(self):
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="tls-only")
        tls_only = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::tls-only", "arn:aws:s3:::tls-only/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        s3.put_bucket_policy(Bucket="tls-only", Policy=json.dumps({"Version": "2012-10-17", "Statement": [tls_only]}))
        s3.put_object(Bucket="tls-only", Key="k", Body=b"x")
        self.assertEqual(s3.get_object(Bucket="tls-only", Key="k")["Body"].read(), b"x")
        deny = dict(tls_only, Sid="DenyAll")
        del deny["Condition"]
        s3.put_bucket_policy(Bucket="tls-only", Policy=json.dumps({"Version": "2012-10-17", "Statement": [tls_only, deny]}))
        with self.assertRaises(ClientError):
            s3.get_object(Bucket="tls-only", Key="k")


if __name__ == "__main__":
    unittest.main()
