//! The one table of handled CloudTrail events: which API call creates (or launches, or removes tags from) which
//! resources, and where the record names them and their request-time tags. The tagger, the infra event patterns and the
//! docs all read this table.

use crate::kinds::ResourceKind;

/// Where a creation request carries the tags set at creation time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestTagsAt {
    /// A list of `{key, value}` at this JSON pointer (DynamoDB, RDS, EFS).
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

/// Where a tag-removal call names its resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetsAt {
    /// One ARN; a resource of none of our kinds is not ours to check.
    Arn(&'static str),
    /// A list of ARNs (the Tagging API's `resourceARNList`).
    ArnList(&'static str),
    /// EC2 `resourcesSet.items[].resourceId`: the ids of `kind` among them (the others are instances, snapshots…).
    Ec2Items { items: &'static str, kind: ResourceKind },
    /// One id of `kind` (EFS names file systems by id).
    Id { at: &'static str, kind: ResourceKind },
}

/// Where a tag-removal call names the keys it removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeysAt {
    /// A list of keys. Absent, empty or not a list (AWS redacts some, and its own samples show `[]`): unknown, so the
    /// resources are checked.
    List(&'static str),
    /// EC2 `tagSet.items[].key`. Absent: "If you omit this parameter, we delete all user-defined tags" (EC2 API
    /// reference, DeleteTags) — ours among them.
    Ec2TagSet(&'static str),
}

/// What a handled call does to resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Creates one resource of `kind`, named by an ARN at one of `arn_at`, else an id at one of `id_at`.
    Creates {
        kind: ResourceKind,
        arn_at: &'static [&'static str],
        id_at: &'static [&'static str],
        request_tags: RequestTagsAt,
        /// (attribute name, JSON pointer) of the attributes the kind's `unprotectable` rules test; a name may come
        /// more than once (the first pointer that holds a string wins).
        attributes: &'static [(&'static str, &'static str)],
    },
    /// Launches EC2 instances; their EBS volumes are the resources.
    Launches {
        instances: InstancesAt,
        request_tags: RequestTagsAt,
    },
    /// Removes tags. Where our key may be among them, the resources are read again and `daily` added where the key
    /// is absent (opting out is `none`, not deleting the key).
    RemovesTags { targets: TargetsAt, keys: KeysAt },
}

/// One handled CloudTrail event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandledEvent {
    /// CloudTrail `eventSource`, e.g. `dynamodb.amazonaws.com`.
    pub event_source: &'static str,
    /// CloudTrail `eventName`, e.g. `CreateTable`.
    pub event_name: &'static str,
    pub effect: Effect,
}

impl HandledEvent {
    /// The EventBridge `source` of this event: `aws.` and the service prefix of `eventSource` (EventBridge reference,
    /// events of each service: `aws.tagging` for `tagging.amazonaws.com` — not `aws.tag`, which is the Tagging API's
    /// own "Tag Change on Resource" events).
    pub fn eventbridge_source(&self) -> String {
        let service = self
            .event_source
            .strip_suffix(".amazonaws.com")
            .unwrap_or(self.event_source);
        format!("aws.{service}")
    }

    /// The kind of resource the event concerns, where the row fixes one.
    pub fn kind(&self) -> Option<ResourceKind> {
        match self.effect {
            Effect::Creates { kind, .. } => Some(kind),
            Effect::Launches { .. } => Some(ResourceKind::EbsVolume),
            Effect::RemovesTags { targets, .. } => match targets {
                TargetsAt::Ec2Items { kind, .. } | TargetsAt::Id { kind, .. } => Some(kind),
                TargetsAt::Arn(_) | TargetsAt::ArnList(_) => None,
            },
        }
    }
}

const DYNAMODB: &str = "dynamodb.amazonaws.com";
const EC2: &str = "ec2.amazonaws.com";
const RDS: &str = "rds.amazonaws.com";
const EFS: &str = "elasticfilesystem.amazonaws.com";
const TAGGING: &str = "tagging.amazonaws.com";
const FSX: &str = "fsx.amazonaws.com";
const EC2_TAG_SPECIFICATIONS: &str = "/requestParameters/tagSpecificationSet/items";
const TAG_LIST: RequestTagsAt = RequestTagsAt::TagList("/requestParameters/tags");
const TAG_KEYS: KeysAt = KeysAt::List("/requestParameters/tagKeys");

const fn creates(
    event_source: &'static str,
    event_name: &'static str,
    kind: ResourceKind,
    arn_at: &'static [&'static str],
    id_at: &'static [&'static str],
) -> HandledEvent {
    HandledEvent {
        event_source,
        event_name,
        effect: Effect::Creates {
            kind,
            arn_at,
            id_at,
            request_tags: TAG_LIST,
            attributes: &[],
        },
    }
}

