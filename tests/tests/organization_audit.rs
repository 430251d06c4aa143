//! `superwerker-backup audit --organization` and `backfill --organization` (README, Organization; issue: organization,
//! parts 1 and 3), the real CLI against the emulator's organization: the management account and four members in two
//! OUs, resources in some of them.
//! moto switches accounts by the credentials that STS AssumeRole returns for a role ARN in another account, and its
//! AssumeRole always succeeds ("the role does not need to exist"); the account whose role cannot be entered is made
//! with the fault proxy answering AssumeRole as AWS does when the role's trust or the caller's policy refuses it
//! (`AccessDenied`, HTTP 403). An SCP denial cannot be emulated beyond that answer.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use superwerker_backup_e2e::organization::{cli, inside, two_ous};
use superwerker_backup_e2e::{browser, target_dir, Emulator, FaultProxy};

const KEY: &str = "superwerker:backup";

/// (exit code, stdout) of `superwerker-backup audit --organization …` through the fault proxy.
fn run(args: &[&str]) -> (i32, String) {
    cli(&[&["audit", "--organization"], args].concat())
}

/// (exit code, JSON report).
fn audit_organization(args: &[&str]) -> (i32, Value) {
    let (code, stdout) = run(&[&["--output", "json"], args].concat());
    (
        code,
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}")),
    )
}

fn by_account(report: &Value) -> BTreeMap<String, Value> {
    report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["account"].as_str().unwrap().to_owned(), a.clone()))
        .collect()
}

