//! An in-memory [`TagStore`] and [`InstanceVolumes`], for fast tests of the engines' tricky branches without the
//! emulator (in the style of aws-samples/serverless-rust-demo's `store/memory.rs`). It can play what AWS does that is
//! hard to arrange: a resource not visible for its first reads, IAM's never-overwrite guard, someone setting the key
//! between our read and our write, a write that fails for one resource.

use std::collections::HashMap;
use std::sync::Mutex;

use superwerker_backup_domain::{ResourceRef, Tag};

use crate::error::{AdapterError, ErrorKind, Refusal};
use crate::services::ec2_launches::{AttachedVolume, AttachedVolumes};
use crate::store::{InstanceVolumes, TagStore};

#[derive(Default)]
struct State {
    tags: HashMap<String, Vec<Tag>>,
    refs: HashMap<String, ResourceRef>,
    hidden_reads: HashMap<String, u32>,
    guard: Option<String>,
    before_write: HashMap<String, Tag>,
    /// Writes that fail: the kind, and how many more times (`None`: always).
    failing: HashMap<String, (ErrorKind, Option<u32>)>,
    instances: HashMap<String, Vec<String>>,
    reads: u32,
    writes: u32,
}

/// Resources and their tags, held in memory.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

fn key_of(r: &ResourceRef) -> String {
    r.arn.to_string()
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// A resource that exists with these tags.
    pub fn insert(&self, resource: &ResourceRef, tags: &[(&str, &str)]) {
        self.with(|s| {
            s.tags
                .insert(key_of(resource), tags.iter().map(|(k, v)| Tag::new(*k, *v)).collect());
            s.refs.insert(key_of(resource), resource.clone());
        })
    }

    /// Its first `reads` reads answer "not found" (just created, not visible yet).
    pub fn hide_for(&self, resource: &ResourceRef, reads: u32) {
        self.with(|s| s.hidden_reads.insert(key_of(resource), reads));
    }

    /// Refuse every write to a resource that has `key`, as IAM does under the deployed roles' guard.
    pub fn guard(&self, key: &str) {
        self.with(|s| s.guard = Some(key.to_owned()));
    }

    /// Someone sets `tag` on the resource after our read, just before our write arrives.
    pub fn set_before_write(&self, resource: &ResourceRef, tag: Tag) {
        self.with(|s| s.before_write.insert(key_of(resource), tag));
    }

    /// Writes to the resource fail with an error of this kind.
    pub fn fail_writes(&self, resource: &ResourceRef, kind: ErrorKind) {
        self.with(|s| s.failing.insert(key_of(resource), (kind, None)));
    }

    /// The next `times` writes to the resource fail with an error of this kind.
    pub fn fail_next_writes(&self, resource: &ResourceRef, kind: ErrorKind, times: u32) {
        self.with(|s| s.failing.insert(key_of(resource), (kind, Some(times))));
    }

    /// An instance with these volumes attached (each must be inserted).
    pub fn attach(&self, instance_id: &str, volumes: &[&ResourceRef]) {
        self.with(|s| {
            s.instances
                .insert(instance_id.to_owned(), volumes.iter().map(|v| key_of(v)).collect())
        });
    }

    /// The resource's tags now.
    pub fn tags(&self, resource: &ResourceRef) -> Vec<Tag> {
        self.with(|s| s.tags.get(&key_of(resource)).cloned().unwrap_or_default())
    }

    /// (reads, writes) answered so far.
    pub fn calls(&self) -> (u32, u32) {
        self.with(|s| (s.reads, s.writes))
    }

    fn read(&self, arn: &str) -> Result<Vec<Tag>, AdapterError> {
        self.with(|s| {
            s.reads += 1;
            if let Some(left) = s.hidden_reads.get_mut(arn).filter(|n| **n > 0) {
                *left -= 1;
                return Err(AdapterError::local(
                    "memory.read",
                    arn,
                    ErrorKind::NotFound,
                    "not visible yet",
                ));
            }
            s.tags
                .get(arn)
                .cloned()
                .ok_or_else(|| AdapterError::local("memory.read", arn, ErrorKind::NotFound, "no such resource"))
        })
    }

    fn write(&self, arn: &str, tag: &Tag) -> Result<(), AdapterError> {
        self.with(|s| {
            s.writes += 1;
            if let Some(set) = s.before_write.remove(arn) {
                let tags = s.tags.entry(arn.to_owned()).or_default();
                tags.retain(|t| t.key != set.key);
                tags.push(set);
            }
            if let Some((kind, times)) = s.failing.get_mut(arn) {
                if times.is_none_or(|n| n > 0) {
                    if let Some(n) = times {
                        *n -= 1;
                    }
                    return Err(AdapterError::local(
                        "memory.write",
                        arn,
                        kind.clone(),
                        "injected failure",
                    ));
                }
            }
            let tags = s
                .tags
                .get_mut(arn)
                .ok_or_else(|| AdapterError::local("memory.write", arn, ErrorKind::NotFound, "no such resource"))?;
            if let Some(key) = &s.guard {
                if tags.iter().any(|t| &t.key == key) {
                    return Err(AdapterError::local(
                        "memory.write",
                        arn,
                        ErrorKind::Refused(Refusal::NoIdentityPolicyAllows),
                        "no identity-based policy allows the write (the guard)",
                    ));
                }
            }
            tags.retain(|t| t.key != tag.key);
            tags.push(tag.clone());
            Ok(())
        })
    }
}

impl TagStore for MemoryStore {
    async fn read_tags(&self, resource: &ResourceRef) -> Result<Vec<Tag>, AdapterError> {
        self.read(&key_of(resource))
    }

    async fn add_tag(&self, resource: &ResourceRef, tag: &Tag) -> Result<(), AdapterError> {
        self.write(&key_of(resource), tag)
    }
}

impl InstanceVolumes for MemoryStore {
    async fn instance_volumes(
        &self,
        _region: &str,
        _account: &str,
        instance_ids: &[String],
    ) -> Result<AttachedVolumes, AdapterError> {
        let mut found = AttachedVolumes::default();
        for instance in instance_ids {
            let volumes = self.with(|s| s.instances.get(instance).cloned().unwrap_or_default());
            if volumes.is_empty() {
                return Err(AdapterError::local(
                    "memory.instance_volumes",
                    instance,
                    ErrorKind::NotReady,
                    "no volume yet",
                ));
            }
            for arn in volumes {
                let tags = self.read(&arn)?;
                let volume = self
                    .with(|s| s.refs.get(&arn).cloned())
                    .expect("attached volumes are inserted");
                found.volumes.push(AttachedVolume {
                    instance_id: instance.clone(),
                    volume,
                    tags,
                });
            }
        }
        Ok(found)
    }

    /// Like EC2's CreateTags, one call for the whole batch: any refused or failing volume fails it as a whole.
    async fn tag_volumes(
        &self,
        _region: &str,
        volume_ids: &[String],
        tag: &Tag,
    ) -> Vec<(String, Result<(), AdapterError>)> {
        let arns: Vec<(String, String)> = self.with(|s| {
            volume_ids
                .iter()
                .map(|id| {
                    let arn = s.refs.values().find(|r| &r.id == id).map(key_of).unwrap_or_default();
                    (id.clone(), arn)
                })
                .collect()
        });
        arns.into_iter()
            .map(|(id, arn)| {
                let result = self.write(&arn, tag);
                (id, result)
            })
            .collect()
    }
}
