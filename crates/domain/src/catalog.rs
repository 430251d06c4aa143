//! The one table of handled CloudTrail events: which API call creates which resource, where its identity and its
//! request-time tags are found. The tagger, the infra event patterns and the docs all read this table.

use serde::Serialize;

/// A kind of resource AWS Backup can protect and this service tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ResourceKind {
    DynamoDbTable,
    EbsVolume,
    RdsDbInstance,
    /// Aurora and Multi-AZ DB clusters: AWS Backup protects these at the cluster level.
    RdsDbCluster,
    EfsFileSystem,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 5] = [
        ResourceKind::DynamoDbTable,
        ResourceKind::EbsVolume,
        ResourceKind::RdsDbInstance,
        ResourceKind::RdsDbCluster,
        ResourceKind::EfsFileSystem,
    ];

    /// The service part of the resource's ARN.
    pub fn arn_service(self) -> &'static str {
        match self {
            ResourceKind::DynamoDbTable => "dynamodb",
            ResourceKind::EbsVolume => "ec2",
            ResourceKind::RdsDbInstance | ResourceKind::RdsDbCluster => "rds",
            ResourceKind::EfsFileSystem => "elasticfilesystem",
        }
    }

    /// The resource type as tag policies and the Resource Groups Tagging API name it.
    pub fn label(self) -> &'static str {
        match self {
            ResourceKind::DynamoDbTable => "dynamodb:table",
            ResourceKind::EbsVolume => "ec2:volume",
            ResourceKind::RdsDbInstance => "rds:db",
            ResourceKind::RdsDbCluster => "rds:cluster",
            ResourceKind::EfsFileSystem => "elasticfilesystem:file-system",
        }
    }

    /// The resource part of the ARN for an id (RDS identifiers are stored lowercase by RDS).
    pub fn arn_resource(self, id: &str) -> String {
        match self {
            ResourceKind::DynamoDbTable => format!("table/{id}"),
            ResourceKind::EbsVolume => format!("volume/{id}"),
            ResourceKind::RdsDbInstance => format!("db:{}", id.to_ascii_lowercase()),
            ResourceKind::RdsDbCluster => format!("cluster:{}", id.to_ascii_lowercase()),
            ResourceKind::EfsFileSystem => format!("file-system/{id}"),
        }
    }

    /// The id inside an ARN's resource part, if the resource part is of this kind.
    pub fn id_in_arn_resource(self, resource: &str) -> Option<&str> {
        let prefix = match self {
            ResourceKind::DynamoDbTable => "table/",
            ResourceKind::EbsVolume => "volume/",
            ResourceKind::RdsDbInstance => "db:",
            ResourceKind::RdsDbCluster => "cluster:",
            ResourceKind::EfsFileSystem => "file-system/",
        };
        resource.strip_prefix(prefix).filter(|id| self.is_valid_id(id))
    }

    /// Whether `id` is a well-formed identifier for this kind (AWS naming rules). Anything else — path
    /// separators, quotes, control characters, oversized strings — is refused before any AWS call.
    pub fn is_valid_id(self, id: &str) -> bool {
        match self {
            // DynamoDB: 3-255 characters of a-z A-Z 0-9 _ - .
            ResourceKind::DynamoDbTable => {
                (3..=255).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
            }
            // EC2: vol- followed by 8 or 17 hex digits (accept 1..=32 so emulators' ids pass).
            ResourceKind::EbsVolume => is_hex_id(id, "vol-"),
            // EFS: fs- followed by 8 or 17 hex digits (the same tolerance).
            ResourceKind::EfsFileSystem => is_hex_id(id, "fs-"),
            // RDS instances and clusters: 1-63 letters, digits, hyphens; starts with a letter; no trailing or
            // double hyphen.
            ResourceKind::RdsDbInstance | ResourceKind::RdsDbCluster => {
                (1..=63).contains(&id.len())
                    && id.as_bytes()[0].is_ascii_alphabetic()
                    && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !id.ends_with('-')
                    && !id.contains("--")
            }
        }
    }
}

/// `prefix` followed by 1 to 32 lowercase hex digits: EC2 and EFS ids (AWS issues 8 or 17; emulators vary).
pub fn is_hex_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        (1..=32).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Where a creation request carries the tags set at creation time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestTagsAt {
    /// A list of `{key, value}` at this JSON pointer (DynamoDB, RDS).
    TagList(&'static str),
    /// EC2 `tagSpecificationSet.items[]`: tags of the items whose `resourceType` matches.
    TagSpecifications {
        items: &'static str,
        resource_type: &'static str,
    },
    /// The request cannot tag the created resources (EC2 Fleet: volume tags come only from the launch template);
    /// their tags are read from the service.
    NotInRequest,
}

/// Events that launch EC2 instances: the record names the instances, whose EBS volumes are then looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstancesAt {
    /// `responseElements.instancesSet.items[].instanceId` (RunInstances).
    InstancesSet,
    /// `fleetInstanceSet` items' `instanceIds` (CreateFleet of type `instant`), under
    /// `responseElements.CreateFleetResponse` (EC2's XML answer as CloudTrail records it) or directly under
    /// `responseElements`.
    FleetInstanceSet,
}

