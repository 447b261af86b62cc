//! Walks the encoded descriptor set and checks the API conventions of ARCHITECTURE.md §2-§3 on
//! every RPC of every service, so a contract change that breaks one fails here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use jalia_proto::{
    AccessRule, AccessRules, FILE_DESCRIPTOR_SET, HttpBinding, HttpBindings, HttpMethod,
    service_names,
};
use prost_reflect::{DescriptorPool, FieldDescriptor, Kind, MessageDescriptor, MethodDescriptor};

/// The scopes ARCHITECTURE.md §3 pins.
const SCOPES: [&str; 9] = [
    "events.read",
    "events.write",
    "events.checkin",
    "catalog.read",
    "catalog.write",
    "inquiries.submit",
    "inquiries.read",
    "inquiries.handle",
    "inquiries.stats",
];

/// Verbs that create a resource and so must be idempotent with a request_id.
const CREATING_VERBS: [&str; 4] = ["Create", "Submit", "Register", "Add"];

fn pool() -> DescriptorPool {
    DescriptorPool::decode(FILE_DESCRIPTOR_SET).expect("the descriptor set decodes")
}

fn methods(pool: &DescriptorPool) -> Vec<MethodDescriptor> {
    service_names::ALL
        .iter()
        .map(|name| {
            pool.get_service_by_name(name)
                .unwrap_or_else(|| panic!("service {name} is in the set"))
        })
        .flat_map(|service| service.methods().collect::<Vec<_>>())
        .collect()
}

fn field(message: &MessageDescriptor, name: &str) -> Option<FieldDescriptor> {
    message.get_field_by_name(name)
}

fn is_message(field: &FieldDescriptor, full_name: &str) -> bool {
    matches!(field.kind(), Kind::Message(m) if m.full_name() == full_name) && !field.is_list()
}

#[test]
fn every_rpc_declares_a_known_scope_or_public_access() {
    let rules = AccessRules::from_descriptor_set(FILE_DESCRIPTOR_SET, &service_names::ALL)
        .expect("every RPC declares access");
    let pool = pool();
    let all = methods(&pool);
    assert!(all.len() > 50, "only {} RPCs found", all.len());
    for method in &all {
        let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
        match rules.get(&path) {
            Some(AccessRule::Public) => {}
            Some(AccessRule::Scope(scope)) => {
                assert!(
                    SCOPES.contains(&scope.as_str()),
                    "{path}: unknown scope {scope}"
                );
            }
            None => panic!("{path} declares no access"),
        }
    }
}

#[test]
fn an_rpc_without_access_is_refused_at_start() {
    // The options package's own file declares a message but no service: asking for a
    // service that is not there is refused, never silently open.
    let err = AccessRules::from_descriptor_set(FILE_DESCRIPTOR_SET, &["jalia.nothing.v1.Nope"])
        .unwrap_err();
    assert!(err.to_string().contains("jalia.nothing.v1.Nope"));
}

#[test]
fn every_list_pages_and_syncs() {
    let pool = pool();
    let lists: Vec<_> = methods(&pool)
        .into_iter()
        .filter(|method| method.name().starts_with("List"))
        .collect();
    assert!(lists.len() >= 10);
    for method in lists {
        let request = method.input();
        let response = method.output();
        let name = method.full_name();
        let page_size = field(&request, "page_size").unwrap_or_else(|| panic!("{name}: page_size"));
        assert_eq!(page_size.kind(), Kind::Int32, "{name}: page_size is int32");
        let page_token =
            field(&request, "page_token").unwrap_or_else(|| panic!("{name}: page_token"));
        assert_eq!(
            page_token.kind(),
            Kind::String,
            "{name}: page_token is a string"
        );
        let updated_after =
            field(&request, "updated_after").unwrap_or_else(|| panic!("{name}: updated_after"));
        assert!(
            is_message(&updated_after, "google.protobuf.Timestamp"),
            "{name}: updated_after is a Timestamp"
        );
        let next = field(&response, "next_page_token")
            .unwrap_or_else(|| panic!("{name}: next_page_token"));
        assert_eq!(
            next.kind(),
            Kind::String,
            "{name}: next_page_token is a string"
        );
    }
}

