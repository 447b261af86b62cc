//! The OpenAPI 3.1 document of the REST API (`GET /openapi.json`), generated once at start
//! from the same descriptors the gateway transcodes with: one operation per bound RPC
//! (`operationId` `Service_Method`), its path and query parameters, its body and answer
//! schemas from the messages (protobuf JSON mapping: camelCase, enums by name, 64-bit
//! integers as strings, RFC 3339 times), the contracts' comments as descriptions, bearer
//! security with the scope each RPC's access rule names (none for public RPCs), and the
//! `google.rpc.Status` error schema.
//!
//! Hand-written: no maintained Rust crate generates OpenAPI from descriptors (the Go
//! plugins that do run under protoc at build time, which this build does not have).

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode, header};
use http_body_util::Full;
use jalia_proto::{AccessRule, AccessRules, BodyRule, HttpBinding, HttpBindings, SegmentKind};
use prost_reflect::{FieldDescriptor, FileDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value, json};
use tonic::Status;
use tonic::body::Body;

use crate::rest::status_response;

/// Where the document is served on the gateway's port.
pub(crate) const PATH: &str = "/openapi.json";

const STATUS_SCHEMA: &str = "google.rpc.Status";

/// The document, generated once and served as is.
#[derive(Debug, Clone)]
pub(crate) struct Served(Bytes);

/// Generates the document to serve.
pub(crate) fn served(rules: &AccessRules, bindings: &HttpBindings) -> Served {
    Served(Bytes::from(document(bindings, rules).to_string()))
}

impl Served {
    /// `GET /openapi.json` (HEAD too); 404 JSON for a longer path, 405 for other methods.
    pub(crate) fn answer(&self, request: &http::Request<Body>) -> http::Response<Body> {
        if request.uri().path() != PATH {
            return status_response(&Status::not_found("no such document"));
        }
        if request.method() != Method::GET && request.method() != Method::HEAD {
            let mut response = status_response(&Status::unimplemented("only GET and HEAD"));
            *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        let body = if request.method() == Method::HEAD {
            Body::empty()
        } else {
            Body::new(Full::new(self.0.clone()))
        };
        let mut response = http::Response::new(body);
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        );
        response
    }
}

/// How deep query parameters go into nested messages (`periodStart.year`).
const MAX_QUERY_DEPTH: usize = 3;

/// Builds the document.
pub(crate) fn document(bindings: &HttpBindings, rules: &AccessRules) -> Value {
    let mut builder = Builder::default();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut tags: BTreeMap<String, Value> = BTreeMap::new();
    for binding in bindings.iter() {
        let service = binding.rpc.parent_service();
        tags.entry(service.name().to_owned()).or_insert_with(|| {
            let mut tag = json!({"name": service.name()});
            if let Some(text) = builder.comments(&service.parent_file(), service.path()) {
                tag["description"] = Value::String(text);
            }
            tag
        });
        let (path, operation) = builder.operation(binding, rules);
        paths
            .entry(path)
            .or_default()
            .insert(binding.method.lowercase().to_owned(), operation);
    }
    let mut schemas = std::mem::take(&mut builder.schemas);
    schemas.insert(STATUS_SCHEMA.to_owned(), status_schema());
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Jalia",
            "version": "v1",
            "description": "The Jalia suite's REST/JSON API, transcoded by the gateway from \
                its gRPC contracts (the single source of truth): the protobuf JSON mapping, \
                errors as google.rpc.Status with the HTTP code google's table gives each gRPC \
                code. Streaming RPCs (document uploads and downloads, exports, change feeds) \
                are offered over gRPC and gRPC-Web only. An optional `X-Server-Timeout` \
                header (seconds) bounds a call.",
        },
        "tags": tags.into_values().collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    })
}

#[derive(Default)]
struct Builder {
    schemas: BTreeMap<String, Value>,
    /// Each file's comments by source path, read once.
    comments: HashMap<String, HashMap<Vec<i32>, String>>,
}

