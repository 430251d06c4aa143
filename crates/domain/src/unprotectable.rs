//! Configurations of a kind that AWS Backup cannot protect. A kind's row lists them (`KindSpec::unprotectable`); the
//! tagger reads the attributes from the creation record, the sweep from the listing, both under the same attribute
//! names, and such a resource is skipped with the reason (tagging it would promise a backup that never happens).

/// How an attribute's value is tested.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matches {
    /// The value is one of these (exactly, as the service spells its enums).
    OneOf(&'static [&'static str]),
    /// Any non-empty value.
    Present,
    /// Absent, or one of these: for an attribute whose documented default is among the values (the service fills it
    /// in later, or older resources lack it).
    AbsentOrOneOf(&'static [&'static str]),
}

/// One configuration AWS Backup cannot protect: every condition of `when` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unprotectable {
    /// (attribute name, test). Attribute names are ours, e.g. `fileSystemType`; each source maps its fields to them.
    pub when: &'static [(&'static str, Matches)],
    /// Why, for people, with the documentation that says so.
    pub reason: &'static str,
    /// Set when AWS Backup protects the resource through another it belongs to (an Aurora instance through its
    /// cluster): the audit judges it by that one.
    pub parent: Option<Parent>,
}

/// The resource AWS Backup protects instead: its kind, and the attribute holding its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parent {
    pub kind: crate::ResourceKind,
    pub id_attribute: &'static str,
}

impl Unprotectable {
    /// Whether every condition holds for the attributes `attribute` returns.
    pub fn holds<'a>(&self, attribute: &impl Fn(&str) -> Option<&'a str>) -> bool {
        self.when.iter().all(|(name, test)| match (attribute(name), test) {
            (Some(value), Matches::OneOf(values) | Matches::AbsentOrOneOf(values)) => values.contains(&value),
            (Some(value), Matches::Present) => !value.is_empty(),
            (None, Matches::AbsentOrOneOf(_)) => true,
            (None, Matches::OneOf(_) | Matches::Present) => false,
        })
    }
}

/// The reason of the first configuration in `rules` that holds, if any.
pub fn reason<'a>(
    rules: &'static [Unprotectable],
    attribute: impl Fn(&str) -> Option<&'a str>,
) -> Option<&'static str> {
    rule(rules, attribute).map(|r| r.reason)
}

/// The first configuration in `rules` that holds, if any.
pub fn rule<'a>(
    rules: &'static [Unprotectable],
    attribute: impl Fn(&str) -> Option<&'a str>,
) -> Option<&'static Unprotectable> {
    rules.iter().find(|r| r.holds(&attribute))
}

// The rules of each kind (its row's `unprotectable`).

/// FSx attributes the `unprotectable` rules test, named as FSx's API names them; the creation record and the listing
/// both set them.
pub const FSX_TYPE: &str = "FileSystemType";
pub const FSX_DEPLOYMENT_TYPE: &str = "LustreConfiguration.DeploymentType";
pub const FSX_DATA_REPOSITORY: &str = "LustreConfiguration.DataRepositoryConfiguration.ImportPath";

/// What AWS Backup cannot protect among FSx file systems. The AWS Backup developer guide ("Restore an FSx file
/// system"): it "supports Amazon FSx for Lustre file systems that have persistent storage deployment type and are not
/// linked to a data repository like Amazon S3"; FSx for Lustre guide ("Working with backups"): backups "of persistent
/// file systems that are not linked to an Amazon S3 durable data repository"; FSx API reference (LustreDeploymentType):
/// "The default is SCRATCH_1". AWS Backup developer guide ("Assigning resources"): "For Amazon FSx for NetApp ONTAP,
/// when using tag-based resource selection, apply tags to individual volumes instead of the whole file system".
pub const FSX_UNPROTECTABLE: &[Unprotectable] = &[
    Unprotectable {
        when: &[
            (FSX_TYPE, Matches::OneOf(&["LUSTRE"])),
            (FSX_DEPLOYMENT_TYPE, Matches::AbsentOrOneOf(&["SCRATCH_1", "SCRATCH_2"])),
        ],
        reason: "a scratch FSx for Lustre file system; AWS Backup backs up only persistent ones",
        parent: None,
    },
    Unprotectable {
        when: &[
            (FSX_TYPE, Matches::OneOf(&["LUSTRE"])),
            (FSX_DATA_REPOSITORY, Matches::Present),
        ],
        reason:
            "an FSx for Lustre file system linked to a data repository (S3); AWS Backup backs up only unlinked ones",
        parent: None,
    },
    Unprotectable {
        when: &[(FSX_TYPE, Matches::OneOf(&["ONTAP"]))],
        reason:
            "an FSx for NetApp ONTAP file system; AWS Backup protects ONTAP per volume, and volumes are not tagged \
                 by superwerker-backup (tag them by hand)",
        parent: None,
    },
];

