//! Amazon S3: the organization's reports bucket (README, Organization). Each account's daily sweep writes the summary of
//! its region's audit under `reports/<account>/<region>/`; `audit --organization --from-reports` lists and reads them
//! from the management account, entering no account.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;

use crate::error::{AdapterError, ErrorKind};

/// What the sweep needs to write its summary (Service Authorization Reference: `s3:PutObject` on the object).
pub(crate) const WRITE_ACTIONS: &[&str] = &["s3:PutObject"];

/// What reading the summaries needs: `ListObjectsV2` is authorized as `s3:ListBucket` on the bucket (S3 API reference,
/// ListObjectsV2, Permissions), `GetObject` as `s3:GetObject` on the object.
pub(crate) const READ_ACTIONS: &[&str] = &["s3:GetObject", "s3:ListBucket"];

/// The object a sweep of `account` in `region` writes its summary to (it replaces the one before).
pub fn summary_key(account: &str, region: &str) -> String {
    format!("reports/{account}/{region}/latest.json")
}

/// A summary object found by [`ReportBucket::summaries`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub key: String,
    /// When S3 stored it, seconds since the epoch.
    pub last_modified: Option<i64>,
}

/// The bucket, and the account that must own it: every request names that account (`ExpectedBucketOwner`, S3 user
/// guide, "Verifying bucket ownership with bucket owner condition"), so that a bucket of that predictable name created
/// by someone else first is refused (HTTP 403) rather than written to or believed.
#[derive(Clone, Debug)]
pub struct ReportBucket {
    client: Client,
    bucket: String,
    owner: String,
}

impl ReportBucket {
    pub fn new(client: Client, bucket: &str, owner: &str) -> Self {
        ReportBucket {
            client,
            bucket: bucket.to_owned(),
            owner: owner.to_owned(),
        }
    }

    pub fn name(&self) -> &str {
        &self.bucket
    }

    /// Writes `body` (JSON) to `key`.
    pub async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), AdapterError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .expected_bucket_owner(&self.owner)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("S3.PutObject", &self.at(key), e.into_service_error()))?;
        Ok(())
    }

    /// Every summary object under `reports/` (the SDK's paginator follows the continuation tokens).
    pub async fn summaries(&self) -> Result<Vec<Listed>, AdapterError> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .expected_bucket_owner(&self.owner)
            .prefix("reports/")
            .into_paginator()
            .send();
        let mut found = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| AdapterError::from_sdk("S3.ListObjectsV2", &self.bucket, e.into_service_error()))?;
            found.extend(page.contents().iter().filter_map(|o| {
                let key = o.key().filter(|k| k.ends_with("/latest.json"))?;
                Some(Listed {
                    key: key.to_owned(),
                    last_modified: o.last_modified().map(|t| t.secs()),
                })
            }));
        }
        Ok(found)
    }

    /// The object at `key`.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, AdapterError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .expected_bucket_owner(&self.owner)
            .key(key)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("S3.GetObject", &self.at(key), e.into_service_error()))?;
        let body =
            out.body.collect().await.map_err(|e| {
                AdapterError::local("S3.GetObject", &self.at(key), ErrorKind::Unavailable, e.to_string())
            })?;
        Ok(body.into_bytes().to_vec())
    }

    fn at(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}
