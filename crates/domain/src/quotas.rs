//! AWS's documented request quotas that the sweep's tag writes draw on: one row each, with the page that documents it.
//! A kind's row in [`crate::KINDS`] names the quotas its bulk write draws on ([`Draw`]) and what one write costs in each.
//! The backfill keeps one token bucket per quota and per account, or per account and region ([`Scope`]).

/// Where AWS keeps a quota's bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// One bucket for the account, across every region.
    Account,
    /// One bucket per account and region.
    Region,
}

/// A token bucket as AWS documents it: `burst` tokens at most, `per_second` added back each second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// For people and logs: "EC2 CreateTags".
    pub name: &'static str,
    pub per_second: u32,
    pub burst: u32,
    pub scope: Scope,
    /// Where AWS documents it.
    pub source: &'static str,
}

/// What one call costs in a quota's bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cost {
    /// One token per request.
    Call,
    /// One token per resource the request tags (the service tags each resource by its own call).
    Resource,
}

/// A quota a kind's bulk write draws on, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Draw {
    pub quota: &'static Quota,
    pub cost: Cost,
}

impl Draw {
    /// Tokens one call tagging `resources` resources takes from the bucket.
    pub fn tokens(&self, resources: usize) -> u32 {
        match self.cost {
            Cost::Call => 1,
            Cost::Resource => u32::try_from(resources).unwrap_or(u32::MAX),
        }
    }
}

/// "You can call TagResource up to five times per second, per account" (DynamoDB API reference, TagResource). The
/// Tagging API's TagResources tags each table through it, so each table costs one.
pub const DYNAMODB_TAG_RESOURCE: Quota = Quota {
    name: "DynamoDB TagResource",
    per_second: 5,
    burst: 1,
    scope: Scope::Account,
    source: "DynamoDB API reference, TagResource",
};

/// "Rate of calling the TagResources API operation: maximum of 5 calls per second" (Tag Editor user guide, Service
/// quotas). The Tagging API answers per region (a regional endpoint), so the bucket is per account and region.
pub const TAGGING_TAG_RESOURCES: Quota = Quota {
    name: "Tagging API TagResources",
    per_second: 5,
    burst: 1,
    scope: Scope::Region,
    source: "Tag Editor user guide, Service quotas",
};

/// EC2 throttles "for each AWS account on a per-Region basis" with token buckets; CreateTags: bucket 100, refill 10
/// per second (EC2 developer guide, Request throttling for the Amazon EC2 API, request token limits).
pub const EC2_CREATE_TAGS: Quota = Quota {
    name: "EC2 CreateTags",
    per_second: 10,
    burst: 100,
    scope: Scope::Region,
    source: "EC2 developer guide, Request throttling for the Amazon EC2 API",
};

/// Every quota a write draws on, for tests and documentation.
pub const QUOTAS: &[&Quota] = &[&DYNAMODB_TAG_RESOURCE, &TAGGING_TAG_RESOURCES, &EC2_CREATE_TAGS];

/// A write through the Tagging API's TagResources: one call, whatever the number of ARNs.
pub const TAGGING_API: &[Draw] = &[Draw {
    quota: &TAGGING_TAG_RESOURCES,
    cost: Cost::Call,
}];

/// A DynamoDB table's write: one TagResources call, and one DynamoDB TagResource per table.
pub const TAGGING_API_DYNAMODB: &[Draw] = &[
    Draw {
        quota: &TAGGING_TAG_RESOURCES,
        cost: Cost::Call,
    },
    Draw {
        quota: &DYNAMODB_TAG_RESOURCE,
        cost: Cost::Resource,
    },
];

/// An EBS volume's write: one CreateTags call for up to 1,000 ids.
pub const EC2_CREATE_TAGS_CALL: &[Draw] = &[Draw {
    quota: &EC2_CREATE_TAGS,
    cost: Cost::Call,
}];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{BulkWrite, KINDS};

    #[test]
    fn every_quota_is_a_real_bucket_with_its_source() {
        for q in QUOTAS {
            assert!(q.per_second > 0 && q.burst > 0, "{} has an empty bucket", q.name);
            assert!(!q.source.is_empty(), "{} cites no page", q.name);
        }
    }

    #[test]
    fn each_kind_draws_on_the_quota_of_the_call_it_writes_with() {
        for spec in KINDS {
            let names: Vec<&str> = spec.write_quotas.iter().map(|d| d.quota.name).collect();
            let call = match spec.bulk_write {
                BulkWrite::Ec2CreateTags => EC2_CREATE_TAGS.name,
                BulkWrite::TaggingApi => TAGGING_TAG_RESOURCES.name,
            };
            assert!(
                names.contains(&call),
                "{} does not draw on {call}: {names:?}",
                spec.label
            );
            let dynamodb = names.contains(&DYNAMODB_TAG_RESOURCE.name);
            assert_eq!(dynamodb, spec.label == "dynamodb:table", "{}: {names:?}", spec.label);
        }
    }

    #[test]
    fn a_per_resource_draw_costs_the_batch_and_a_per_call_draw_one() {
        assert_eq!(TAGGING_API_DYNAMODB[0].tokens(20), 1);
        assert_eq!(TAGGING_API_DYNAMODB[1].tokens(20), 20);
        assert_eq!(EC2_CREATE_TAGS_CALL[0].tokens(1000), 1);
    }
}
