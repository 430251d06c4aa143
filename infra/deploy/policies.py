"""Resource policies the deploy tool writes, as pure functions (tests/infra lints them like the templates' IAM)."""


def artifact_bucket_policy(bucket, partition, organization_id):
    """TLS only; with an organization, every account of it may read the artifacts (aws:PrincipalOrgID).

    Lambda reads a function's code with the credentials of whoever creates the function (in a member account, the
    StackSet's execution role), so the member accounts need s3:GetObject. A `Principal: "*"` statement with a fixed
    aws:PrincipalOrgID is not public in S3's sense (S3 user guide, "The meaning of 'public'"), so Block Public Access
    stays on.
    """
    arn = f"arn:{partition}:s3:::{bucket}"
    statements = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    if organization_id:
        statements.append(
            {
                "Sid": "OrganizationReadsArtifacts",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"{arn}/*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": organization_id}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
