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
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 4] = [
        ResourceKind::DynamoDbTable,
        ResourceKind::EbsVolume,
        ResourceKind::RdsDbInstance,
        ResourceKind::RdsDbCluster,
    ];

    /// The service part of the resource's ARN.
    pub fn arn_service(self) -> &'static str {
        match self {
            ResourceKind::DynamoDbTable => "dynamodb",
            ResourceKind::EbsVolume => "ec2",
            ResourceKind::RdsDbInstance | ResourceKind::RdsDbCluster => "rds",
        }
    }

    /// The resource type as tag policies and the Resource Groups Tagging API name it.
    pub fn label(self) -> &'static str {
        match self {
            ResourceKind::DynamoDbTable => "dynamodb:table",
            ResourceKind::EbsVolume => "ec2:volume",
            ResourceKind::RdsDbInstance => "rds:db",
            ResourceKind::RdsDbCluster => "rds:cluster",
        }
    }

    /// The resource part of the ARN for an id (RDS identifiers are stored lowercase by RDS).
    pub fn arn_resource(self, id: &str) -> String {
        match self {
            ResourceKind::DynamoDbTable => format!("table/{id}"),
            ResourceKind::EbsVolume => format!("volume/{id}"),
            ResourceKind::RdsDbInstance => format!("db:{}", id.to_ascii_lowercase()),
            ResourceKind::RdsDbCluster => format!("cluster:{}", id.to_ascii_lowercase()),
        }
    }

    /// The id inside an ARN's resource part, if the resource part is of this kind.
    pub fn id_in_arn_resource(self, resource: &str) -> Option<&str> {
        let prefix = match self {
            ResourceKind::DynamoDbTable => "table/",
            ResourceKind::EbsVolume => "volume/",
            ResourceKind::RdsDbInstance => "db:",
            ResourceKind::RdsDbCluster => "cluster:",
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
            ResourceKind::EbsVolume => id.strip_prefix("vol-").is_some_and(|hex| {
                (1..=32).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            }),
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

/// Every event the tagger handles. Add a row here (and a fixture) to handle a new creation event.
pub const HANDLED_EVENTS: &[HandledEvent] = &[
    HandledEvent {
        event_source: "dynamodb.amazonaws.com",
        event_name: "CreateTable",
        kind: ResourceKind::DynamoDbTable,
        arn_at: &["/responseElements/tableDescription/tableArn"],
        id_at: &[
            "/responseElements/tableDescription/tableName",
            "/requestParameters/tableName",
        ],
        request_tags: RequestTagsAt::TagList("/requestParameters/tags"),
    },
    HandledEvent {
        event_source: "dynamodb.amazonaws.com",
        event_name: "RestoreTableFromBackup",
        kind: ResourceKind::DynamoDbTable,
        arn_at: &["/responseElements/tableDescription/tableArn"],
        id_at: &[
            "/responseElements/tableDescription/tableName",
            "/requestParameters/targetTableName",
        ],
        request_tags: RequestTagsAt::TagList("/requestParameters/tags"),
    },
    HandledEvent {
        event_source: "dynamodb.amazonaws.com",
        event_name: "RestoreTableToPointInTime",
        kind: ResourceKind::DynamoDbTable,
        arn_at: &["/responseElements/tableDescription/tableArn"],
        id_at: &[
            "/responseElements/tableDescription/tableName",
            "/requestParameters/targetTableName",
        ],
        request_tags: RequestTagsAt::TagList("/requestParameters/tags"),
    },
    HandledEvent {
        event_source: "dynamodb.amazonaws.com",
        event_name: "ImportTable",
        kind: ResourceKind::DynamoDbTable,
        arn_at: &["/responseElements/importTableDescription/tableArn"],
        id_at: &["/requestParameters/tableCreationParameters/tableName"],
        request_tags: RequestTagsAt::TagList("/requestParameters/tags"),
    },
    HandledEvent {
        event_source: "ec2.amazonaws.com",
        event_name: "CreateVolume",
        kind: ResourceKind::EbsVolume,
        arn_at: &[],
        id_at: &["/responseElements/volumeId"],
        request_tags: RequestTagsAt::TagSpecifications {
            items: "/requestParameters/tagSpecificationSet/items",
            resource_type: "volume",
        },
    },
    HandledEvent {
        event_source: "rds.amazonaws.com",
        event_name: "CreateDBInstance",
        kind: ResourceKind::RdsDbInstance,
        arn_at: &["/responseElements/dBInstanceArn"],
        id_at: &[
            "/responseElements/dBInstanceIdentifier",
            "/requestParameters/dBInstanceIdentifier",
        ],
        request_tags: RequestTagsAt::TagList("/requestParameters/tags"),
    },
    HandledEvent {
        event_source: "rds.amazonaws.com",
        event_name: "RestoreDBInstanceFromDBSnapshot",
        kind: ResourceKind::RdsDbInstance,
        arn_at: &["/responseElements/dBInstanceArn"],
        id_at: &[
            "/responseElements/dBInstanceIdentifier",
            "/requestParameters/dBInstanceIdentifier",
        ],
        request_tags: RequestTagsAt::TagList("/requestParameters/tags"),
    },
    HandledEvent {
        event_source: "rds.amazonaws.com",
        event_name: "RestoreDBInstanceToPointInTime",
        kind: ResourceKind::RdsDbInstance,
        arn_at: &["/responseElements/dBInstanceArn"],
        id_at: &[
            "/responseElements/dBInstanceIdentifier",
            "/requestParameters/targetDBInstanceIdentifier",
        ],
        request_tags: RequestTagsAt::TagList("/requestParameters/tags"),
    },
    HandledEvent {
        event_source: "rds.amazonaws.com",
        event_name: "RestoreDBInstanceFromS3",
        kind: ResourceKind::RdsDbInstance,
        arn_at: &["/responseElements/dBInstanceArn"],
        id_at: &[
            "/responseElements/dBInstanceIdentifier",
            "/requestParameters/dBInstanceIdentifier",
        ],
        request_tags: RequestTagsAt::TagList("/requestParameters/tags"),
    },
    HandledEvent {
        event_source: "rds.amazonaws.com",
        event_name: "CreateDBInstanceReadReplica",
        kind: ResourceKind::RdsDbInstance,
        arn_at: &["/responseElements/dBInstanceArn"],
        id_at: &[
            "/responseElements/dBInstanceIdentifier",
            "/requestParameters/dBInstanceIdentifier",
        ],
        request_tags: RequestTagsAt::TagList("/requestParameters/tags"),
    },
    HandledEvent {
        event_source: "rds.amazonaws.com",
        event_name: "CreateDBCluster",
        kind: ResourceKind::RdsDbCluster,
        arn_at: &["/responseElements/dBClusterArn"],
        id_at: &[
            "/responseElements/dBClusterIdentifier",
            "/requestParameters/dBClusterIdentifier",
        ],
        request_tags: RequestTagsAt::TagList("/requestParameters/tags"),
    },
    HandledEvent {
        event_source: "rds.amazonaws.com",
        event_name: "RestoreDBClusterFromSnapshot",
        kind: ResourceKind::RdsDbCluster,
        arn_at: &["/responseElements/dBClusterArn"],
        id_at: &[
            "/responseElements/dBClusterIdentifier",
            "/requestParameters/dBClusterIdentifier",
        ],
        request_tags: RequestTagsAt::TagList("/requestParameters/tags"),
    },
    HandledEvent {
        event_source: "rds.amazonaws.com",
        event_name: "RestoreDBClusterToPointInTime",
        kind: ResourceKind::RdsDbCluster,
        arn_at: &["/responseElements/dBClusterArn"],
        id_at: &[
            "/responseElements/dBClusterIdentifier",
            "/requestParameters/dBClusterIdentifier",
        ],
        request_tags: RequestTagsAt::TagList("/requestParameters/tags"),
    },
    HandledEvent {
        event_source: "rds.amazonaws.com",
        event_name: "RestoreDBClusterFromS3",
        kind: ResourceKind::RdsDbCluster,
        arn_at: &["/responseElements/dBClusterArn"],
        id_at: &[
            "/responseElements/dBClusterIdentifier",
            "/requestParameters/dBClusterIdentifier",
        ],
        request_tags: RequestTagsAt::TagList("/requestParameters/tags"),
    },
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
                !a.arn_at.is_empty() || !a.id_at.is_empty(),
                "{} has no identity",
                a.event_name
            );
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
            };
            assert_eq!(kind.id_in_arn_resource(&kind.arn_resource(id)), Some(id));
        }
        assert_eq!(ResourceKind::RdsDbInstance.arn_resource("MyDB"), "db:mydb");
        assert_eq!(ResourceKind::RdsDbInstance.id_in_arn_resource("cluster:x"), None);
    }
}