/// The attribute naming the DB cluster an RDS instance belongs to (`DBClusterIdentifier`, as RDS's API names it).
pub const RDS_CLUSTER_MEMBER: &str = "DBClusterIdentifier";

/// RDS instances AWS Backup protects through their cluster. AWS Backup developer guide ("Amazon Aurora"): Aurora is
/// backed up at the cluster level, and a cluster's instances are not backed up on their own; Multi-AZ DB clusters
/// likewise (feature availability: "Multi-AZ clusters"). So the cluster is what gets tagged and judged.
pub const RDS_INSTANCE_UNPROTECTABLE: &[Unprotectable] = &[Unprotectable {
    when: &[(RDS_CLUSTER_MEMBER, Matches::Present)],
    reason: "an instance of a DB cluster; AWS Backup backs up the cluster, not its instances (the cluster is tagged)",
    parent: Some(Parent {
        kind: crate::ResourceKind::RdsDbCluster,
        id_attribute: RDS_CLUSTER_MEMBER,
    }),
}];

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &[Unprotectable] = &[
        Unprotectable {
            when: &[
                ("type", Matches::OneOf(&["A", "B"])),
                ("mode", Matches::OneOf(&["scratch"])),
            ],
            reason: "scratch A or B",
            parent: None,
        },
        Unprotectable {
            when: &[("link", Matches::Present)],
            reason: "linked",
            parent: None,
        },
        Unprotectable {
            when: &[
                ("type", Matches::OneOf(&["D"])),
                ("mode", Matches::AbsentOrOneOf(&["scratch"])),
            ],
            reason: "D defaults to scratch",
            parent: None,
        },
    ];

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> + 'a {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    #[test]
    fn every_condition_must_hold() {
        assert_eq!(
            reason(RULES, lookup(&[("type", "A"), ("mode", "scratch")])),
            Some("scratch A or B")
        );
        assert_eq!(reason(RULES, lookup(&[("type", "C"), ("mode", "scratch")])), None);
        assert_eq!(reason(RULES, lookup(&[("type", "A"), ("mode", "persistent")])), None);
        assert_eq!(
            reason(RULES, lookup(&[("type", "A")])),
            None,
            "an absent attribute holds no condition"
        );
        assert_eq!(reason(RULES, lookup(&[("mode", "scratch")])), None);
    }

    #[test]
    fn absent_or_one_of_takes_the_default() {
        assert_eq!(reason(RULES, lookup(&[("type", "D")])), Some("D defaults to scratch"));
        assert_eq!(
            reason(RULES, lookup(&[("type", "D"), ("mode", "scratch")])),
            Some("D defaults to scratch")
        );
        assert_eq!(reason(RULES, lookup(&[("type", "D"), ("mode", "persistent")])), None);
    }

    #[test]
    fn present_needs_a_non_empty_value() {
        assert_eq!(reason(RULES, lookup(&[("link", "s3://bucket")])), Some("linked"));
        assert_eq!(reason(RULES, lookup(&[("link", "")])), None);
        assert_eq!(reason(RULES, lookup(&[])), None);
        assert_eq!(reason(&[], lookup(&[("link", "x")])), None);
    }
}
