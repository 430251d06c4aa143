//! CloudTrail in one region: the trails that apply there (shadow copies of multi-region and organization trails
//! included), whether each is logging, and its event selectors, as domain types.

use aws_sdk_cloudtrail::Client;
use superwerker_backup_domain::coverage::{FieldSelector, TrailSelector, TrailState};

use crate::error::{sdk, AdapterError};

/// IAM actions of the audit's CloudTrail reads.
pub(crate) const AUDIT_ACTIONS: &[&str] = &[
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetEventSelectors",
    "cloudtrail:GetTrailStatus",
];

#[derive(Clone, Debug)]
pub struct Trails {
    client: Client,
    region: String,
}

impl Trails {
    pub fn new(client: Client, region: &str) -> Self {
        Trails {
            client,
            region: region.to_owned(),
        }
    }

    /// Every trail that applies to this region (`DescribeTrails` with shadow trails), with `GetTrailStatus` and
    /// `GetEventSelectors` each called with the trail's ARN, as the API reference asks for shadow trails.
    pub async fn states(&self) -> Result<Vec<TrailState>, AdapterError> {
        let listed = self
            .client
            .describe_trails()
            .include_shadow_trails(true)
            .send()
            .await
            .map_err(sdk("CloudTrail.DescribeTrails", &self.region))?;
        let mut out = Vec::new();
        for trail in listed.trail_list() {
            let Some(arn) = trail.trail_arn().or(trail.name()) else {
                continue;
            };
            let status = self
                .client
                .get_trail_status()
                .name(arn)
                .send()
                .await
                .map_err(sdk("CloudTrail.GetTrailStatus", arn))?;
            let selectors = self
                .client
                .get_event_selectors()
                .trail_name(arn)
                .send()
                .await
                .map_err(sdk("CloudTrail.GetEventSelectors", arn))?;
            let mut found: Vec<TrailSelector> = selectors
                .event_selectors()
                .iter()
                .map(|s| TrailSelector::Basic {
                    read_write_type: s.read_write_type().map(|t| t.as_str().to_owned()).unwrap_or_default(),
                    include_management_events: s.include_management_events().unwrap_or(false),
                })
                .collect();
            found.extend(selectors.advanced_event_selectors().iter().map(|s| {
                TrailSelector::Advanced(
                    s.field_selectors()
                        .iter()
                        .map(|f| FieldSelector {
                            field: f.field().to_owned(),
                            equals: f.equals().to_vec(),
                            not_equals: f.not_equals().to_vec(),
                            other_operators: !(f.starts_with().is_empty()
                                && f.ends_with().is_empty()
                                && f.not_starts_with().is_empty()
                                && f.not_ends_with().is_empty()),
                        })
                        .collect(),
                )
            }));
            out.push(TrailState {
                name: arn.to_owned(),
                logging: status.is_logging().unwrap_or(false),
                selectors: found,
            });
        }
        Ok(out)
    }
}