fn counts(a: &Value) -> BTreeMap<String, u64> {
    a["report"]["counts"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn every_account_is_audited_and_the_one_that_cannot_be_entered_is_reported() {
    let em = Emulator::connect().await;
    let org = two_ous(&em, ["prod", "staging", "play", "locked"]).await;
    let [prod, staging, play, locked] = org.members.clone();
    let workloads = org.workloads.clone();

    // The seeded plan: prod has a daily volume no plan covers, an opted-out one and an untagged one; staging an
    // untagged table; play and the management account nothing.
    let p = inside(&em, &prod).await;
    let daily = p.create_volume(&[(KEY, "daily")]).await.unwrap();
    let none = p.create_volume(&[(KEY, "none")]).await.unwrap();
    let untagged = p.create_volume(&[]).await.unwrap();
    let s = inside(&em, &staging).await;
    let (_, table_arn) = s.create_table(&[]).await.unwrap();

    let faults = FaultProxy::from_env();
    faults
        .add(json!([{"id": "locked", "service": "sts", "op": "AssumeRole", "contains": locked, "fault": "deny"}]))
        .await
        .unwrap();
    let region = em.region.clone();
    let (code, report) = audit_organization(&["--regions", &region, "--role-name", "OrganizationAccountAccessRole"]);
    let accounts = by_account(&report);
    assert_eq!(code, 2, "an account could not be entered: partial\n{report:#}");
    assert_eq!(
        accounts.keys().cloned().collect::<Vec<_>>(),
        {
            let mut all = vec![
                em.account.clone(),
                prod.clone(),
                staging.clone(),
                play.clone(),
                locked.clone(),
            ];
            all.sort();
            all
        },
        "the management account and every member"
    );
    let expect = |pairs: &[(&str, u64)]| {
        pairs
            .iter()
            .map(|(k, n)| (k.to_string(), *n))
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(
        counts(&accounts[&prod]),
        expect(&[("not-covered", 1), ("opted-out", 1), ("untagged", 1)])
    );
    assert_eq!(accounts[&prod]["report"]["unprotected"], 2);
    assert_eq!(counts(&accounts[&staging]), expect(&[("untagged", 1)]));
    assert_eq!(counts(&accounts[&play]), BTreeMap::new());
    assert_eq!(counts(&accounts[&em.account]), BTreeMap::new());
    for complete in [&prod, &staging, &play, &em.account] {
        assert_eq!(accounts[complete]["error"], Value::Null, "{complete}");
        assert_eq!(accounts[complete]["regions"], json!([region]), "{complete}");
    }
    assert_eq!(accounts[&prod]["name"], "prod");
    let refused = accounts[&locked]["error"].as_str().unwrap();
    assert!(
        refused.starts_with("cannot be entered: STS.AssumeRole on arn:aws:iam::")
            && refused.contains(":role/OrganizationAccountAccessRole"),
        "{refused}"
    );
    assert!(refused.contains("(AccessDenied)"), "{refused}");
    assert_eq!(accounts[&locked]["report"], Value::Null);

    // The table a person reads: a line per account, the refusal on its line, the totals.
    let (code, table) = run(&["--regions", &region, "--role-name", "OrganizationAccountAccessRole"]);
    assert_eq!(code, 2);
    if std::env::var_os("SWB_PRINT_ORG").is_some() {
        println!("{table}");
    }
    for id in accounts.keys() {
        assert_eq!(
            table.lines().filter(|l| l.starts_with(id.as_str())).count(),
            1,
            "{id}\n{table}"
        );
    }
    let locked_line = table.lines().find(|l| l.starts_with(locked.as_str())).unwrap();
    assert!(locked_line.contains("unreadable: cannot be entered"), "{locked_line}");
    let prod_line = table.lines().find(|l| l.starts_with(prod.as_str())).unwrap();
    assert!(prod_line.contains("not-covered=1 untagged=1"), "{prod_line}");
    assert!(
        table.contains(
            "5 accounts (1 could not be read, role OrganizationAccountAccessRole): 4 resources, 0 protected, \
             1 opted out, 3 unprotected"
        ),
        "{table}"
    );
    let (_, csv) = run(&[
        "--regions",
        &region,
        "--role-name",
        "OrganizationAccountAccessRole",
        "--output",
        "csv",
    ]);
    assert!(
        csv.starts_with("account,name,regions,verdict,resources,status\n"),
        "{csv}"
    );
    for id in accounts.keys() {
        assert!(
            csv.lines().any(|l| l.starts_with(&format!("{id},"))),
            "a row for {id}, resources or not:\n{csv}"
        );
    }
    assert!(csv.contains(&format!("{play},play,{region},,0,")), "{csv}");
    assert!(
        csv.contains(&format!(
            "{prod},prod,{region},untagged,1,\"complete, 1 region findings\""
        )),
        "{csv}"
    );

    // The auditors' page, opened in headless Chromium: every account id in the text the browser laid out, the
    // refusal and the reasons with their fixes, and a screenshot that is not blank.
    let (code, page) = run(&[
        "--regions",
        &region,
        "--role-name",
        "OrganizationAccountAccessRole",
        "--output",
        "html",
    ]);
    assert_eq!(code, 2);
    let dir = target_dir().join("reports");
    std::fs::create_dir_all(&dir).unwrap();
    let (html, png) = (dir.join("organization.html"), dir.join("organization.png"));
    std::fs::write(&html, &page).unwrap();
    let shown = browser::render(&html, &png, 1280, 1100);
    println!(
        "the organization report: {} (screenshot {})",
        html.display(),
        png.display()
    );
    for id in accounts.keys() {
        assert!(
            shown.text.contains(id.as_str()),
            "{id} not on the page:\n{}",
            shown.text
        );
    }
    for words in [
        "cannot be entered: STS.AssumeRole",
        "untagged — 2 resources in 2 accounts",
        "not-covered — 1 resources in 1 accounts",
        "Fix: superwerker-backup backfill (or tag it)",
    ] {
        assert!(shown.text.contains(words), "{words:?} not on the page:\n{}", shown.text);
    }
    assert_eq!((shown.width, shown.height), (1280, 1100));
    assert!(
        shown.inked > 0.01,
        "the screenshot is (nearly) blank: {:.4} inked",
        shown.inked
    );

    // One OU: only its accounts; none refused, so the exit code says unprotected (3).
    let (code, report) = audit_organization(&[
        "--regions",
        &region,
        "--role-name",
        "OrganizationAccountAccessRole",
        "--ou",
        &workloads,
    ]);
    let only: Vec<String> = by_account(&report).into_keys().collect();
    let mut expected = vec![prod.clone(), staging.clone()];
    expected.sort();
    assert_eq!(only, expected);
    assert_eq!(code, 3);
    faults.remove("locked").await.unwrap();

    // One account, the default role, every region enabled in it (EC2 DescribeRegions inside the account).
    let (code, report) = audit_organization(&["--accounts", &prod]);
    let only = by_account(&report);
    assert_eq!(only.keys().cloned().collect::<Vec<_>>(), vec![prod.clone()]);
    assert_eq!(code, 3);
    let regions: Vec<&str> = only[&prod]["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(regions.len() > 1 && regions.contains(&region.as_str()), "{regions:?}");
    assert_eq!(
        counts(&only[&prod]),
        expect(&[("not-covered", 1), ("opted-out", 1), ("untagged", 1)])
    );
    assert_eq!(report["roleName"], "superwerker-backup-audit");

    // backfill --organization, through each region's default role superwerker-backup-backfill-<region>: first a dry
    // run, which writes nothing, then the run. The refused account is reported and hides no other.
    faults
        .add(json!([{"id": "locked", "service": "sts", "op": "AssumeRole", "contains": locked, "fault": "deny"}]))
        .await
        .unwrap();
    let volume = |id: &str| format!("arn:aws:ec2:{region}:{prod}:volume/{id}");
    for dry in [true, false] {
        let mode: &[&str] = if dry { &["--dry-run"] } else { &[] };
        let (code, out) = cli(&[
            &["backfill", "--organization", "--regions", &region, "--output", "json"],
            mode,
        ]
        .concat());
        assert_eq!(code, 2, "an account could not be entered: partial");
        let report: Value = serde_json::from_str(&out).unwrap();
        let by_id: BTreeMap<String, Value> = report["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["account"].as_str().unwrap().to_owned(), a.clone()))
            .collect();
        assert_eq!(by_id.keys().collect::<Vec<_>>(), accounts.keys().collect::<Vec<_>>());
        let refused = by_id[&locked]["regions"][0]["error"].as_str().unwrap();
        assert!(
            refused.contains(&format!(
                ":role/superwerker-backup-backfill-{region} failed (AccessDenied)"
            )),
            "{refused}"
        );
        let done = |id: &str, field: &str| -> u64 {
            let kinds = &by_id[id]["regions"][0]["report"]["kinds"];
            kinds
                .as_object()
                .unwrap()
                .values()
                .map(|k| k[field].as_u64().unwrap())
                .sum()
        };
        let field = if dry { "wouldTag" } else { "tagged" };
        assert_eq!((done(&prod, field), done(&staging, field)), (1, 1), "{out}");
        assert_eq!((done(&play, field), done(&em.account, field)), (0, 0));
        assert_eq!(done(&prod, "alreadyDaily") + done(&prod, "optedOut"), 2);
        let written = p.tag_value(&volume(&untagged), KEY).await.unwrap();
        assert_eq!(written.as_deref(), if dry { None } else { Some("daily") });
        assert_eq!(
            s.tag_value(&table_arn, KEY).await.unwrap().as_deref(),
            written.as_deref()
        );
    }
    // Never overwritten: the daily and opted-out volumes keep their values.
    assert_eq!(p.tag_value(&volume(&none), KEY).await.unwrap().as_deref(), Some("none"));
    assert_eq!(
        p.tag_value(&volume(&daily), KEY).await.unwrap().as_deref(),
        Some("daily")
    );
    faults.remove("locked").await.unwrap();
}