impl Builder {
    /// The OpenAPI path and the operation of one binding.
    fn operation(&mut self, binding: &HttpBinding, rules: &AccessRules) -> (String, Value) {
        let rpc = &binding.rpc;
        let service = rpc.parent_service();
        let (path, mut parameters) = openapi_path(binding);
        let input = rpc.input();
        let in_path: Vec<&str> = binding
            .path_fields
            .iter()
            .filter_map(|fields| fields.first().map(FieldDescriptor::name))
            .collect();
        let body_field = match &binding.body {
            BodyRule::Field(field) => Some(field.name()),
            _ => None,
        };
        if binding.body != BodyRule::Whole {
            for field in input.fields() {
                if in_path.contains(&field.name()) || body_field == Some(field.name()) {
                    continue;
                }
                self.query_parameters(&field, "", 0, &mut parameters);
            }
        }
        let mut operation = json!({
            "operationId": format!("{}_{}", service.name(), rpc.name()),
            "tags": [service.name()],
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": "The answer.",
                    "content": {"application/json": {"schema": self.message_schema(&rpc.output())}},
                },
                "default": {
                    "description": "An error, as google.rpc.Status.",
                    "content": {"application/json": {"schema": reference(STATUS_SCHEMA)}},
                },
            },
        });
        if let Some(text) = self.comments(&rpc.parent_file(), rpc.path()) {
            operation["summary"] = Value::String(
                text.split(['.', '\n'])
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
            );
            operation["description"] = Value::String(text);
        }
        let body_schema = match &binding.body {
            BodyRule::Empty => None,
            BodyRule::Whole => Some(self.message_schema(&input)),
            BodyRule::Field(field) => Some(self.field_schema(field)),
        };
        if let Some(schema) = body_schema {
            operation["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": schema}},
            });
        }
        operation["security"] = match rules.get(&binding.grpc_path()) {
            Some(AccessRule::Scope(scope)) => json!([{"bearer": [scope]}]),
            // Public: a token is optional (it may show the caller more).
            _ => json!([{}, {"bearer": []}]),
        };
        (path, operation)
    }

    /// A field's query parameters: itself, or its scalar leaves for a nested message.
    fn query_parameters(
        &mut self,
        field: &FieldDescriptor,
        prefix: &str,
        depth: usize,
        parameters: &mut Vec<Value>,
    ) {
        let name = format!("{prefix}{}", field.json_name());
        if let Kind::Message(message) = field.kind()
            && !field.is_list()
            && !field.is_map()
            && well_known(&message).is_none()
        {
            if depth < MAX_QUERY_DEPTH {
                for inner in message.fields() {
                    self.query_parameters(&inner, &format!("{name}."), depth + 1, parameters);
                }
            }
            return;
        }
        if field.is_map() {
            return;
        }
        let mut parameter = json!({
            "name": name,
            "in": "query",
            "schema": self.field_schema(field),
        });
        if field.is_list() {
            parameter["explode"] = Value::Bool(true);
        }
        if let Some(text) = self.comments(&field.parent_file(), field.path()) {
            parameter["description"] = Value::String(text);
        }
        parameters.push(parameter);
    }

    fn field_schema(&mut self, field: &FieldDescriptor) -> Value {
        let mut schema = if field.is_map() {
            let value = match field.kind() {
                Kind::Message(entry) => self.kind_schema(&entry.map_entry_value_field().kind()),
                kind => self.kind_schema(&kind),
            };
            json!({"type": "object", "additionalProperties": value})
        } else if field.is_list() {
            json!({"type": "array", "items": self.kind_schema(&field.kind())})
        } else {
            self.kind_schema(&field.kind())
        };
        if let Some(text) = self.comments(&field.parent_file(), field.path())
            && let Value::Object(object) = &mut schema
        {
            object.insert("description".to_owned(), Value::String(text));
        }
        schema
    }

    fn kind_schema(&mut self, kind: &Kind) -> Value {
        match kind {
            Kind::Double | Kind::Float => json!({"type": "number"}),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
                json!({"type": "integer", "format": "int32"})
            }
            Kind::Uint32 | Kind::Fixed32 => {
                json!({"type": "integer", "format": "int64", "minimum": 0})
            }
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
                json!({"type": "string", "format": "int64"})
            }
            Kind::Uint64 | Kind::Fixed64 => json!({"type": "string", "format": "uint64"}),
            Kind::Bool => json!({"type": "boolean"}),
            Kind::String => json!({"type": "string"}),
            Kind::Bytes => json!({"type": "string", "format": "byte"}),
            Kind::Enum(descriptor) => {
                let name = descriptor.full_name().to_owned();
                if !self.schemas.contains_key(&name) {
                    let mut schema = json!({
                        "type": "string",
                        "enum": descriptor.values().map(|value| value.name().to_owned()).collect::<Vec<_>>(),
                    });
                    if let Some(text) = self.comments(&descriptor.parent_file(), descriptor.path())
                    {
                        schema["description"] = Value::String(text);
                    }
                    self.schemas.insert(name.clone(), schema);
                }
                reference(&name)
            }
            Kind::Message(message) => self.message_schema(message),
        }
    }

    /// A reference to the message's component, added (with the messages it holds) on
    /// first use; a well-known type inline.
    fn message_schema(&mut self, message: &MessageDescriptor) -> Value {
        if let Some(schema) = well_known(message) {
            return schema;
        }
        let name = message.full_name().to_owned();
        if !self.schemas.contains_key(&name) {
            // Placed first, so that a message holding itself refers to it.
            self.schemas.insert(name.clone(), json!({}));
            let mut properties = Map::new();
            for field in message.fields() {
                properties.insert(field.json_name().to_owned(), self.field_schema(&field));
            }
            let mut schema = json!({"type": "object", "properties": properties});
            if let Some(text) = self.comments(&message.parent_file(), message.path()) {
                schema["description"] = Value::String(text);
            }
            self.schemas.insert(name.clone(), schema);
        }
        reference(&name)
    }

    /// The leading comment of the element at `path` in `file`.
    fn comments(&mut self, file: &FileDescriptor, path: &[i32]) -> Option<String> {
        let by_path = self
            .comments
            .entry(file.name().to_owned())
            .or_insert_with(|| {
                file.file_descriptor_proto()
                    .source_code_info
                    .iter()
                    .flat_map(|info| &info.location)
                    .filter_map(|location| {
                        let text = location.leading_comments.as_deref()?;
                        let text = text
                            .lines()
                            .map(str::trim)
                            .collect::<Vec<_>>()
                            .join("\n")
                            .trim()
                            .to_owned();
                        (!text.is_empty()).then(|| (location.path.clone(), text))
                    })
                    .collect()
            });
        by_path.get(path).cloned()
    }
}

