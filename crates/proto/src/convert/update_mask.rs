//! One rule for the `update_mask` of every Update (AIP-134): the paths named change; `*`
//! replaces every updatable field; an empty mask means every updatable field the request
//! sets; a path that is not updatable is a violation on `update_mask.paths[i]`.

use std::sync::OnceLock;

use jalia_model::{FieldViolation, Violations, quote};
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};

use crate::FILE_DESCRIPTOR_SET;

/// The fields of a resource an Update may change, by path in the resource message
/// (`title`, `registration_settings`, `registration_settings.capacity`). A path and
/// one below it may both be listed: the higher one replaces the whole field.
#[derive(Debug, Clone, Copy)]
pub struct UpdatableFields {
    message: &'static str,
    paths: &'static [&'static str],
}

/// The paths an Update changes, in the order [`UpdatableFields`] lists them, none below
/// another one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatePaths {
    paths: Vec<&'static str>,
    replace_all: bool,
}

impl UpdatePaths {
    /// The paths.
    pub fn paths(&self) -> &[&'static str] {
        &self.paths
    }

    /// Whether `path` changes.
    pub fn contains(&self, path: &str) -> bool {
        self.paths.contains(&path)
    }

    /// Whether the mask was `*`: every updatable field is replaced, and one the
    /// resource's state does not allow changing is left as it is rather than refused.
    pub fn replace_all(&self) -> bool {
        self.replace_all
    }
}

impl UpdatableFields {
    /// The updatable `paths` of the message named `message` (its full proto name,
    /// `jalia.events.v1.Event`).
    pub const fn new(message: &'static str, paths: &'static [&'static str]) -> Self {
        Self { message, paths }
    }

    /// The paths an Update changes, from its mask and the resource as the request
    /// carries it.
    pub fn resolve(
        &self,
        mask: Option<&prost_types::FieldMask>,
        resource: &impl prost::Message,
    ) -> Result<UpdatePaths, Vec<FieldViolation>> {
        let requested = mask.map_or(&[][..], |mask| mask.paths.as_slice());
        if requested.is_empty() {
            return self.implied(resource);
        }
        let mut violations = Violations::new();
        let mut chosen = Vec::new();
        let mut replace_all = false;
        for (index, path) in requested.iter().enumerate() {
            if path == "*" {
                replace_all = true;
            } else if let Some(known) = self.paths.iter().find(|known| **known == path) {
                chosen.push(*known);
            } else {
                violations.add(
                    format!("update_mask.paths[{index}]"),
                    format!(
                        "{} is not an updatable path (updatable: {})",
                        quote(path),
                        self.paths.join(", ")
                    ),
                );
            }
        }
        violations.finish(|| {
            if replace_all {
                self.topmost(|_| true, true)
            } else {
                self.topmost(|path| chosen.contains(&path), false)
            }
        })
    }

    /// An empty mask: every updatable field the request sets.
    fn implied(&self, resource: &impl prost::Message) -> Result<UpdatePaths, Vec<FieldViolation>> {
        // Only a message missing from the contracts has no descriptor, which `check` finds
        // in the service's tests; a caller can still name the fields.
        let Some(message) = self.dynamic(resource) else {
            return Err(vec![FieldViolation::new(
                "update_mask",
                "must name the fields to change",
            )]);
        };
        let implied = self.topmost(|path| is_set(&message, path), false);
        if implied.paths.is_empty() {
            return Err(vec![FieldViolation::new(
                "update_mask",
                format!(
                    "is empty and the request sets no updatable field (updatable: {})",
                    self.paths.join(", ")
                ),
            )]);
        }
        Ok(implied)
    }

    /// The chosen paths without those below another chosen one, in listed order.
    fn topmost(&self, chosen: impl Fn(&'static str) -> bool, replace_all: bool) -> UpdatePaths {
        let selected: Vec<&'static str> =
            self.paths.iter().copied().filter(|p| chosen(p)).collect();
        let paths = selected
            .iter()
            .copied()
            .filter(|path| {
                !selected.iter().any(|other| {
                    path.strip_prefix(other)
                        .is_some_and(|rest| rest.starts_with('.'))
                })
            })
            .collect();
        UpdatePaths { paths, replace_all }
    }

    fn dynamic(&self, resource: &impl prost::Message) -> Option<DynamicMessage> {
        let descriptor = self.descriptor()?;
        DynamicMessage::decode(descriptor, resource.encode_to_vec().as_slice()).ok()
    }

    fn descriptor(&self) -> Option<MessageDescriptor> {
        pool()?.get_message_by_name(self.message)
    }

    /// Checks that the message exists and every path names a field of it, for a test in
    /// each service: a misspelt path could never be chosen.
    pub fn check(&self) -> Result<(), String> {
        let descriptor = self
            .descriptor()
            .ok_or_else(|| format!("`{}` is not a message of the contracts", self.message))?;
        for path in self.paths {
            let mut current = Some(descriptor.clone());
            for part in path.split('.') {
                let field = current
                    .as_ref()
                    .and_then(|message| message.get_field_by_name(part))
                    .ok_or_else(|| format!("`{path}` is not a field of `{}`", self.message))?;
                current = field.kind().as_message().cloned();
            }
        }
        Ok(())
    }
}

/// Whether the field at `path` (dotted) is set in `message`.
fn is_set(message: &DynamicMessage, path: &str) -> bool {
    match path.split_once('.') {
        None => message.has_field_by_name(path),
        Some((head, rest)) => {
            message.has_field_by_name(head)
                && message.get_field_by_name(head).is_some_and(|value| {
                    value.as_message().is_some_and(|inner| is_set(inner, rest))
                })
        }
    }
}

/// The contracts' descriptors, decoded once.
fn pool() -> Option<&'static DescriptorPool> {
    static POOL: OnceLock<Option<DescriptorPool>> = OnceLock::new();
    POOL.get_or_init(|| DescriptorPool::decode(FILE_DESCRIPTOR_SET).ok())
        .as_ref()
}
