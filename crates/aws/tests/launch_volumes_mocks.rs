//! The volumes of a launched instance, against DescribeInstances / DescribeVolumes answers in the shapes the EC2 API
//! reference documents, with aws-smithy-mocks: the two answers are eventually consistent with each other, and moto
//! always shows every volume at once, so an instance whose block device mappings name a volume the volume listing
//! does not show yet cannot be produced there.

use aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput;
use aws_sdk_ec2::operation::describe_volumes::DescribeVolumesOutput;
use aws_sdk_ec2::types::{
    DeviceType, EbsInstanceBlockDevice, Instance, InstanceBlockDeviceMapping, InstanceState, InstanceStateName,
    Reservation, Volume, VolumeAttachment,
};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use superwerker_backup_aws::services::ec2::Ec2;
use superwerker_backup_aws::{AttachedVolumes, ErrorKind};

const REGION: &str = "eu-central-1";
const ACCOUNT: &str = "123456789012";

fn instance(state: InstanceStateName, root: DeviceType, mapped: &'static [&'static str]) -> Rule {
    mock!(aws_sdk_ec2::Client::describe_instances).then_output(move || {
        let mut i = Instance::builder()
            .instance_id("i-1")
            .state(InstanceState::builder().name(state.clone()).build())
            .root_device_type(root.clone());
        for (n, v) in mapped.iter().enumerate() {
            i = i.block_device_mappings(
                InstanceBlockDeviceMapping::builder()
                    .device_name(format!("/dev/xvd{}", (b'a' + n as u8) as char))
                    .ebs(EbsInstanceBlockDevice::builder().volume_id(*v).build())
                    .build(),
            );
        }
        DescribeInstancesOutput::builder()
            .reservations(Reservation::builder().instances(i.build()).build())
            .build()
    })
}

fn volumes(ids: &'static [&'static str]) -> Rule {
    mock!(aws_sdk_ec2::Client::describe_volumes).then_output(move || {
        let mut out = DescribeVolumesOutput::builder();
        for id in ids {
            out = out.volumes(
                Volume::builder()
                    .volume_id(*id)
                    .attachments(VolumeAttachment::builder().instance_id("i-1").volume_id(*id).build())
                    .build(),
            );
        }
        out.build()
    })
}

async fn run(instance: Rule, volumes: Rule) -> Result<AttachedVolumes, superwerker_backup_aws::AdapterError> {
    let ec2 = Ec2::new(mock_client!(aws_sdk_ec2, RuleMode::MatchAny, [&instance, &volumes]));
    ec2.instance_volumes(REGION, ACCOUNT, &["i-1".to_owned()]).await
}

#[tokio::test]
async fn an_instance_is_complete_only_when_every_mapped_volume_is_listed() {
    let running = || instance(InstanceStateName::Running, DeviceType::Ebs, &["vol-a", "vol-b"]);
    let partial = run(running(), volumes(&["vol-a"])).await.unwrap_err();
    assert_eq!(partial.kind, ErrorKind::NotReady, "{partial}");
    assert!(partial.to_string().contains("vol-b"), "{partial}");
    let whole = run(running(), volumes(&["vol-a", "vol-b"])).await.unwrap();
    let ids: Vec<&str> = whole.volumes.iter().map(|v| v.volume.id.as_str()).collect();
    assert_eq!(ids, ["vol-a", "vol-b"]);
    assert!(whole.without_volumes.is_empty());
}

#[tokio::test]
async fn a_pending_instance_without_volumes_is_not_ready_and_nothing_to_protect_is_said() {
    let pending = run(instance(InstanceStateName::Pending, DeviceType::Ebs, &[]), volumes(&[]))
        .await
        .unwrap_err();
    assert_eq!(pending.kind, ErrorKind::NotReady);
    let store = run(
        instance(InstanceStateName::Running, DeviceType::InstanceStore, &[]),
        volumes(&[]),
    )
    .await
    .unwrap();
    assert!(store.without_volumes[0].1.contains("instance-store"), "{store:?}");
    let gone = run(
        instance(InstanceStateName::Terminated, DeviceType::Ebs, &["vol-a"]),
        volumes(&[]),
    )
    .await
    .unwrap();
    assert!(gone.without_volumes[0].1.contains("terminated"), "{gone:?}");
}