/// The OpenAPI path of a binding, each `*` of a resource name a parameter named after the
/// collection before it (`/v1/agencies/{agency}/events/{event}:register`, as AIP-127's
/// generators do), and those parameters.
fn openapi_path(binding: &HttpBinding) -> (String, Vec<Value>) {
    let template = &binding.template;
    let mut path = String::new();
    let mut parameters = Vec::new();
    let mut previous: Option<&str> = None;
    for segment in &template.segments {
        path.push('/');
        match &segment.kind {
            SegmentKind::Literal(literal) => {
                path.push_str(literal);
                previous = Some(literal);
            }
            SegmentKind::Any | SegmentKind::Rest => {
                let field = segment
                    .variable
                    .and_then(|index| template.variables.get(index))
                    .map_or("value", String::as_str);
                let name = match previous {
                    Some(collection) if segment.kind == SegmentKind::Any => singular(collection),
                    _ => field.replace('.', "_"),
                };
                let name = if parameters
                    .iter()
                    .any(|p: &Value| p["name"] == name.as_str())
                {
                    format!("{name}_{}", parameters.len())
                } else {
                    name
                };
                path.push('{');
                path.push_str(&name);
                path.push('}');
                parameters.push(json!({
                    "name": name,
                    "in": "path",
                    "required": true,
                    "schema": {"type": "string"},
                    "description": format!("Part of the request's `{field}`."),
                }));
                previous = None;
            }
        }
    }
    if let Some(verb) = &template.verb {
        path.push(':');
        path.push_str(verb);
    }
    (path, parameters)
}

/// `agencies` → `agency`, `events` → `event`, `lifeEvents` → `lifeEvent`.
fn singular(collection: &str) -> String {
    if let Some(stem) = collection.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = collection.strip_suffix('s') {
        stem.to_owned()
    } else {
        collection.to_owned()
    }
}

