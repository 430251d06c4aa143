//! The FSx adapter against DescribeFileSystems answers in the shape the FSx API reference documents, with
//! aws-smithy-mocks: moto echoes a created file system's request configuration back as its description (a linked
//! Lustre file system's `ImportPath` then sits where AWS never puts it, under `LustreConfiguration` itself, instead of
//! `LustreConfiguration.DataRepositoryConfiguration`), and answers an unknown id with an empty list instead of
//! `FileSystemNotFound`.

use aws_sdk_fsx::operation::describe_file_systems::{DescribeFileSystemsError, DescribeFileSystemsOutput};
use aws_sdk_fsx::types::error::FileSystemNotFound;
use aws_sdk_fsx::types::{
    DataRepositoryConfiguration, FileSystem, FileSystemType, LustreDeploymentType, LustreFileSystemConfiguration, Tag,
};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::error::ErrorMetadata;
use superwerker_backup_aws::services::fsx::Fsx;
use superwerker_backup_aws::KeepTags;
use superwerker_backup_domain::{ResourceKind, ResourceRef};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "eu-central-1";

fn file_system(id: &str, kind: FileSystemType, lustre: Option<LustreFileSystemConfiguration>) -> FileSystem {
    FileSystem::builder()
        .file_system_id(id)
        .file_system_type(kind)
        .resource_arn(format!("arn:aws:fsx:{REGION}:{ACCOUNT}:file-system/{id}"))
        .tags(Tag::builder().key("team").value("hpc").build())
        .set_lustre_configuration(lustre)
        .build()
}

fn lustre(deployment: Option<LustreDeploymentType>, import_path: Option<&str>) -> LustreFileSystemConfiguration {
    LustreFileSystemConfiguration::builder()
        .set_deployment_type(deployment)
        .set_data_repository_configuration(
            import_path.map(|p| DataRepositoryConfiguration::builder().import_path(p).build()),
        )
        .build()
}

#[tokio::test]
async fn the_listing_tells_what_aws_backup_cannot_protect() {
    let rule = mock!(aws_sdk_fsx::Client::describe_file_systems).then_output(|| {
        DescribeFileSystemsOutput::builder()
            .file_systems(file_system("fs-0000000000000000a", FileSystemType::Windows, None))
            .file_systems(file_system("fs-0000000000000000b", FileSystemType::Openzfs, None))
            .file_systems(file_system(
                "fs-0000000000000000c",
                FileSystemType::Lustre,
                Some(lustre(Some(LustreDeploymentType::Persistent2), None)),
            ))
            .file_systems(file_system(
                "fs-0000000000000000d",
                FileSystemType::Lustre,
                Some(lustre(Some(LustreDeploymentType::Scratch2), None)),
            ))
            .file_systems(file_system(
                "fs-0000000000000000e",
                FileSystemType::Lustre,
                Some(lustre(None, None)),
            ))
            .file_systems(file_system(
                "fs-0000000000000000f",
                FileSystemType::Lustre,
                Some(lustre(
                    Some(LustreDeploymentType::Persistent1),
                    Some("s3://bucket/prefix"),
                )),
            ))
            .file_systems(file_system("fs-00000000000000010", FileSystemType::Ontap, None))
            .build()
    });
    let fsx = Fsx::new(mock_client!(aws_sdk_fsx, RuleMode::MatchAny, [&rule]));
    let found = fsx.list(REGION, ACCOUNT, &KeepTags::All).await.unwrap();
    let verdicts: Vec<(String, Option<&str>)> = found
        .iter()
        .map(|f| {
            assert_eq!(f.resource.kind, ResourceKind::FsxFileSystem);
            assert_eq!(f.tags.as_ref().map(Vec::len), Some(1), "tags come with the listing");
            (f.resource.id.clone(), f.unprotectable())
        })
        .collect();
    let reason = |id: &str| {
        verdicts
            .iter()
            .find(|(i, _)| i == id)
            .and_then(|(_, r)| *r)
            .unwrap_or("")
    };
    for protected in ["fs-0000000000000000a", "fs-0000000000000000b", "fs-0000000000000000c"] {
        assert_eq!(reason(protected), "", "{protected}");
    }
    assert!(reason("fs-0000000000000000d").contains("scratch"));
    assert!(
        reason("fs-0000000000000000e").contains("scratch"),
        "no deployment type: SCRATCH_1"
    );
    assert!(reason("fs-0000000000000000f").contains("data repository"));
    assert!(reason("fs-00000000000000010").contains("per volume"));
    assert_eq!(verdicts.len(), 7);
}

