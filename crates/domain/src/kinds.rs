//! The one table of resource kinds. Every fact about a kind — its names, ARN shape, id rules, the service that reads,
//! lists and writes it, how the sweep writes it in bulk, its AWS Backup resource type — is a field of its row in
//! [`KINDS`]. Code that differs by kind reads the row, or matches on [`Service`] or the kind exhaustively in one place
//! of the adapter crate. Adding a kind: a variant, a row here, its events in `catalog.rs`, one adapter module.

use serde::Serialize;

use crate::arn::Arn;
use crate::quotas::{self, Draw};
use crate::unprotectable::Unprotectable;
pub use crate::unprotectable::{
    FSX_DATA_REPOSITORY, FSX_DEPLOYMENT_TYPE, FSX_TYPE, FSX_UNPROTECTABLE, RDS_CLUSTER_MEMBER,
    RDS_INSTANCE_UNPROTECTABLE,
};

/// A kind of resource AWS Backup can protect and this service tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ResourceKind {
    DynamoDbTable,
    EbsVolume,
    RdsDbInstance,
    /// Aurora and Multi-AZ DB clusters: AWS Backup protects these at the cluster level.
    RdsDbCluster,
    EfsFileSystem,
    /// Amazon FSx for Windows File Server, OpenZFS and persistent Lustre (see [`FSX_UNPROTECTABLE`] for the rest).
    FsxFileSystem,
}

/// The AWS service whose API lists a kind and reads and writes its tags: one adapter module each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Service {
    DynamoDb,
    Ec2,
    Rds,
    Efs,
    Fsx,
}

/// How the sweep writes a kind's tag in bulk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BulkWrite {
    /// EC2 `CreateTags` with many resource ids per call (EC2 API reference, CreateTags).
    Ec2CreateTags,
    /// The Resource Groups Tagging API's `TagResources`, with many ARNs per call (Tagging API reference).
    TaggingApi,
}

/// Where the sweep finds a kind's current tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagsIn {
    /// The listing returns them with each resource.
    Listing,
    /// The listing has none: the Tagging API's index (`GetResources` by type) holds them, and may lag.
    TaggingIndex,
}

/// How a kind's ids look (AWS naming rules); anything else is refused before any AWS call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdRule {
    /// `prefix` and 1 to 32 lowercase hex digits (AWS issues 8 or 17; emulators vary).
    Hex(&'static str),
    /// DynamoDB table names: 3-255 characters of a-z A-Z 0-9 _ - .
    TableName,
    /// RDS identifiers: 1-63 letters, digits, hyphens; starts with a letter; no trailing or double hyphen.
    RdsIdentifier,
}

/// Everything about one kind.
#[derive(Clone, Copy, Debug)]
pub struct KindSpec {
    pub kind: ResourceKind,
    /// The resource type as tag policies and the Tagging API name it, e.g. `ec2:volume`.
    pub label: &'static str,
    /// For people: "EBS volume".
    pub name: &'static str,
    pub service: Service,
    /// The service part of the resource's ARN.
    pub arn_service: &'static str,
    /// The resource part of the ARN before the id: `volume/`, `db:`.
    pub arn_prefix: &'static str,
    /// The service stores ids in lowercase (RDS), so an id from a request is lowercased.
    pub lowercase_ids: bool,
    pub id_rule: IdRule,
    /// AWS Backup's resource type (AWS Backup developer guide, supported resources; `DescribeRegionSettings` keys).
    pub backup_resource_type: &'static str,
    pub bulk_write: BulkWrite,
    /// Resources per bulk write call: EC2 CreateTags takes up to 1,000 resource ids, the Tagging API's
    /// TagResources up to 20 ARNs.
    pub batch: usize,
    pub tags_in: TagsIn,
    /// The documented request quotas its bulk write draws on, and the cost of one write in each (`quotas.rs`). The
    /// sweep paces its writes by them.
    pub write_quotas: &'static [Draw],
    /// Configurations of this kind AWS Backup cannot protect (skipped with the reason, never tagged).
    pub unprotectable: &'static [Unprotectable],
    /// Another AWS Backup type shares this kind's ARN format (Aurora/RDS clusters, FSx/FSx for OpenZFS), so even a
    /// selection naming the ARN pattern needs the type's opt-in (AWS Backup developer guide, assigning resources).
    pub shares_arn_format: bool,
    /// The other AWS Backup type a resource of this kind may be, by an attribute we do not read: a DB cluster is
    /// `Aurora`, or `RDS` when it is a Multi-AZ DB cluster of MySQL or PostgreSQL (AWS Backup developer guide,
    /// feature availability by resource). Its opt-in decides only where both types agree.
    pub other_backup_resource_type: Option<&'static str>,
}

const EC2_BATCH: usize = 1000;
const TAGGING_BATCH: usize = 20;