/// One handled CloudTrail event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandledEvent {
    /// CloudTrail `eventSource`, e.g. `dynamodb.amazonaws.com`.
    pub event_source: &'static str,
    /// CloudTrail `eventName`, e.g. `CreateTable`.
    pub event_name: &'static str,
    /// What the call creates.
    pub kind: ResourceKind,
    /// JSON pointers to the resource's ARN, first present wins.
    pub arn_at: &'static [&'static str],
    /// JSON pointers to the resource's id (name), used to build the ARN when no ARN is in the record.
    pub id_at: &'static [&'static str],
    /// Where the request-time tags are.
    pub request_tags: RequestTagsAt,
    /// For events that launch instances: where their ids are (the created resources are their EBS volumes).
    pub instances: Option<InstancesAt>,
}

impl HandledEvent {
    /// The EventBridge `source` of this event: `aws.` and the service prefix of `eventSource`.
    pub fn eventbridge_source(&self) -> String {
        let service = self
            .event_source
            .strip_suffix(".amazonaws.com")
            .unwrap_or(self.event_source);
        format!("aws.{service}")
    }
}

const DYNAMODB: &str = "dynamodb.amazonaws.com";
const EC2: &str = "ec2.amazonaws.com";
const RDS: &str = "rds.amazonaws.com";
const EFS: &str = "elasticfilesystem.amazonaws.com";
const EC2_TAG_SPECIFICATIONS: &str = "/requestParameters/tagSpecificationSet/items";

/// A row whose record names the resource and carries request tags as a `[{key, value}]` list.
const fn named(
    event_source: &'static str,
    event_name: &'static str,
    kind: ResourceKind,
    arn_at: &'static [&'static str],
    id_at: &'static [&'static str],
    tags_at: &'static str,
) -> HandledEvent {
    HandledEvent {
        event_source,
        event_name,
        kind,
        arn_at,
        id_at,
        request_tags: RequestTagsAt::TagList(tags_at),
        instances: None,
    }
}

