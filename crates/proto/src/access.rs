//! The access rule each RPC declares with `(jalia.options.v1.access)`, read once from the
//! descriptor set so that servers and the gateway enforce it generically. For our own set
//! ([`crate::FILE_DESCRIPTOR_SET`]) build.rs has read it already, so no server decodes the
//! set at start just for this table.

use std::collections::HashMap;

use prost_reflect::{DescriptorPool, DynamicMessage, Value};

use crate::options::v1::{Access, access::Rule};

const ACCESS_OPTION: &str = "jalia.options.v1.access";

/// A rule as build.rs writes it.
#[derive(Debug, Clone, Copy)]
enum Compiled {
    Public,
    Scope(&'static str),
}

/// One service's methods, each with the rule it declares (`None`: none).
type CompiledMethods = &'static [(&'static str, Option<Compiled>)];

/// Each of our services and its methods, as build.rs read them from
/// [`crate::FILE_DESCRIPTOR_SET`].
const COMPILED: &[(&str, CompiledMethods)] = include!(concat!(env!("OUT_DIR"), "/access_table.rs"));

/// Who may call one RPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessRule {
    /// Anyone, with or without a token (a token presented must still be valid).
    Public,
    /// A token holding this scope.
    Scope(String),
}

/// Why the access table could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The descriptor set does not decode.
    #[error("the descriptor set does not decode: {0}")]
    Descriptor(#[from] prost_reflect::DescriptorError),
    /// The set lacks our option's definition.
    #[error("the descriptor set lacks the `{ACCESS_OPTION}` extension")]
    MissingExtension,
    /// A named service is not in the set.
    #[error("service `{0}` is not in the descriptor set")]
    UnknownService(String),
    /// Some RPCs declare no rule (or an empty one).
    #[error("RPCs without an access rule: {}", .0.join(", "))]
    Undeclared(Vec<String>),
}

/// The access rule of every RPC of some services, keyed by gRPC path
/// (`/jalia.events.v1.EventService/GetEvent`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessRules {
    by_path: HashMap<String, AccessRule>,
}

impl AccessRules {
    /// Reads the rules of the named services from an encoded descriptor set. Fails if any
    /// RPC of those services declares no rule, so a server never starts with a hole in it.
    pub fn from_descriptor_set(bytes: &[u8], services: &[&str]) -> Result<Self, AccessError> {
        // Our own set's table was read at build time: decoding the set here would cost
        // megabytes of heap at start (see build.rs). The address is compared first, so the
        // usual case reads none of the set's 260 KB; then the content, since constants need
        // not share one address.
        if std::ptr::eq(bytes, crate::FILE_DESCRIPTOR_SET) || bytes == crate::FILE_DESCRIPTOR_SET {
            return Self::compiled(services);
        }
        Self::decoded(bytes, services)
    }

    /// The rules of our services, from the table build.rs wrote.
    fn compiled(services: &[&str]) -> Result<Self, AccessError> {
        let mut by_path = HashMap::new();
        let mut undeclared = Vec::new();
        for service_name in services {
            let (_, methods) = COMPILED
                .iter()
                .find(|(name, _)| name == service_name)
                .ok_or_else(|| AccessError::UnknownService((*service_name).to_owned()))?;
            for (method, rule) in *methods {
                let path = format!("/{service_name}/{method}");
                match rule {
                    Some(Compiled::Public) => {
                        by_path.insert(path, AccessRule::Public);
                    }
                    Some(Compiled::Scope(scope)) => {
                        by_path.insert(path, AccessRule::Scope((*scope).to_owned()));
                    }
                    None => undeclared.push(path),
                }
            }
        }
        if undeclared.is_empty() {
            Ok(Self { by_path })
        } else {
            Err(AccessError::Undeclared(undeclared))
        }
    }

    /// The rules of the named services, read from a decoded pool of `bytes`.
    fn decoded(bytes: &[u8], services: &[&str]) -> Result<Self, AccessError> {
        let pool = DescriptorPool::decode(bytes)?;
        let extension = pool
            .get_extension_by_name(ACCESS_OPTION)
            .ok_or(AccessError::MissingExtension)?;
        let mut by_path = HashMap::new();
        let mut undeclared = Vec::new();
        for service_name in services {
            let service = pool
                .get_service_by_name(service_name)
                .ok_or_else(|| AccessError::UnknownService((*service_name).to_owned()))?;
            for method in service.methods() {
                let path = format!("/{}/{}", service.full_name(), method.name());
                let options = method.options();
                let rule = options
                    .has_extension(&extension)
                    .then(|| rule_of(options.get_extension(&extension).as_ref()))
                    .flatten();
                match rule {
                    Some(rule) => {
                        by_path.insert(path, rule);
                    }
                    None => undeclared.push(path),
                }
            }
        }
        if undeclared.is_empty() {
            Ok(Self { by_path })
        } else {
            Err(AccessError::Undeclared(undeclared))
        }
    }

    /// The rule for a gRPC path, or `None` when the path is not an RPC of these services.
    pub fn get(&self, path: &str) -> Option<&AccessRule> {
        self.by_path.get(path)
    }

    /// Adds the rules of another table (another service's).
    pub fn extend(&mut self, other: AccessRules) {
        self.by_path.extend(other.by_path);
    }

    /// Every (path, rule) pair.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &AccessRule)> {
        self.by_path
            .iter()
            .map(|(path, rule)| (path.as_str(), rule))
    }
}

fn rule_of(value: &Value) -> Option<AccessRule> {
    let Value::Message(message) = value else {
        return None;
    };
    let access: Access = DynamicMessage::transcode_to(message).ok()?;
    match access.rule? {
        Rule::Public(true) => Some(AccessRule::Public),
        Rule::Scope(scope) if !scope.trim().is_empty() => Some(AccessRule::Scope(scope)),
        Rule::Public(false) | Rule::Scope(_) => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::{FILE_DESCRIPTOR_SET, service_names};

    #[test]
    fn the_build_time_table_reads_what_the_descriptor_set_declares() {
        for services in [&service_names::ALL[..], &[service_names::EVENTS][..]] {
            let compiled = AccessRules::from_descriptor_set(FILE_DESCRIPTOR_SET, services).unwrap();
            let decoded = AccessRules::decoded(FILE_DESCRIPTOR_SET, services).unwrap();
            assert_eq!(compiled, decoded);
            assert!(compiled.iter().next().is_some());
        }
    }

    #[test]
    fn the_build_time_table_knows_only_our_services() {
        let compiled =
            AccessRules::from_descriptor_set(FILE_DESCRIPTOR_SET, &["jalia.nothing.v1.Nothing"]);
        assert!(
            matches!(compiled, Err(AccessError::UnknownService(name)) if name == "jalia.nothing.v1.Nothing")
        );
    }

    #[test]
    fn a_copy_of_the_set_is_read_from_the_table_too() {
        // Compared by content: a set that is ours, wherever its bytes live, takes the table.
        let copy = FILE_DESCRIPTOR_SET.to_vec();
        assert_eq!(
            AccessRules::from_descriptor_set(&copy, &service_names::ALL).unwrap(),
            AccessRules::decoded(FILE_DESCRIPTOR_SET, &service_names::ALL).unwrap()
        );
    }
}
