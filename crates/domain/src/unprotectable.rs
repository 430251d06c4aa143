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
    rules.iter().find(|r| r.holds(&attribute)).map(|r| r.reason)
}

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
        },
        Unprotectable {
            when: &[("link", Matches::Present)],
            reason: "linked",
        },
        Unprotectable {
            when: &[
                ("type", Matches::OneOf(&["D"])),
                ("mode", Matches::AbsentOrOneOf(&["scratch"])),
            ],
            reason: "D defaults to scratch",
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