/// Every kind, one row each.
pub const KINDS: &[KindSpec] = &[
    KindSpec {
        kind: ResourceKind::DynamoDbTable,
        label: "dynamodb:table",
        name: "DynamoDB table",
        service: Service::DynamoDb,
        arn_service: "dynamodb",
        arn_prefix: "table/",
        lowercase_ids: false,
        id_rule: IdRule::TableName,
        backup_resource_type: "DynamoDB",
        other_backup_resource_type: None,
        bulk_write: BulkWrite::TaggingApi,
        batch: TAGGING_BATCH,
        tags_in: TagsIn::TaggingIndex,
        write_quotas: quotas::TAGGING_API_DYNAMODB,
        unprotectable: &[],
        shares_arn_format: false,
    },
    KindSpec {
        kind: ResourceKind::EbsVolume,
        label: "ec2:volume",
        name: "EBS volume",
        service: Service::Ec2,
        arn_service: "ec2",
        arn_prefix: "volume/",
        lowercase_ids: false,
        id_rule: IdRule::Hex("vol-"),
        backup_resource_type: "EBS",
        other_backup_resource_type: None,
        bulk_write: BulkWrite::Ec2CreateTags,
        batch: EC2_BATCH,
        tags_in: TagsIn::Listing,
        write_quotas: quotas::EC2_CREATE_TAGS_CALL,
        unprotectable: &[],
        shares_arn_format: false,
    },
    KindSpec {
        kind: ResourceKind::RdsDbInstance,
        label: "rds:db",
        name: "RDS DB instance",
        service: Service::Rds,
        arn_service: "rds",
        arn_prefix: "db:",
        lowercase_ids: true,
        id_rule: IdRule::RdsIdentifier,
        backup_resource_type: "RDS",
        other_backup_resource_type: None,
        bulk_write: BulkWrite::TaggingApi,
        batch: TAGGING_BATCH,
        tags_in: TagsIn::Listing,
        write_quotas: quotas::TAGGING_API,
        unprotectable: RDS_INSTANCE_UNPROTECTABLE,
        shares_arn_format: false,
    },
    KindSpec {
        kind: ResourceKind::RdsDbCluster,
        label: "rds:cluster",
        name: "RDS DB cluster",
        service: Service::Rds,
        arn_service: "rds",
        arn_prefix: "cluster:",
        lowercase_ids: true,
        id_rule: IdRule::RdsIdentifier,
        backup_resource_type: "Aurora",
        other_backup_resource_type: Some("RDS"),
        bulk_write: BulkWrite::TaggingApi,
        batch: TAGGING_BATCH,
        tags_in: TagsIn::Listing,
        write_quotas: quotas::TAGGING_API,
        unprotectable: &[],
        shares_arn_format: true,
    },
    KindSpec {
        kind: ResourceKind::EfsFileSystem,
        label: "elasticfilesystem:file-system",
        name: "EFS file system",
        service: Service::Efs,
        arn_service: "elasticfilesystem",
        arn_prefix: "file-system/",
        lowercase_ids: false,
        id_rule: IdRule::Hex("fs-"),
        backup_resource_type: "EFS",
        other_backup_resource_type: None,
        bulk_write: BulkWrite::TaggingApi,
        batch: TAGGING_BATCH,
        tags_in: TagsIn::Listing,
        write_quotas: quotas::TAGGING_API,
        unprotectable: &[],
        shares_arn_format: false,
    },
    KindSpec {
        kind: ResourceKind::FsxFileSystem,
        label: "fsx:file-system",
        name: "FSx file system",
        service: Service::Fsx,
        arn_service: "fsx",
        arn_prefix: "file-system/",
        lowercase_ids: false,
        id_rule: IdRule::Hex("fs-"),
        backup_resource_type: "FSx",
        other_backup_resource_type: None,
        bulk_write: BulkWrite::TaggingApi,
        batch: TAGGING_BATCH,
        tags_in: TagsIn::Listing,
        write_quotas: quotas::TAGGING_API,
        unprotectable: FSX_UNPROTECTABLE,
        shares_arn_format: true,
    },
];

impl ResourceKind {
    /// Every kind, in table order.
    pub fn all() -> impl Iterator<Item = ResourceKind> {
        KINDS.iter().map(|s| s.kind)
    }

