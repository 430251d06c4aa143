"""The template's organization-wide parts (README, Organization): the roles the management account enters in each
account (the read-only audit role, the guarded backfill role per region) and the reports bucket the sweeps write to.
The emulator checks no IAM condition and no bucket policy, so these are read from the template."""
import json
import unittest

from test_templates import TAGGING_ACTIONS, as_list, cli, code_statements, policy_statements, template


class OrganizationTemplateTest(unittest.TestCase):
    def test_the_organization_audit_role_grants_exactly_what_the_audit_does_in_an_account(self):
        resources = template()["Resources"]
        role = resources["OrganizationAuditRole"]
        self.assertEqual(role["Condition"], "WithOrganizationAuditRole")
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        self.assertEqual(trust["Principal"], {"AWS": {"Ref": "AuditFromAccounts"}})
        granted = {a for s in policy_statements(resources, "OrganizationAuditRole") for a in as_list(s["Action"])}
        self.assertEqual(granted, set(cli("iam-actions")["superwerker-backup audit --organization (in each account)"]))
        self.assertFalse(granted & TAGGING_ACTIONS, "reads only")
        self.assertEqual(role["Properties"]["RoleName"], {"Fn::Sub": "${NamePrefix}-audit"},
                         "the CLI's default --role-name with the default prefix")

    def test_the_organization_backfill_role_writes_only_under_the_lambdas_guard(self):
        resources = template()["Resources"]
        role = resources["OrganizationBackfillRole"]
        self.assertEqual(role["Condition"], "WithOrganizationBackfillRole")
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        self.assertEqual(trust["Principal"], {"AWS": {"Ref": "AuditFromAccounts"}})
        statements = code_statements(resources, "OrganizationBackfillRole")
        granted = {a for s in statements for a in as_list(s["Action"])}
        self.assertEqual(
            granted, set(cli("iam-actions")["superwerker-backup backfill --organization (in each account and region)"])
        )
        self.assertEqual(role["Properties"]["ManagedPolicyArns"], [{"Ref": "GuardedTaggingPolicy"}])
        for s in statements:
            if set(as_list(s["Action"])) & TAGGING_ACTIONS:
                # Only the guard's statements write: our key alone, where the resource has none.
                self.assertIn("aws:ResourceTag/superwerker:backup", s["Condition"]["Null"], s["Sid"])
                self.assertEqual(s["Condition"]["ForAllValues:StringEquals"], {"aws:TagKeys": ["superwerker:backup"]})
        # The CLI's default --role-name for backfill, superwerker-backup-backfill-{region}, with the default prefix.
        self.assertEqual(role["Properties"]["RoleName"], {"Fn::Sub": "${NamePrefix}-backfill-${AWS::Region}"})
        self.assertNotIn("IsHomeRegion", json.dumps(template()["Conditions"]["WithOrganizationBackfillRole"]),
                         "one in every region's stack")

    def test_the_sweep_writes_only_its_own_summary_and_the_bucket_admits_only_the_organizations_sweeps(self):
        t = template()
        resources = t["Resources"]
        (reports,) = [s for s in code_statements(resources, "BackfillRole") if s.get("Sid") == "Reports"]
        self.assertEqual(reports["Action"], "s3:PutObject")
        self.assertEqual(reports["Resource"], {
            "Fn::Sub": "arn:${AWS::Partition}:s3:::${ReportsBucket}/reports/${AWS::AccountId}/${AWS::Region}/*"})
        self.assertEqual(reports["Condition"], {"StringEquals": {"s3:ResourceAccount": {"Ref": "ReportsBucketOwner"}}},
                         "a bucket ARN names no account: only the management account's bucket of that name")
        bucket = resources["OrganizationReportsBucket"]
        self.assertEqual(bucket["Condition"], "ReceivesOrganizationReports")
        self.assertEqual(bucket["Properties"]["BucketName"], {"Ref": "ReportsBucket"})
        self.assertTrue(all(bucket["Properties"]["PublicAccessBlockConfiguration"].values()))
        write, tls = resources["OrganizationReportsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        self.assertEqual((write["Effect"], write["Action"]), ("Allow", "s3:PutObject"))
        self.assertIn("/reports/${!aws:PrincipalAccount}/*", write["Resource"]["Fn::Sub"], "each account's own prefix")
        self.assertEqual(write["Condition"]["StringEquals"], {"aws:PrincipalOrgID": {"Ref": "ReportOrganizationId"}})
        self.assertEqual(write["Condition"]["ArnLike"],
                         {"aws:PrincipalArn": {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${NamePrefix}-sweep-*"}},
                         "only the sweep roles (BackfillRole's name)")
        self.assertEqual(resources["BackfillRole"]["Properties"]["RoleName"],
                         {"Fn::Sub": "${NamePrefix}-sweep-${AWS::Region}"})
        self.assertEqual((tls["Effect"], tls["Condition"]), ("Deny", {"Bool": {"aws:SecureTransport": "false"}}))
        env = resources["BackfillFunction"]["Properties"]["Environment"]["Variables"]
        # crates/sweep/src/lib.rs ENV_REPORTS_BUCKET and ENV_REPORTS_REGION: the bucket is in the home region.
        self.assertEqual(env["SUPERWERKER_BACKUP_REPORTS_BUCKET"], {"Ref": "ReportsBucket"})
        self.assertEqual(env["SUPERWERKER_BACKUP_REPORTS_OWNER"], {"Ref": "ReportsBucketOwner"})
        self.assertEqual(env["SUPERWERKER_BACKUP_REPORTS_REGION"],
                         {"Fn::If": ["HomeRegionGiven", {"Ref": "HomeRegion"}, {"Ref": "AWS::Region"}]})


if __name__ == "__main__":
    unittest.main()