/// The JSON shape of the well-known types the mapping writes as something else than an
/// object of their fields.
fn well_known(message: &MessageDescriptor) -> Option<Value> {
    Some(match message.full_name() {
        "google.protobuf.Timestamp" => json!({"type": "string", "format": "date-time"}),
        "google.protobuf.Duration" => {
            json!({"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?s$"})
        }
        "google.protobuf.FieldMask" => {
            json!({"type": "string", "description": "Field paths, comma-separated, in camelCase."})
        }
        "google.protobuf.Empty" => json!({"type": "object"}),
        "google.protobuf.Struct" => json!({"type": "object", "additionalProperties": true}),
        "google.protobuf.Value" => json!({}),
        "google.protobuf.ListValue" => json!({"type": "array", "items": {}}),
        "google.protobuf.Any" => json!({
            "type": "object",
            "properties": {"@type": {"type": "string"}},
            "additionalProperties": true,
        }),
        "google.protobuf.StringValue" => json!({"type": "string"}),
        "google.protobuf.BytesValue" => json!({"type": "string", "format": "byte"}),
        "google.protobuf.BoolValue" => json!({"type": "boolean"}),
        "google.protobuf.Int32Value" | "google.protobuf.UInt32Value" => {
            json!({"type": "integer"})
        }
        "google.protobuf.Int64Value" | "google.protobuf.UInt64Value" => {
            json!({"type": "string", "format": "int64"})
        }
        "google.protobuf.DoubleValue" | "google.protobuf.FloatValue" => json!({"type": "number"}),
        _ => return None,
    })
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn status_schema() -> Value {
    json!({
        "type": "object",
        "description": "google.rpc.Status: the gRPC code (a number), a message, and typed \
            details (ErrorInfo with a stable reason, BadRequest with field violations, \
            RetryInfo, PreconditionFailure, ...), each with its `@type`.",
        "properties": {
            "code": {"type": "integer", "format": "int32"},
            "message": {"type": "string"},
            "details": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"@type": {"type": "string"}},
                    "required": ["@type"],
                    "additionalProperties": true,
                },
            },
        },
        "required": ["code", "message"],
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use jalia_proto::{FILE_DESCRIPTOR_SET, service_names};

    #[test]
    fn every_bound_rpc_is_an_operation_with_its_scope() {
        let bindings =
            HttpBindings::from_descriptor_set(FILE_DESCRIPTOR_SET, &service_names::ALL).unwrap();
        let rules =
            AccessRules::from_descriptor_set(FILE_DESCRIPTOR_SET, &service_names::ALL).unwrap();
        let document = document(&bindings, &rules);
        let operations: Vec<&Value> = document["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .collect();
        assert_eq!(operations.len(), bindings.iter().count());
        let register = &document["paths"]["/v1/agencies/{agency}/events/{event}:register"]["post"];
        assert_eq!(register["operationId"], "EventService_RegisterAttendee");
        assert_eq!(register["security"][0]["bearer"][0], "events.write");
        let get = &document["paths"]["/v1/agencies/{agency}/events/{event}"]["get"];
        assert_eq!(get["security"][0], json!({}));
        assert!(get["description"].as_str().unwrap().contains("Public"));
        let list = &document["paths"]["/v1/agencies/{agency}/events"]["get"];
        let names: Vec<&str> = list["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|parameter| parameter["name"].as_str())
            .collect();
        assert!(
            names.contains(&"pageSize") && names.contains(&"updatedAfter"),
            "{names:?}"
        );
        let schemas = &document["components"]["schemas"];
        assert_eq!(schemas["jalia.events.v1.EventStatus"]["type"], "string");
        assert!(schemas[STATUS_SCHEMA].is_object());
        // Every reference resolves.
        let text = document.to_string();
        for piece in text.split("#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap();
            assert!(
                schemas.get(name).is_some(),
                "{name} is referred to, not defined"
            );
        }
    }

    #[test]
    fn collections_name_their_parameters() {
        assert_eq!(singular("agencies"), "agency");
        assert_eq!(singular("events"), "event");
        assert_eq!(singular("lifeEvents"), "lifeEvent");
        assert_eq!(singular("inquiryCategories"), "inquiryCategory");
    }
}
