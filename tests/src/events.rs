//! The CloudTrail events AWS would send for the emulator's resources: the real fixture records
//! (tests/fixtures/cloudtrail, sources in SOURCES.txt) with the emulator's ids, account and region.

use serde_json::{json, Value};

use crate::{envelope, fixture, Emulator};

impl Emulator {
    /// The CloudTrail event for the cluster: the real SumoLogic-docs record, with the emulator's ids.
    pub fn create_db_cluster_event(&self, id: &str, arn: &str, request_tags: &[(&str, &str)]) -> Value {
        let mut d = self.record("create-db-cluster.sumologic.json");
        d["requestParameters"]["dBClusterIdentifier"] = json!(id);
        d["responseElements"]["dBClusterIdentifier"] = json!(id);
        d["responseElements"]["dBClusterArn"] = json!(arn);
        if !request_tags.is_empty() {
            d["requestParameters"]["tags"] = tag_list(request_tags);
        }
        envelope(d)
    }

    /// The CloudTrail event for the file system: the synthetic record (EFS docs envelope), with the emulator's ids.
    pub fn create_file_system_event(&self, id: &str, arn: &str, request_tags: &[(&str, &str)]) -> Value {
        let mut d = self.record("create-file-system.synthetic.json");
        d["responseElements"]["fileSystemId"] = json!(id);
        d["responseElements"]["fileSystemArn"] = json!(arn);
        d["requestParameters"]["tags"] = tag_list(request_tags);
        d["responseElements"]["tags"] = tag_list(request_tags);
        envelope(d)
    }

    /// The CloudTrail event for an FSx file system: the synthetic record (botocore's CreateFileSystem shapes), with
    /// the emulator's ids, its type and, for Lustre, its deployment type.
    pub fn create_fsx_file_system_event(
        &self,
        id: &str,
        arn: &str,
        request_tags: &[(&str, &str)],
        file_system_type: &str,
        deployment: Option<&str>,
    ) -> Value {
        let mut d = self.record("create-file-system-fsx.synthetic.json");
        let fs = &mut d["responseElements"]["fileSystem"];
        fs["fileSystemId"] = json!(id);
        fs["resourceARN"] = json!(arn);
        fs["tags"] = tag_list(request_tags);
        fs["fileSystemType"] = json!(file_system_type);
        d["requestParameters"]["fileSystemType"] = json!(file_system_type);
        d["requestParameters"]["tags"] = tag_list(request_tags);
        if let Some(deployment) = deployment {
            let lustre = json!({"deploymentType": deployment, "perUnitStorageThroughput": 125});
            d["requestParameters"]["lustreConfiguration"] = lustre.clone();
            d["responseElements"]["fileSystem"]["lustreConfiguration"] = lustre;
        }
        envelope(d)
    }

    /// The RunInstances event: the real Panther record with the emulator's instance ids and the request's volume tag
    /// specification (the instance's own `Name` tag specification stays).
    pub fn run_instances_event(&self, instance_ids: &[String], volume_tags: &[(&str, &str)]) -> Value {
        let mut d = self.record("run-instances.panther.json");
        let template = d["responseElements"]["instancesSet"]["items"][0].clone();
        let items: Vec<Value> = instance_ids
            .iter()
            .map(|id| {
                let mut item = template.clone();
                item["instanceId"] = json!(id);
                item
            })
            .collect();
        d["responseElements"]["instancesSet"]["items"] = Value::Array(items);
        if !volume_tags.is_empty() {
            d["requestParameters"]["tagSpecificationSet"]["items"]
                .as_array_mut()
                .expect("the fixture has tag specifications")
                .push(json!({"resourceType": "volume", "tags": tag_list(volume_tags)}));
        }
        envelope(d)
    }

