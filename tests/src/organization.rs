//! An organization in the emulator for the organization-wide commands' tests: OUs, member accounts, the emulator as
//! seen from inside an account, and the CLI through the fault proxy.

use aws_sdk_organizations::Client as Organizations;

use crate::{run_cli, Emulator};

/// A new member account named `name`, moved from the root into `ou`; its id.
pub async fn member(org: &Organizations, root: &str, ou: &str, name: &str) -> String {
    let created = org
        .create_account()
        .email(format!("{name}@example.com"))
        .account_name(name)
        .send()
        .await
        .unwrap();
    let id = created
        .create_account_status()
        .unwrap()
        .account_id()
        .unwrap()
        .to_owned();
    org.move_account()
        .account_id(&id)
        .source_parent_id(root)
        .destination_parent_id(ou)
        .send()
        .await
        .unwrap();
    id
}

/// A new OU below `root`; its id.
pub async fn ou(org: &Organizations, root: &str, name: &str) -> String {
    let out = org
        .create_organizational_unit()
        .parent_id(root)
        .name(name)
        .send()
        .await
        .unwrap();
    out.organizational_unit().unwrap().id().unwrap().to_owned()
}

/// The emulator as seen from inside `account` (credentials of a role there).
pub async fn inside(em: &Emulator, account: &str) -> Emulator {
    let role = format!("arn:aws:iam::{account}:role/OrganizationAccountAccessRole");
    Emulator {
        account: account.to_owned(),
        region: em.region.clone(),
        setup: em.setup.assuming(&role, "seed").await.unwrap(),
    }
}

/// (exit code, stdout) of the CLI through the fault proxy.
pub fn cli(args: &[&str]) -> (i32, String) {
    let proxy = std::env::var("SWB_FAULT_PROXY_URL").expect("the harness runs the fault proxy");
    run_cli(Some(&proxy), args)
}

/// The organization of the organization-wide tests.
pub struct TwoOus {
    pub workloads: String,
    pub sandbox: String,
    /// The members by the names given: the first two in workloads, the others in sandbox.
    pub members: [String; 4],
}

/// Wipes the emulator (the organization and every account's resources are then the calling test's alone) and creates
/// an organization of its account and four members named `names`, in two OUs below the root.
pub async fn two_ous(em: &Emulator, names: [&str; 4]) -> TwoOus {
    em.reset().await.unwrap();
    let root = em.create_organization().await.unwrap();
    let org = em.clients().organizations;
    let (workloads, sandbox) = (ou(&org, &root, "workloads").await, ou(&org, &root, "sandbox").await);
    let mut members: [String; 4] = Default::default();
    for (i, name) in names.into_iter().enumerate() {
        members[i] = member(&org, &root, if i < 2 { &workloads } else { &sandbox }, name).await;
    }
    TwoOus {
        workloads,
        sandbox,
        members,
    }
}