const fn removes(
    event_source: &'static str,
    event_name: &'static str,
    targets: TargetsAt,
    keys: KeysAt,
) -> HandledEvent {
    HandledEvent {
        event_source,
        event_name,
        effect: Effect::RemovesTags { targets, keys },
    }
}

/// An FSx call that creates a file system; its answer is `{fileSystem: FileSystem}` (FSx API reference), read first
/// for the attributes the kind's `unprotectable` rules test, the request after.
const fn fsx_creates(event_name: &'static str) -> HandledEvent {
    use crate::kinds::{FSX_DATA_REPOSITORY, FSX_DEPLOYMENT_TYPE, FSX_TYPE};
    HandledEvent {
        event_source: FSX,
        event_name,
        effect: Effect::Creates {
            kind: ResourceKind::FsxFileSystem,
            arn_at: &["/responseElements/fileSystem/resourceARN"],
            id_at: &["/responseElements/fileSystem/fileSystemId"],
            request_tags: TAG_LIST,
            attributes: &[
                (FSX_TYPE, "/responseElements/fileSystem/fileSystemType"),
                (FSX_TYPE, "/requestParameters/fileSystemType"),
                (
                    FSX_DEPLOYMENT_TYPE,
                    "/responseElements/fileSystem/lustreConfiguration/deploymentType",
                ),
                (
                    FSX_DEPLOYMENT_TYPE,
                    "/requestParameters/lustreConfiguration/deploymentType",
                ),
                (
                    FSX_DATA_REPOSITORY,
                    "/responseElements/fileSystem/lustreConfiguration/dataRepositoryConfiguration/importPath",
                ),
                (FSX_DATA_REPOSITORY, "/requestParameters/lustreConfiguration/importPath"),
            ],
        },
    }
}

const RDS_INSTANCE_ARN: &[&str] = &["/responseElements/dBInstanceArn"];
const RDS_INSTANCE_ID: &[&str] = &[
    "/responseElements/dBInstanceIdentifier",
    "/requestParameters/dBInstanceIdentifier",
];
const RDS_CLUSTER_ARN: &[&str] = &["/responseElements/dBClusterArn"];
const RDS_CLUSTER_ID: &[&str] = &[
    "/responseElements/dBClusterIdentifier",
    "/requestParameters/dBClusterIdentifier",
];
const TABLE_ARN: &[&str] = &["/responseElements/tableDescription/tableArn"];
const RESTORED_TABLE_ID: &[&str] = &[
    "/responseElements/tableDescription/tableName",
    "/requestParameters/targetTableName",
];

/// DynamoDB restores: the answer's table, else the request's target name.
const fn restored_table(event_name: &'static str) -> HandledEvent {
    creates(
        DYNAMODB,
        event_name,
        ResourceKind::DynamoDbTable,
        TABLE_ARN,
        RESTORED_TABLE_ID,
    )
}

/// RDS calls whose answer is a DBInstance named as in CreateDBInstance.
const fn rds_instance(event_name: &'static str) -> HandledEvent {
    creates(
        RDS,
        event_name,
        ResourceKind::RdsDbInstance,
        RDS_INSTANCE_ARN,
        RDS_INSTANCE_ID,
    )
}

/// CreateDBInstance: an instance created into a DB cluster names it in `DBClusterIdentifier` (RDS API reference).
const fn rds_instance_maybe_in_cluster(event_name: &'static str) -> HandledEvent {
    use crate::kinds::RDS_CLUSTER_MEMBER;
    HandledEvent {
        event_source: RDS,
        event_name,
        effect: Effect::Creates {
            kind: ResourceKind::RdsDbInstance,
            arn_at: RDS_INSTANCE_ARN,
            id_at: RDS_INSTANCE_ID,
            request_tags: TAG_LIST,
            attributes: &[
                (RDS_CLUSTER_MEMBER, "/responseElements/dBClusterIdentifier"),
                (RDS_CLUSTER_MEMBER, "/requestParameters/dBClusterIdentifier"),
            ],
        },
    }
}

/// RDS calls whose answer is a DBCluster named as in CreateDBCluster.
const fn rds_cluster(event_name: &'static str) -> HandledEvent {
    creates(
        RDS,
        event_name,
        ResourceKind::RdsDbCluster,
        RDS_CLUSTER_ARN,
        RDS_CLUSTER_ID,
    )
}

