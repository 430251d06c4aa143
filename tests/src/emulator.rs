//! The emulator the harness started (tests/harness/with-emulator.sh): its account and region, SDK clients for
//! setting the scene, and reading back what the code under test did.

use anyhow::{bail, Context, Result};
use aws_config::{BehaviorVersion, SdkConfig};
use aws_types::region::Region;
use superwerker_backup_aws::{Aws, TagStore};
use superwerker_backup_domain::{ResourceRef, Tag};

/// The emulator started by the harness: its account, region, and an `Aws` for reading and writing tags.
#[derive(Clone)]
pub struct Emulator {
    pub account: String,
    pub region: String,
    /// For setting the scene and reading tags — not the `Aws` under test, so its calls are not counted.
    pub setup: Aws,
}

/// SDK clients of the emulator's region, for creating resources the way a user would.
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub rds: aws_sdk_rds::Client,
    pub efs: aws_sdk_efs::Client,
    pub fsx: aws_sdk_fsx::Client,
    pub backup: aws_sdk_backup::Client,
    pub organizations: aws_sdk_organizations::Client,
    pub iam: aws_sdk_iam::Client,
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    pub sns: aws_sdk_sns::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl Emulator {
    pub async fn connect() -> Emulator {
        let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
        assert!(
            endpoint.starts_with("http://127.0.0.1:"),
            "these tests need the local AWS emulator: run them with `make test` (tests/harness/with-emulator.sh \
             starts moto and sets AWS_ENDPOINT_URL); AWS_ENDPOINT_URL={endpoint:?}"
        );
        let account = std::env::var("SWB_EMULATOR_ACCOUNT").unwrap_or_else(|_| "123456789012".into());
        let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
        let region = sdk.region().expect("the harness sets AWS_REGION").to_string();
        Emulator {
            account,
            region,
            setup: Aws::new(sdk),
        }
    }

    /// The same emulator, creating resources in another region.
    pub fn in_region(&self, region: &str) -> Emulator {
        Emulator {
            region: region.to_owned(),
            ..self.clone()
        }
    }

    /// Wipes all emulator state (moto's reset API). Only for test binaries whose tests share account-wide state
    /// (the organization); cargo runs test binaries one at a time, so other binaries are not disturbed.
    pub async fn reset(&self) -> Result<()> {
        let endpoint = std::env::var("AWS_ENDPOINT_URL")?;
        let res = reqwest::Client::new()
            .post(format!("{endpoint}/moto-api/reset"))
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("moto reset answered {}", res.status());
        }
        Ok(())
    }

    /// Creates the organization (the emulator's account becomes its management account); returns the root id.
    pub async fn create_organization(&self) -> Result<String> {
        let org = self.clients().organizations;
        org.create_organization()
            .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
            .send()
            .await
            .context("CreateOrganization")?;
        let roots = org.list_roots().send().await.context("ListRoots")?;
        Ok(roots
            .roots()
            .first()
            .and_then(|r| r.id())
            .context("no root")?
            .to_owned())
    }

    /// A fresh `Aws` with its own call counter and the production SDK settings (`Aws::from_env`).
    pub async fn fresh_aws(&self) -> Aws {
        Aws::from_env().await
    }

    /// SDK clients of this emulator's region.
    pub fn clients(&self) -> Clients {
        let sdk: SdkConfig = self
            .setup
            .sdk_config()
            .to_builder()
            .region(Region::new(self.region.clone()))
            .build();
        Clients {
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            ec2: aws_sdk_ec2::Client::new(&sdk),
            rds: aws_sdk_rds::Client::new(&sdk),
            efs: aws_sdk_efs::Client::new(&sdk),
            fsx: aws_sdk_fsx::Client::new(&sdk),
            backup: aws_sdk_backup::Client::new(&sdk),
            organizations: aws_sdk_organizations::Client::new(&sdk),
            iam: aws_sdk_iam::Client::new(&sdk),
            cloudtrail: aws_sdk_cloudtrail::Client::new(&sdk),
            sns: aws_sdk_sns::Client::new(&sdk),
            sqs: aws_sdk_sqs::Client::new(&sdk),
        }
    }

    /// Sets a tag after creation (what a user does by hand).
    pub async fn tag_after_creation(&self, arn: &str, key: &str, value: &str) -> Result<()> {
        let resource = resource_of(arn)?;
        TagStore::add_tag(&self.setup, &resource, &Tag::new(key, value)).await?;
        Ok(())
    }

    /// The value of `key` on the resource, read from the emulator.
    pub async fn tag_value(&self, arn: &str, key: &str) -> Result<Option<String>> {
        let resource = resource_of(arn)?;
        let tags = TagStore::read_tags(&self.setup, &resource).await?;
        Ok(tags.into_iter().find(|t| t.key == key).map(|t| t.value))
    }

    pub fn volume_arn(&self, volume_id: &str) -> String {
        format!("arn:aws:ec2:{}:{}:volume/{volume_id}", self.region, self.account)
    }
}

/// A resource reference for an ARN of one of the handled kinds.
pub fn resource_of(arn: &str) -> Result<ResourceRef> {
    ResourceRef::parse(arn).map_err(anyhow::Error::msg)
}
