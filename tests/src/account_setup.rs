//! Account-level things the audit checks, created in the emulator the way a user would: IAM roles and CloudTrail
//! trails.

use anyhow::{bail, Context, Result};

use crate::{unique, Emulator};

impl Emulator {
    /// Creates an IAM role AWS Backup may assume (trust policy for backup.amazonaws.com); returns its ARN.
    pub async fn create_backup_role(&self, path: &str, name: &str) -> Result<String> {
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"backup.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        let out = self
            .clients()
            .iam
            .create_role()
            .path(path)
            .role_name(name)
            .assume_role_policy_document(trust)
            .send()
            .await
            .context("IAM CreateRole")?;
        Ok(out.role().map(|r| r.arn().to_owned()).unwrap_or_default())
    }

    /// Creates a trail in this region (with the S3 bucket it writes to) logging management events of `read_write`
    /// (`All`, `ReadOnly`, `WriteOnly`), started when `logging`; returns its ARN.
    pub async fn create_trail(&self, read_write: &str, logging: bool) -> Result<String> {
        use aws_sdk_cloudtrail::types::{EventSelector, ReadWriteType};
        // CreateTrail needs the bucket to exist; this crate has no S3 SDK, and S3's CreateBucket is one PUT (moto
        // checks no signature; unsigned, the bucket is in us-east-1, which needs no location constraint).
        let bucket = unique("trail-logs");
        let endpoint = std::env::var("AWS_ENDPOINT_URL")?;
        let res = reqwest::Client::new()
            .put(format!("{endpoint}/{bucket}"))
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("CreateBucket {bucket} answered {}", res.status());
        }
        let ct = self.clients().cloudtrail;
        let name = unique("trail");
        let out = ct
            .create_trail()
            .name(&name)
            .s3_bucket_name(&bucket)
            .send()
            .await
            .context("CloudTrail CreateTrail")?;
        ct.put_event_selectors()
            .trail_name(&name)
            .event_selectors(
                EventSelector::builder()
                    .read_write_type(ReadWriteType::from(read_write))
                    .include_management_events(true)
                    .build(),
            )
            .send()
            .await
            .context("CloudTrail PutEventSelectors")?;
        if logging {
            ct.start_logging()
                .name(&name)
                .send()
                .await
                .context("CloudTrail StartLogging")?;
        }
        Ok(out.trail_arn().unwrap_or_default().to_owned())
    }
}