/// Every event the tagger handles. Add a row here (and a fixture) to handle a new event.
pub const HANDLED_EVENTS: &[HandledEvent] = &[
    creates(
        DYNAMODB,
        "CreateTable",
        ResourceKind::DynamoDbTable,
        TABLE_ARN,
        &[
            "/responseElements/tableDescription/tableName",
            "/requestParameters/tableName",
        ],
    ),
    restored_table("RestoreTableFromBackup"),
    restored_table("RestoreTableToPointInTime"),
    creates(
        DYNAMODB,
        "ImportTable",
        ResourceKind::DynamoDbTable,
        &["/responseElements/importTableDescription/tableArn"],
        &["/requestParameters/tableCreationParameters/tableName"],
    ),
    HandledEvent {
        event_source: EC2,
        event_name: "CreateVolume",
        effect: Effect::Creates {
            kind: ResourceKind::EbsVolume,
            arn_at: &[],
            id_at: &["/responseElements/volumeId"],
            request_tags: RequestTagsAt::TagSpecifications {
                items: EC2_TAG_SPECIFICATIONS,
                resource_type: "volume",
            },
            attributes: &[],
        },
    },
    HandledEvent {
        event_source: EC2,
        event_name: "RunInstances",
        effect: Effect::Launches {
            instances: InstancesAt::InstancesSet,
            request_tags: RequestTagsAt::TagSpecifications {
                items: EC2_TAG_SPECIFICATIONS,
                resource_type: "volume",
            },
        },
    },
    HandledEvent {
        event_source: EC2,
        event_name: "CreateFleet",
        effect: Effect::Launches {
            instances: InstancesAt::FleetInstanceSet,
            request_tags: RequestTagsAt::NotInRequest,
        },
    },
    rds_instance_maybe_in_cluster("CreateDBInstance"),
    rds_instance("RestoreDBInstanceFromDBSnapshot"),
    creates(
        RDS,
        "RestoreDBInstanceToPointInTime",
        ResourceKind::RdsDbInstance,
        RDS_INSTANCE_ARN,
        &[
            "/responseElements/dBInstanceIdentifier",
            "/requestParameters/targetDBInstanceIdentifier",
        ],
    ),
    rds_instance("RestoreDBInstanceFromS3"),
    rds_instance("CreateDBInstanceReadReplica"),
    rds_cluster("CreateDBCluster"),
    rds_cluster("RestoreDBClusterFromSnapshot"),
    rds_cluster("RestoreDBClusterToPointInTime"),
    rds_cluster("RestoreDBClusterFromS3"),
    creates(
        EFS,
        "CreateFileSystem",
        ResourceKind::EfsFileSystem,
        &["/responseElements/fileSystemArn"],
        &["/responseElements/fileSystemId"],
    ),
    fsx_creates("CreateFileSystem"),
    fsx_creates("CreateFileSystemFromBackup"),
    // Removing our key leaves a resource unprotected: these calls make the tagger look again.
    removes(
        EC2,
        "DeleteTags",
        TargetsAt::Ec2Items {
            items: "/requestParameters/resourcesSet/items",
            kind: ResourceKind::EbsVolume,
        },
        KeysAt::Ec2TagSet("/requestParameters/tagSet/items"),
    ),
    removes(
        DYNAMODB,
        "UntagResource",
        TargetsAt::Arn("/requestParameters/resourceArn"),
        TAG_KEYS,
    ),
    removes(
        EFS,
        "UntagResource",
        TargetsAt::Id {
            at: "/requestParameters/resourceId",
            kind: ResourceKind::EfsFileSystem,
        },
        TAG_KEYS,
    ),
    removes(
        EFS,
        "DeleteTags",
        TargetsAt::Id {
            at: "/requestParameters/fileSystemId",
            kind: ResourceKind::EfsFileSystem,
        },
        TAG_KEYS,
    ),
    removes(
        RDS,
        "RemoveTagsFromResource",
        TargetsAt::Arn("/requestParameters/resourceName"),
        TAG_KEYS,
    ),
    // FSx logs no tag keys in its UntagResource records (FSx for Lustre guide, CloudTrail example): always checked.
    removes(
        FSX,
        "UntagResource",
        TargetsAt::Arn("/requestParameters/resourceARN"),
        TAG_KEYS,
    ),
    removes(
        TAGGING,
        "UntagResources",
        TargetsAt::ArnList("/requestParameters/resourceARNList"),
        TAG_KEYS,
    ),
];

/// The table row for a CloudTrail `eventSource` and `eventName`, if handled.
pub fn handled_event(event_source: &str, event_name: &str) -> Option<&'static HandledEvent> {
    HANDLED_EVENTS
        .iter()
        .find(|e| e.event_source == event_source && e.event_name == event_name)
}