#[test]
fn every_update_takes_a_mask_and_an_etag() {
    let pool = pool();
    let updates: Vec<_> = methods(&pool)
        .into_iter()
        .filter(|method| method.name().starts_with("Update"))
        .collect();
    assert!(updates.len() >= 6);
    for method in updates {
        let request = method.input();
        let name = method.full_name();
        let mask = field(&request, "update_mask").unwrap_or_else(|| panic!("{name}: update_mask"));
        assert!(
            is_message(&mask, "google.protobuf.FieldMask"),
            "{name}: update_mask is a FieldMask"
        );
        let resource = request
            .fields()
            .find_map(|f| match f.kind() {
                Kind::Message(m) if !m.full_name().starts_with("google.protobuf.") => Some(m),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{name}: carries the resource it updates"));
        let etag = field(&resource, "etag")
            .unwrap_or_else(|| panic!("{name}: {} has an etag", resource.full_name()));
        assert_eq!(etag.kind(), Kind::String);
        assert_eq!(
            method.output().full_name(),
            resource.full_name(),
            "{name}: returns the updated resource"
        );
    }
}

#[test]
fn every_create_is_idempotent() {
    let pool = pool();
    let creates: Vec<_> = methods(&pool)
        .into_iter()
        .filter(|method| {
            CREATING_VERBS
                .iter()
                .any(|verb| method.name().starts_with(verb))
        })
        .collect();
    assert!(creates.len() >= 9);
    for method in creates {
        let request_id = field(&method.input(), "request_id")
            .unwrap_or_else(|| panic!("{}: request_id", method.full_name()));
        assert_eq!(request_id.kind(), Kind::String);
    }
}

#[test]
fn resources_are_named_and_versioned() {
    // Every message that an Update carries is a resource: it has a name, an etag and the
    // two timestamps of AIP-148.
    let pool = pool();
    for method in methods(&pool) {
        if !method.name().starts_with("Update") {
            continue;
        }
        let resource = method.output();
        for (field_name, kind) in [
            ("name", None),
            ("create_time", Some("google.protobuf.Timestamp")),
            ("update_time", Some("google.protobuf.Timestamp")),
        ] {
            let found = field(&resource, field_name)
                .unwrap_or_else(|| panic!("{}: {field_name}", resource.full_name()));
            match kind {
                None => assert_eq!(found.kind(), Kind::String),
                Some(message) => assert!(is_message(&found, message)),
            }
        }
    }
}

#[test]
fn the_roster_export_streams() {
    let pool = pool();
    let export = pool
        .get_service_by_name(service_names::EVENTS)
        .and_then(|service| service.methods().find(|m| m.name() == "ExportRoster"))
        .expect("ExportRoster exists");
    assert!(export.is_server_streaming());
    assert!(!export.is_client_streaming());
}

#[test]
fn the_set_is_self_contained_for_reflection() {
    // Every import of every file is in the set, so a reflection client resolves every
    // type without another source; decoding would fail on a missing one.
    let pool = pool();
    let names: Vec<_> = pool.files().map(|file| file.name().to_owned()).collect();
    for file in pool.files() {
        for dependency in file.dependencies() {
            assert!(
                names.contains(&dependency.name().to_owned()),
                "{} imports a missing file",
                file.name()
            );
        }
    }
    for expected in [
        "google/protobuf/descriptor.proto",
        "google/protobuf/timestamp.proto",
        "google/protobuf/field_mask.proto",
        "jalia/options/v1/options.proto",
    ] {
        assert!(
            names.iter().any(|name| name == expected),
            "{expected} is in the set"
        );
    }
    for method in methods(&pool) {
        for message in [method.input(), method.output()] {
            for field in message.fields() {
                if let Kind::Message(inner) = field.kind() {
                    assert!(pool.get_message_by_name(inner.full_name()).is_some());
                }
            }
        }
    }
}

#[test]
fn personal_data_is_redacted_in_debug() {
    let attendee = jalia_proto::events::v1::Attendee {
        display_name: "Fatima Zahra".to_owned(),
        email: "fatima@example.org".to_owned(),
        phone: "+212612345678".to_owned(),
        ..Default::default()
    };
    let printed = format!("{attendee:?}");
    for secret in ["Fatima", "fatima@example.org", "+212612345678"] {
        assert!(!printed.contains(secret), "{printed}");
    }
    let registration = jalia_proto::events::v1::Registration {
        attendee: Some(attendee),
        code: "K7M2Q9XP".to_owned(),
        ..Default::default()
    };
    let printed = format!("{registration:?}");
    assert!(
        !printed.contains("Fatima") && printed.contains("K7M2Q9XP"),
        "{printed}"
    );
}

#[test]
fn every_unary_rpc_has_one_rest_binding_and_none_clash() {
    // Fails on a unary RPC without `(jalia.options.v1.http)`, a binding on a streaming
    // RPC, a path variable or body naming a field the request lacks, or two bindings
    // that could match one request.
    let bindings = HttpBindings::from_descriptor_set(FILE_DESCRIPTOR_SET, &service_names::ALL)
        .expect("every unary RPC is bound to REST, without clashes");
    let pool = pool();
    let unary: Vec<_> = methods(&pool)
        .into_iter()
        .filter(|method| !method.is_client_streaming() && !method.is_server_streaming())
        .collect();
    let bound: Vec<String> = bindings.iter().map(HttpBinding::grpc_path).collect();
    assert_eq!(bound.len(), unary.len());
    for method in &unary {
        let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
        assert!(bound.contains(&path), "{path} has no REST binding");
    }
    for binding in bindings.iter() {
        let template = &binding.template;
        assert!(template.raw.starts_with("/v1/"), "{}", template.raw);
        // AIP-127: reads are GET, and custom verbs are camelCase.
        if binding.rpc.name().starts_with("Get") || binding.rpc.name().starts_with("List") {
            assert_eq!(binding.method, HttpMethod::Get, "{}", binding.grpc_path());
        }
        if let Some(verb) = &template.verb {
            assert!(verb.chars().next().is_some_and(|c| c.is_ascii_lowercase()));
        }
    }
}