    /// The CreateFleet event: the synthetic record with the emulator's instance ids (one id per fleet item, each as a
    /// single-element XML list, the shape CloudTrail gives it).
    pub fn create_fleet_event(&self, instance_ids: &[String]) -> Value {
        let mut d = self.record("create-fleet.synthetic.json");
        let template = d["responseElements"]["CreateFleetResponse"]["fleetInstanceSet"]["item"][1].clone();
        let items: Vec<Value> = instance_ids
            .iter()
            .map(|id| {
                let mut item = template.clone();
                item["instanceIds"] = json!({"item": id});
                item
            })
            .collect();
        d["responseElements"]["CreateFleetResponse"]["fleetInstanceSet"]["item"] = Value::Array(items);
        envelope(d)
    }

    /// The CloudTrail event AWS would send for the table: the real AWS-docs record, with the emulator's ids.
    pub fn create_table_event(&self, name: &str, arn: Option<&str>, request_tags: &[(&str, &str)]) -> Value {
        let mut d = self.record("create-table.awsdocs.json");
        d["requestParameters"]["tableName"] = json!(name);
        d["responseElements"]["tableDescription"]["tableName"] = json!(name);
        if let Some(arn) = arn {
            d["responseElements"]["tableDescription"]["tableArn"] = json!(arn);
        }
        if !request_tags.is_empty() {
            d["requestParameters"]["tags"] = tag_list(request_tags);
        }
        envelope(d)
    }

    /// The CloudTrail event for the volume: the real KMS-docs record, with the emulator's ids.
    pub fn create_volume_event(&self, volume_id: &str, request_tags: &[(&str, &str)]) -> Value {
        let mut d = self.record("create-volume.awsdocs-kms.json");
        d["responseElements"]["volumeId"] = json!(volume_id);
        d["requestParameters"]["zone"] = json!(format!("{}a", self.region));
        d["responseElements"]["zone"] = json!(format!("{}a", self.region));
        if !request_tags.is_empty() {
            let items = json!([{"resourceType": "volume", "tags": tag_list(request_tags)}]);
            d["requestParameters"]["tagSpecificationSet"] = json!({"items": items});
            d["responseElements"]["tagSet"] = json!({"items": tag_list(request_tags)});
        }
        envelope(d)
    }

    /// The CloudTrail event for the DB instance: the real RDS-docs record, with the emulator's ids.
    pub fn create_db_instance_event(&self, id: &str, arn: &str, request_tags: &[(&str, &str)]) -> Value {
        let mut d = self.record("create-db-instance.awsdocs.json");
        d["requestParameters"]["dBInstanceIdentifier"] = json!(id);
        d["responseElements"]["dBInstanceIdentifier"] = json!(id);
        d["responseElements"]["dBInstanceArn"] = json!(arn);
        if !request_tags.is_empty() {
            d["requestParameters"]["tags"] = tag_list(request_tags);
            d["responseElements"]["tagList"] = tag_list(request_tags);
        }
        envelope(d)
    }

    /// A tag-removal event from `fixture` (tests/fixtures/cloudtrail, one per service) naming this resource: every
    /// id and ARN of the fixture's own resource replaced by `id` / `arn`.
    pub fn removal_event(&self, fixture: &str, id: &str, arn: &str) -> Value {
        let mut d = self.record(fixture);
        let p = &mut d["requestParameters"];
        for field in ["resourceArn", "resourceName", "resourceARN"] {
            if p.get(field).is_some() {
                p[field] = json!(arn);
            }
        }
        if p.get("resourceId").is_some() {
            p["resourceId"] = json!(id);
        }
        if p.get("resourcesSet").is_some() {
            p["resourcesSet"] = json!({"items": [{"resourceId": id}]});
        }
        envelope(d)
    }

    /// A fixture record moved into the emulator's account and region.
    fn record(&self, name: &str) -> Value {
        let mut d = fixture(name);
        d["awsRegion"] = json!(self.region);
        d["recipientAccountId"] = json!(self.account);
        d["userIdentity"]["accountId"] = json!(self.account);
        d
    }
}

pub(crate) fn tag_list(tags: &[(&str, &str)]) -> Value {
    Value::Array(tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect())
}
