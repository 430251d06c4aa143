//! ARNs and partitions: built from the event's own region, never a hard-coded `aws`.

use std::fmt;
use thiserror::Error;

/// An Amazon Resource Name, split into its parts.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Arn {
    pub partition: String,
    pub service: String,
    pub region: String,
    pub account: String,
    pub resource: String,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ArnError {
    #[error("not an ARN: {0:?} (expected arn:partition:service:region:account:resource)")]
    Malformed(String),
    #[error("not an AWS region name: {0:?}")]
    BadRegion(String),
    #[error("not an AWS account id: {0:?} (expected digits)")]
    BadAccount(String),
}

/// The partition a region belongs to (aws, aws-cn, aws-us-gov, and the isolated ones).
pub fn partition_for_region(region: &str) -> Result<&'static str, ArnError> {
    if !is_region(region) {
        return Err(ArnError::BadRegion(region.to_owned()));
    }
    const PREFIXES: &[(&str, &str)] = &[
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
    ];
    Ok(PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map(|(_, partition)| *partition)
        .unwrap_or("aws"))
}

/// `xx-name-N` style: lowercase letters, then hyphen-separated words, ending in a number.
fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && region.len() <= 32
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// Account ids are digits (12 in AWS; some published samples carry 13, so only digits are required).
pub fn check_account(account: &str) -> Result<(), ArnError> {
    if !account.is_empty() && account.len() <= 16 && account.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ArnError::BadAccount(account.to_owned()))
    }
}

impl Arn {
    /// Builds an ARN in the partition of `region`.
    pub fn build(service: &str, region: &str, account: &str, resource: &str) -> Result<Arn, ArnError> {
        let partition = partition_for_region(region)?;
        check_account(account)?;
        Ok(Arn {
            partition: partition.to_owned(),
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource: resource.to_owned(),
        })
    }

    /// Parses `arn:partition:service:region:account:resource` (the resource may contain `:` and `/`).
    pub fn parse(s: &str) -> Result<Arn, ArnError> {
        let malformed = || ArnError::Malformed(s.chars().take(200).collect());
        let mut parts = s.splitn(6, ':');
        if parts.next() != Some("arn") {
            return Err(malformed());
        }
        let mut next = || parts.next().ok_or_else(malformed);
        let (partition, service, region, account, resource) = (next()?, next()?, next()?, next()?, next()?);
        if partition.is_empty() || service.is_empty() || resource.is_empty() {
            return Err(malformed());
        }
        Ok(Arn {
            partition: partition.to_owned(),
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource: resource.to_owned(),
        })
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions() {
        assert_eq!(partition_for_region("eu-central-1"), Ok("aws"));
        assert_eq!(partition_for_region("cn-north-1"), Ok("aws-cn"));
        assert_eq!(partition_for_region("cn-northwest-1"), Ok("aws-cn"));
        assert_eq!(partition_for_region("us-gov-west-1"), Ok("aws-us-gov"));
        assert_eq!(partition_for_region("us-iso-east-1"), Ok("aws-iso"));
        assert_eq!(partition_for_region("us-isob-east-1"), Ok("aws-iso-b"));
        assert_eq!(partition_for_region("eu-isoe-west-1"), Ok("aws-iso-e"));
        assert_eq!(partition_for_region("us-isof-south-1"), Ok("aws-iso-f"));
    }

    #[test]
    fn rejects_non_regions() {
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "us-east-1a",
            "us--1",
            "us-east-1/../x",
            "us-east-x",
        ] {
            assert!(partition_for_region(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn build_and_display() {
        let arn = Arn::build("ec2", "cn-north-1", "123456789012", "volume/vol-1").unwrap();
        assert_eq!(arn.to_string(), "arn:aws-cn:ec2:cn-north-1:123456789012:volume/vol-1");
        assert_eq!(
            Arn::build("ec2", "us-east-1", "12ab", "volume/v"),
            Err(ArnError::BadAccount("12ab".into()))
        );
        assert_eq!(
            Arn::build("ec2", "us-east-1", "", "volume/v"),
            Err(ArnError::BadAccount("".into()))
        );
    }

    #[test]
    fn parse_round_trip_and_errors() {
        let s = "arn:aws:rds:us-east-1:123456789012:db:test-instance";
        let arn = Arn::parse(s).unwrap();
        assert_eq!(arn.service, "rds");
        assert_eq!(arn.resource, "db:test-instance");
        assert_eq!(arn.to_string(), s);
        for bad in [
            "",
            "arn",
            "arn:aws:rds",
            "urn:aws:rds:us-east-1:1:db:x",
            "arn::rds:us-east-1:1:db:x",
            "arn:aws:rds:r:1:",
        ] {
            assert!(Arn::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
