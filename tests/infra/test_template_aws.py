"""The template under AWS's own rules the emulator does not apply: physical names under StackSet instance naming, and
every resource type either created by the emulator's CloudFormation or listed here with the reason (moved out of
test_deploy.py, which deploys; these only read the template)."""
import sys
import unittest
import uuid
from pathlib import Path

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "harness"))

# Types our template uses that the emulator's CloudFormation leaves untaught, and why.
UNTAUGHT = {
    "Custom::SuperwerkerBackupBootstrap": "a custom resource runs its Lambda, which moto runs only in Docker (absent "
    "here); the bootstrap's custom-resource Lambda is tested under cargo lambda watch "
    "(tests/tests/bootstrap_custom_resource.rs) and these deploys use BOOTSTRAP=false",
}


def template():
    doc, matches = decode(str(ROOT / "infra" / "template.yaml"))
    assert not matches, matches
    return doc


class TemplateUnderAwsNamingTest(unittest.TestCase):
    LIMITS = {  # (type, name property): the service's maximum length
        ("AWS::Lambda::Function", "FunctionName"): 64,
        ("AWS::Events::Rule", "Name"): 64,
        ("AWS::Logs::LogGroup", "LogGroupName"): 512,
        ("AWS::Backup::BackupVault", "BackupVaultName"): 50,
        ("AWS::IAM::Role", "RoleName"): 64,
        ("AWS::SQS::Queue", "QueueName"): 80,
        ("AWS::SNS::Topic", "TopicName"): 256,
        ("AWS::CloudWatch::Alarm", "AlarmName"): 255,
    }
    LONGEST_REGION = "ap-southeast-5"

    def test_every_physical_name_fits_under_stack_set_instance_naming(self):
        """AWS names a StackSet's instance stacks StackSet-<name>-<uuid>; inside moto's member stacks
        ${AWS::StackName} is the StackSet's name, so the emulator cannot show an overflow. Computed here."""
        doc = template()
        params = doc["Parameters"]
        values = {
            "AWS::StackName": f"StackSet-superwerker-backup-{uuid.uuid4()}",
            "AWS::Region": self.LONGEST_REGION,
            "AWS::AccountId": "123456789012",
            "AWS::Partition": "aws-us-gov",
        }
        for name, spec in params.items():
            values[name] = "n" * int(spec.get("MaxLength", 0)) if "MaxLength" in spec else str(spec.get("Default", ""))
        checked = 0
        for logical, res in doc["Resources"].items():
            for (kind, prop), limit in self.LIMITS.items():
                if res["Type"] != kind or prop not in res.get("Properties", {}):
                    continue
                value = res["Properties"][prop]
                if isinstance(value, dict) and "Ref" in value:
                    value = values[value["Ref"]]
                elif isinstance(value, dict):
                    value = value["Fn::Sub"]
                    for k, v in values.items():
                        value = value.replace("${" + k + "}", v)
                self.assertNotIn("${", value, f"{logical}: unresolved name")
                self.assertLessEqual(len(value), limit, f"{logical}.{prop} = {value}")
                checked += 1
        self.assertGreaterEqual(checked, 9)
        bucket = f"{'n' * int(params['ArtifactBucketPrefix']['MaxLength'])}-{self.LONGEST_REGION}"
        self.assertLessEqual(len(bucket), 63, "S3 bucket names are at most 63 characters")


class EmulatorCoverageTest(unittest.TestCase):
    def test_every_resource_type_of_the_template_is_created_by_the_emulator_or_listed_with_the_reason(self):
        import moto_server  # noqa: F401  (the launcher's additions, in this process)
        from moto.cloudformation.parsing import get_model_map

        known = get_model_map()
        used = {res["Type"] for res in template()["Resources"].values()}
        missing = sorted(t for t in used if t not in known and t not in UNTAUGHT)
        self.assertEqual(missing, [], "teach tests/harness/teach_cloudformation.py these types, or list them here")
        self.assertEqual(sorted(t for t in UNTAUGHT if t not in used), [], "UNTAUGHT lists a type no longer used")
        for taught in ("AWS::Backup::BackupVault", "AWS::Lambda::EventInvokeConfig", "AWS::SQS::QueuePolicy"):
            self.assertIn(taught, known)


if __name__ == "__main__":
    unittest.main()