#[tokio::test]
async fn an_unknown_file_system_is_not_found_not_a_failure() {
    let rule = mock!(aws_sdk_fsx::Client::describe_file_systems).then_error(|| {
        // As the SDK reads FSx's answer: the error shape, with the code from `__type` in its metadata.
        let message = "File system 'fs-0123456789abcdef0' does not exist.";
        let meta = ErrorMetadata::builder()
            .code("FileSystemNotFound")
            .message(message)
            .build();
        DescribeFileSystemsError::FileSystemNotFound(FileSystemNotFound::builder().message(message).meta(meta).build())
    });
    let fsx = Fsx::new(mock_client!(aws_sdk_fsx, RuleMode::MatchAny, [&rule]));
    let resource = ResourceRef::parse(&format!(
        "arn:aws:fsx:{REGION}:{ACCOUNT}:file-system/fs-0123456789abcdef0"
    ))
    .unwrap();
    let err = fsx.read_tags(&resource).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

/// The sweep keeps only the tags that decide (our key, in any case) of what it lists; the audit keeps all. The answer
/// is built from the `DescribeFileSystems` shape (a `Tags` list per file system), which moto would answer the same way.
#[tokio::test]
async fn a_listing_for_deciding_keeps_only_our_key_in_any_case() {
    let tagged = |id: &str, tags: &[(&str, &str)]| {
        FileSystem::builder()
            .file_system_id(id)
            .file_system_type(FileSystemType::Windows)
            .resource_arn(format!("arn:aws:fsx:{REGION}:{ACCOUNT}:file-system/{id}"))
            .set_tags(Some(
                tags.iter()
                    .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                    .collect(),
            ))
            .build()
    };
    let rule = mock!(aws_sdk_fsx::Client::describe_file_systems).then_output(move || {
        DescribeFileSystemsOutput::builder()
            .file_systems(tagged(
                "fs-0000000000000001a",
                &[("team", "hpc"), ("superwerker:backup", "none"), ("cost", "1")],
            ))
            .file_systems(tagged(
                "fs-0000000000000001b",
                &[("Superwerker:Backup", "daily"), ("env", "prod")],
            ))
            .file_systems(tagged("fs-0000000000000001c", &[("env", "prod")]))
            .build()
    });
    let fsx = Fsx::new(mock_client!(aws_sdk_fsx, RuleMode::MatchAny, [&rule]));
    let keys = |found: &[superwerker_backup_aws::Found]| -> Vec<Vec<String>> {
        found
            .iter()
            .map(|f| f.tags.as_ref().unwrap().iter().map(|t| t.key.clone()).collect())
            .collect()
    };
    let deciding = KeepTags::Deciding("superwerker:backup".into());
    let trimmed = fsx.list(REGION, ACCOUNT, &deciding).await.unwrap();
    assert_eq!(
        keys(&trimmed),
        vec![
            vec!["superwerker:backup".to_owned()],
            vec!["Superwerker:Backup".to_owned()],
            vec![]
        ]
    );
    let all = fsx.list(REGION, ACCOUNT, &KeepTags::All).await.unwrap();
    assert_eq!(keys(&all).iter().map(Vec::len).collect::<Vec<_>>(), vec![3, 2, 1]);
}