/// An RDS DB instance row: ARN in `dBInstanceArn`, identifier in the response or at `request_id`.
const fn rds_instance(event_name: &'static str, id_at: &'static [&'static str]) -> HandledEvent {
    named(
        RDS,
        event_name,
        ResourceKind::RdsDbInstance,
        &["/responseElements/dBInstanceArn"],
        id_at,
        "/requestParameters/tags",
    )
}

/// An RDS DB cluster row: ARN in `dBClusterArn`.
const fn rds_cluster(event_name: &'static str) -> HandledEvent {
    named(
        RDS,
        event_name,
        ResourceKind::RdsDbCluster,
        &["/responseElements/dBClusterArn"],
        &[
            "/responseElements/dBClusterIdentifier",
            "/requestParameters/dBClusterIdentifier",
        ],
        "/requestParameters/tags",
    )
}

/// A DynamoDB restore row: the table is described in the response, named `targetTableName` in the request.
const fn dynamodb_restore(event_name: &'static str) -> HandledEvent {
    named(
        DYNAMODB,
        event_name,
        ResourceKind::DynamoDbTable,
        &["/responseElements/tableDescription/tableArn"],
        &[
            "/responseElements/tableDescription/tableName",
            "/requestParameters/targetTableName",
        ],
        "/requestParameters/tags",
    )
}

/// An EC2 row that launches instances: their EBS volumes are the resources.
const fn instance_launch(event_name: &'static str, at: InstancesAt, request_tags: RequestTagsAt) -> HandledEvent {
    HandledEvent {
        event_source: EC2,
        event_name,
        kind: ResourceKind::EbsVolume,
        arn_at: &[],
        id_at: &[],
        request_tags,
        instances: Some(at),
    }
}

const RDS_INSTANCE_ID: &[&str] = &[
    "/responseElements/dBInstanceIdentifier",
    "/requestParameters/dBInstanceIdentifier",
];

/// Every event the tagger handles. Add a row here (and a fixture) to handle a new creation event.
pub const HANDLED_EVENTS: &[HandledEvent] = &[
    named(
        DYNAMODB,
        "CreateTable",
        ResourceKind::DynamoDbTable,
        &["/responseElements/tableDescription/tableArn"],
        &[
            "/responseElements/tableDescription/tableName",
            "/requestParameters/tableName",
        ],
        "/requestParameters/tags",
    ),
    dynamodb_restore("RestoreTableFromBackup"),
    dynamodb_restore("RestoreTableToPointInTime"),
    named(
        DYNAMODB,
        "ImportTable",
        ResourceKind::DynamoDbTable,
        &["/responseElements/importTableDescription/tableArn"],
        &["/requestParameters/tableCreationParameters/tableName"],
        "/requestParameters/tags",
    ),
    HandledEvent {
        event_source: EC2,
        event_name: "CreateVolume",
        kind: ResourceKind::EbsVolume,
        arn_at: &[],
        id_at: &["/responseElements/volumeId"],
        request_tags: RequestTagsAt::TagSpecifications {
            items: EC2_TAG_SPECIFICATIONS,
            resource_type: "volume",
        },
        instances: None,
    },
    instance_launch(
        "RunInstances",
        InstancesAt::InstancesSet,
        RequestTagsAt::TagSpecifications {
            items: EC2_TAG_SPECIFICATIONS,
            resource_type: "volume",
        },
    ),
    instance_launch(
        "CreateFleet",
        InstancesAt::FleetInstanceSet,
        RequestTagsAt::NotInRequest,
    ),
    rds_instance("CreateDBInstance", RDS_INSTANCE_ID),
    rds_instance("RestoreDBInstanceFromDBSnapshot", RDS_INSTANCE_ID),
    rds_instance(
        "RestoreDBInstanceToPointInTime",
        &[
            "/responseElements/dBInstanceIdentifier",
            "/requestParameters/targetDBInstanceIdentifier",
        ],
    ),
    rds_instance("RestoreDBInstanceFromS3", RDS_INSTANCE_ID),
    rds_instance("CreateDBInstanceReadReplica", RDS_INSTANCE_ID),
    rds_cluster("CreateDBCluster"),
    rds_cluster("RestoreDBClusterFromSnapshot"),
    rds_cluster("RestoreDBClusterToPointInTime"),
    rds_cluster("RestoreDBClusterFromS3"),
    named(
        EFS,
        "CreateFileSystem",
        ResourceKind::EfsFileSystem,
        &["/responseElements/fileSystemArn"],
        &["/responseElements/fileSystemId"],
        "/requestParameters/tags",
    ),
];

/// The table row for a CloudTrail `eventSource` and `eventName`, if handled.
pub fn handled_event(event_source: &str, event_name: &str) -> Option<&'static HandledEvent> {
    HANDLED_EVENTS
        .iter()
        .find(|e| e.event_source == event_source && e.event_name == event_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_unique_rows_and_consistent_sources() {
        for (i, a) in HANDLED_EVENTS.iter().enumerate() {
            for b in &HANDLED_EVENTS[i + 1..] {
                assert!(
                    (a.event_source, a.event_name) != (b.event_source, b.event_name),
                    "duplicate row {}",
                    a.event_name
                );
            }
            assert!(a.event_source.ends_with(".amazonaws.com"));
            assert!(
                !a.arn_at.is_empty() || !a.id_at.is_empty() || a.instances.is_some(),
                "{} has no identity",
                a.event_name
            );
            assert_eq!(a.instances.is_some(), a.arn_at.is_empty() && a.id_at.is_empty());
            assert!(a.arn_at.iter().chain(a.id_at).all(|p| p.starts_with('/')));
        }
    }

    #[test]
    fn lookup_and_eventbridge_source() {
        let e = handled_event("ec2.amazonaws.com", "CreateVolume").unwrap();
        assert_eq!(e.kind, ResourceKind::EbsVolume);
        assert_eq!(e.eventbridge_source(), "aws.ec2");
        assert_eq!(
            handled_event("rds.amazonaws.com", "CreateDBInstance")
                .unwrap()
                .eventbridge_source(),
            "aws.rds"
        );
        assert!(handled_event("ec2.amazonaws.com", "CreateTable").is_none());
        assert!(handled_event("dynamodb.amazonaws.com", "DeleteTable").is_none());
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
    fn arn_resource_parts_round_trip() {
        for kind in ResourceKind::ALL {
            let id = match kind {
                ResourceKind::DynamoDbTable => "Music",
                ResourceKind::EbsVolume => "vol-13439757",
                ResourceKind::RdsDbInstance => "test-instance",
                ResourceKind::RdsDbCluster => "aurora-1",
                ResourceKind::EfsFileSystem => "fs-0123456789abcdef0",
            };
            assert_eq!(kind.id_in_arn_resource(&kind.arn_resource(id)), Some(id));
        }
        assert_eq!(ResourceKind::RdsDbInstance.arn_resource("MyDB"), "db:mydb");
        assert_eq!(ResourceKind::RdsDbInstance.id_in_arn_resource("cluster:x"), None);
    }
}
