//! The sweep's chain record (`superwerker_backup_domain::chain`): one DynamoDB item in the stack's own table, read
//! with a strongly consistent read and replaced only when unchanged since it was read. DynamoDB API reference (botocore's
//! model): PutItem `ConditionExpression`, "A condition that must be satisfied in order for a conditional PutItem
//! operation to succeed" (UpdateItem's alike), else `ConditionalCheckFailedException`, "A condition specified in the
//! operation failed to be evaluated"; GetItem `ConsistentRead`, "If set to true, then the operation uses strongly
//! consistent reads".

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use superwerker_backup_domain::chain::ChainRecord;

use crate::error::{AdapterError, ErrorKind};

/// What the record needs (Service Authorization Reference: on the table).
pub(crate) const CHAIN_ACTIONS: &[&str] = &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"];

/// The item's key: one chain per stack, and a stack sweeps one region.
const KEY: &str = "sweep";

#[derive(Clone, Debug)]
pub struct ChainTable {
    client: Client,
    table: String,
}

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

impl ChainTable {
    pub fn new(client: Client, table: &str) -> Self {
        ChainTable {
            client,
            table: table.to_owned(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn key(&self) -> HashMap<String, AttributeValue> {
        HashMap::from([("id".to_owned(), AttributeValue::S(KEY.to_owned()))])
    }

    /// The record, or `None` when no chain ever ran here.
    pub async fn read(&self) -> Result<Option<ChainRecord>, AdapterError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(self.key()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AdapterError::from_sdk("DynamoDB.GetItem", &self.table, e.into_service_error()))?;
        out.item.map(|item| self.parse(&item)).transpose()
    }

    fn parse(&self, item: &HashMap<String, AttributeValue>) -> Result<ChainRecord, AdapterError> {
        let bad = |what: &str| {
            AdapterError::local(
                "DynamoDB.GetItem",
                &self.table,
                ErrorKind::Other,
                format!("the chain record has no valid {what}: {item:?}"),
            )
        };
        let number = |name: &str| -> Result<u64, AdapterError> {
            item.get(name)
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| bad(name))
        };
        Ok(ChainRecord {
            chain: item
                .get("chain")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .ok_or_else(|| bad("chain"))?,
            step: u32::try_from(number("step")?).map_err(|_| bad("step"))?,
            running_until_ms: number("runningUntilMs")?,
            pending: *item
                .get("pending")
                .and_then(|v| v.as_bool().ok())
                .ok_or_else(|| bad("pending"))?,
            version: number("version")?,
        })
    }

    /// Claims `step` of `chain` until `running_until_ms`, if the record is still `seen` (`None`: no record). `None`
    /// when another delivery changed it first.
    pub async fn claim(
        &self,
        seen: Option<&ChainRecord>,
        chain: &str,
        step: u32,
        running_until_ms: u64,
    ) -> Result<Option<ChainRecord>, AdapterError> {
        let claimed = ChainRecord {
            chain: chain.to_owned(),
            step,
            running_until_ms,
            pending: false,
            version: seen.map_or(1, |r| r.version + 1),
        };
        let mut item = self.key();
        item.insert("chain".into(), AttributeValue::S(claimed.chain.clone()));
        item.insert("step".into(), n(step.into()));
        item.insert("runningUntilMs".into(), n(running_until_ms));
        item.insert("pending".into(), AttributeValue::Bool(false));
        item.insert("version".into(), n(claimed.version));
        let request = self.client.put_item().table_name(&self.table).set_item(Some(item));
        let request = match seen {
            None => request
                .condition_expression("attribute_not_exists(#id)")
                .expression_attribute_names("#id", "id"),
            Some(r) => request
                .condition_expression("#version = :seen")
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":seen", n(r.version)),
        };
        let sent = request.send().await.map_err(|e| e.into_service_error());
        Ok(self.held("DynamoDB.PutItem", sent)?.then_some(claimed))
    }

    /// Ends the `claimed` step: the chain awaits its next step (`pending`) or is over. `false` when the record changed
    /// since the claim (the claim had lapsed and a tick took the chain on).
    pub async fn end(&self, claimed: &ChainRecord, pending: bool) -> Result<bool, AdapterError> {
        let sent = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self.key()))
            // Every name through a placeholder: DynamoDB's reserved words are many (DynamoDB developer guide,
            // "Reserved words in DynamoDB").
            .update_expression("SET #running = :zero, #pending = :pending, #version = :next")
            .condition_expression("#version = :claimed")
            .expression_attribute_names("#running", "runningUntilMs")
            .expression_attribute_names("#pending", "pending")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":pending", AttributeValue::Bool(pending))
            .expression_attribute_values(":next", n(claimed.version + 1))
            .expression_attribute_values(":claimed", n(claimed.version))
            .send()
            .await
            .map_err(|e| e.into_service_error());
        self.held("DynamoDB.UpdateItem", sent)
    }

    /// Whether a conditional write was made: `false` when its condition did not hold
    /// (`ConditionalCheckFailedException`), an error for any other failure.
    fn held<T, E>(&self, operation: &'static str, sent: Result<T, E>) -> Result<bool, AdapterError>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match sent {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(AdapterError::from_sdk(operation, &self.table, e)),
        }
    }
}