    /// The kind's row.
    pub fn spec(self) -> &'static KindSpec {
        KINDS
            .iter()
            .find(|s| s.kind == self)
            .expect("every kind has a row in KINDS (kinds_table_is_complete)")
    }

    pub fn label(self) -> &'static str {
        self.spec().label
    }

    pub fn arn_service(self) -> &'static str {
        self.spec().arn_service
    }

    /// The resource part of the ARN for an id.
    pub fn arn_resource(self, id: &str) -> String {
        let spec = self.spec();
        if spec.lowercase_ids {
            format!("{}{}", spec.arn_prefix, id.to_ascii_lowercase())
        } else {
            format!("{}{id}", spec.arn_prefix)
        }
    }

    /// Why AWS Backup cannot protect a resource of this kind with these attributes, if it cannot.
    pub fn unprotectable_reason<'a>(self, attribute: impl Fn(&str) -> Option<&'a str>) -> Option<&'static str> {
        crate::unprotectable::reason(self.spec().unprotectable, attribute)
    }

    /// The resource AWS Backup protects this one through (kind and id), when a rule with a parent holds.
    pub fn protected_through<'a>(self, attribute: impl Fn(&str) -> Option<&'a str>) -> Option<(ResourceKind, &'a str)> {
        let parent = crate::unprotectable::rule(self.spec().unprotectable, &attribute)?.parent?;
        Some((parent.kind, attribute(parent.id_attribute)?))
    }

    /// The id inside an ARN's resource part, if the resource part is of this kind.
    pub fn id_in_arn_resource(self, resource: &str) -> Option<&str> {
        resource
            .strip_prefix(self.spec().arn_prefix)
            .filter(|id| self.is_valid_id(id))
    }

    /// Whether `id` is a well-formed identifier for this kind (AWS naming rules). Anything else — path separators,
    /// quotes, control characters, oversized strings — is refused before any AWS call.
    pub fn is_valid_id(self, id: &str) -> bool {
        match self.spec().id_rule {
            IdRule::Hex(prefix) => is_hex_id(id, prefix),
            IdRule::TableName => {
                (3..=255).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
            }
            IdRule::RdsIdentifier => {
                (1..=63).contains(&id.len())
                    && id.as_bytes()[0].is_ascii_alphabetic()
                    && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !id.ends_with('-')
                    && !id.contains("--")
            }
        }
    }

    /// The kind an ARN names, if any of ours.
    pub fn of_arn(arn: &Arn) -> Option<ResourceKind> {
        ResourceKind::all().find(|k| k.arn_service() == arn.service && k.id_in_arn_resource(&arn.resource).is_some())
    }
}

/// `prefix` followed by 1 to 32 lowercase hex digits: EC2, EFS and FSx ids (AWS issues 8 or 17; emulators vary).
pub fn is_hex_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        (1..=32).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The width of the longest kind label, for tables.
pub fn label_width() -> usize {
    KINDS.iter().map(|s| s.label.len()).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_table_is_complete_and_consistent() {
        for (i, a) in KINDS.iter().enumerate() {
            assert_eq!(a.kind.spec().label, a.label);
            for b in &KINDS[i + 1..] {
                assert_ne!(a.kind, b.kind, "two rows for {:?}", a.kind);
                assert_ne!(a.label, b.label);
                assert!(
                    (a.arn_service, a.arn_prefix) != (b.arn_service, b.arn_prefix),
                    "{} and {} share an ARN shape",
                    a.label,
                    b.label
                );
            }
            assert!(a.batch >= 1);
        }
    }

    #[test]
    fn ids_are_validated_per_kind() {
        use ResourceKind::*;
        assert!(DynamoDbTable.is_valid_id("Music"));
        assert!(DynamoDbTable.is_valid_id("a.b-c_d"));
        assert!(!DynamoDbTable.is_valid_id("ab"));
        assert!(!DynamoDbTable.is_valid_id("a/b/c"));
        assert!(!DynamoDbTable.is_valid_id(&"x".repeat(256)));
        assert!(EbsVolume.is_valid_id("vol-13439757"));
        assert!(EbsVolume.is_valid_id("vol-0123456789abcdef0"));
        assert!(!EbsVolume.is_valid_id("vol-"));
        assert!(!EbsVolume.is_valid_id("vol-XYZ"));
        assert!(!EbsVolume.is_valid_id("snap-123"));
        assert!(EfsFileSystem.is_valid_id("fs-3f3797b3"));
        assert!(!EfsFileSystem.is_valid_id("fs-"));
        assert!(!EfsFileSystem.is_valid_id("fs-12/34"));
        assert!(!EfsFileSystem.is_valid_id("fsap-0123"));
        assert!(RdsDbInstance.is_valid_id("test-instance"));
        assert!(RdsDbInstance.is_valid_id("OnenessDB"));
        assert!(!RdsDbInstance.is_valid_id("1db"));
        assert!(!RdsDbInstance.is_valid_id("db-"));
        assert!(!RdsDbInstance.is_valid_id("a--b"));
        assert!(!RdsDbInstance.is_valid_id("db:other"));
    }

    #[test]
    fn arn_resource_parts_round_trip_and_name_their_kind() {
        for spec in KINDS {
            let id = match spec.id_rule {
                IdRule::Hex(prefix) => format!("{prefix}0123456789abcdef0"),
                IdRule::TableName => "Music".to_owned(),
                IdRule::RdsIdentifier => "aurora-1".to_owned(),
            };
            let resource = spec.kind.arn_resource(&id);
            assert_eq!(spec.kind.id_in_arn_resource(&resource), Some(id.as_str()));
            let arn = Arn::build(spec.arn_service, "eu-central-1", "123456789012", &resource).unwrap();
            assert_eq!(ResourceKind::of_arn(&arn), Some(spec.kind));
        }
        assert_eq!(ResourceKind::RdsDbInstance.arn_resource("MyDB"), "db:mydb");
        assert_eq!(ResourceKind::RdsDbInstance.id_in_arn_resource("cluster:x"), None);
        let index = Arn::parse("arn:aws:dynamodb:eu-central-1:123456789012:table/t/index/i").unwrap();
        assert_eq!(ResourceKind::of_arn(&index), None);
    }
}
