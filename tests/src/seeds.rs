//! One seed per kind: a resource created in the emulator and the CloudTrail event of its creation, plus how its tags
//! are read and written on the wire. The one place tests choose per kind; every other test iterates kinds.

use anyhow::Result;
use serde_json::Value;
use superwerker_backup_domain::ResourceKind;

use crate::Emulator;

/// A resource created in the emulator, with its creation event.
pub struct Seeded {
    pub kind: ResourceKind,
    /// The id the service's API uses.
    pub id: String,
    pub arn: String,
    /// What names the resource in its requests (for the fault proxy's `contains`).
    pub needle: String,
    /// Its creation event, whose request carried `request_tags`.
    pub event: Value,
    /// The event of someone removing tag keys from it with the service's own call (`DeleteTags`, `UntagResource`,
    /// `RemoveTagsFromResource`): the fixture of that call with this resource's ids; `["superwerker:backup"]` removed.
    pub removal: Value,
}

/// How a kind's tags are read and written on the wire: SigV4 service, read operation, write operation, and the
/// write as the request counter names it.
pub struct Wire {
    pub service: &'static str,
    pub read: &'static str,
    pub write: &'static str,
    pub counted_write: &'static str,
}

/// Creates one resource of `kind` with `creation_tags`, and its event whose request carries `request_tags`.
pub async fn seed(
    em: &Emulator,
    kind: ResourceKind,
    creation_tags: &[(&str, &str)],
    request_tags: &[(&str, &str)],
) -> Result<Seeded> {
    let (id, arn, needle, event, removal_fixture) = match kind {
        ResourceKind::DynamoDbTable => {
            let (name, arn) = em.create_table(creation_tags).await?;
            let event = em.create_table_event(&name, Some(&arn), request_tags);
            (
                name.clone(),
                arn,
                format!("table/{name}"),
                event,
                "untag-resource-dynamodb.synthetic.json",
            )
        }
        ResourceKind::EbsVolume => {
            let id = em.create_volume(creation_tags).await?;
            let event = em.create_volume_event(&id, request_tags);
            (
                id.clone(),
                em.volume_arn(&id),
                id,
                event,
                "delete-tags-ec2.synthetic.json",
            )
        }
        ResourceKind::RdsDbInstance => {
            let (id, arn) = em.create_db_instance(creation_tags).await?;
            let event = em.create_db_instance_event(&id, &arn, request_tags);
            (
                id.clone(),
                arn,
                format!("db:{id}"),
                event,
                "remove-tags-from-resource.synthetic.json",
            )
        }
        ResourceKind::RdsDbCluster => {
            let (id, arn) = em.create_db_cluster(creation_tags).await?;
            let event = em.create_db_cluster_event(&id, &arn, request_tags);
            (
                id.clone(),
                arn,
                format!("cluster:{id}"),
                event,
                "remove-tags-from-resource.synthetic.json",
            )
        }
        ResourceKind::EfsFileSystem => {
            let (id, arn) = em.create_file_system(creation_tags).await?;
            let event = em.create_file_system_event(&id, &arn, request_tags);
            (id.clone(), arn, id, event, "untag-resource-efs.synthetic.json")
        }
        ResourceKind::FsxFileSystem => {
            let (id, arn) = em.create_fsx_file_system(creation_tags, "WINDOWS", None).await?;
            let event = em.create_fsx_file_system_event(&id, &arn, request_tags, "WINDOWS", None);
            (id.clone(), arn, id, event, "untag-resource-fsx.awsdocs.json")
        }
    };
    let removal = em.removal_event(removal_fixture, &id, &arn);
    Ok(Seeded {
        kind,
        id,
        arn,
        needle,
        event,
        removal,
    })
}

/// Removes `key` from the resource the way its owner would, with the service's own call.
pub async fn untag(em: &Emulator, seeded: &Seeded, key: &str) -> Result<()> {
    let c = em.clients();
    match seeded.kind {
        ResourceKind::DynamoDbTable => {
            c.dynamodb
                .untag_resource()
                .resource_arn(&seeded.arn)
                .tag_keys(key)
                .send()
                .await?;
        }
        ResourceKind::EbsVolume => {
            let tag = aws_sdk_ec2::types::Tag::builder().key(key).build();
            c.ec2.delete_tags().resources(&seeded.id).tags(tag).send().await?;
        }
        ResourceKind::RdsDbInstance | ResourceKind::RdsDbCluster => {
            c.rds
                .remove_tags_from_resource()
                .resource_name(&seeded.arn)
                .tag_keys(key)
                .send()
                .await?;
        }
        ResourceKind::EfsFileSystem => {
            c.efs
                .untag_resource()
                .resource_id(&seeded.id)
                .tag_keys(key)
                .send()
                .await?;
        }
        ResourceKind::FsxFileSystem => {
            c.fsx
                .untag_resource()
                .resource_arn(&seeded.arn)
                .tag_keys(key)
                .send()
                .await?;
        }
    }
    Ok(())
}

/// How `kind`'s tags are read and written on the wire.
pub fn wire(kind: ResourceKind) -> Wire {
    match kind {
        ResourceKind::DynamoDbTable => Wire {
            service: "dynamodb",
            read: "ListTagsOfResource",
            write: "TagResource",
            counted_write: "DynamoDB.TagResource",
        },
        ResourceKind::EbsVolume => Wire {
            service: "ec2",
            read: "DescribeVolumes",
            write: "CreateTags",
            counted_write: "EC2.CreateTags",
        },
        ResourceKind::RdsDbInstance | ResourceKind::RdsDbCluster => Wire {
            service: "rds",
            read: "ListTagsForResource",
            write: "AddTagsToResource",
            counted_write: "RDS.AddTagsToResource",
        },
        ResourceKind::EfsFileSystem => Wire {
            service: "elasticfilesystem",
            read: "DescribeFileSystems",
            write: "TagResource",
            counted_write: "EFS.TagResource",
        },
        ResourceKind::FsxFileSystem => Wire {
            service: "fsx",
            read: "DescribeFileSystems",
            write: "TagResource",
            counted_write: "FSx.TagResource",
        },
    }
}
