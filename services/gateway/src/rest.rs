//! REST/JSON on the gateway's port (`/v1/…`), transcoded from the same contracts: each
//! unary RPC's `(jalia.options.v1.http)` binding (AIP-127) names its method and path. A
//! request's path variables, query parameters and JSON body are merged into the RPC's
//! request message with the protobuf JSON mapping, and the call then goes through the
//! server's own gRPC stack (the [`Loopback`]): the gate checks the token, the scope and
//! the deadline, the proxy the subject's rate, exactly as for a gRPC caller, so the two
//! cannot drift. The answer comes back as protobuf JSON (camelCase, enums by name, 64-bit
//! integers as strings, RFC 3339 times), and a refusal as `google.rpc.Status` JSON with
//! the HTTP code google's table gives its gRPC code.
//!
//! Hand-written because no maintained Rust crate transcodes HttpRule at run time; the
//! JSON mapping itself is prost-reflect's.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use jalia_proto::{BodyRule, HttpBinding, HttpBindings, HttpMethod, HttpRuleError};
use jalia_runtime::server::{Loopback, REQUEST_ID_HEADER};
use prost::Message as _;
use prost_reflect::{
    DeserializeOptions, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, SerializeOptions,
};
use serde_json::{Map, Value, json};
use tonic::body::Body;
use tonic::{Code, Status};
use tonic_types::StatusExt;

/// Where REST lives on the gateway's port.
pub(crate) const PREFIX: &str = "/v1/";

/// The header a REST caller may set to bound its call, in seconds (`2.5`), as Google's
/// front ends read it; it becomes the call's `grpc-timeout`.
const TIMEOUT_HEADER: &str = "x-server-timeout";

/// Headers passed on to the gRPC call as they came.
const PASSED_ON: [HeaderName; 3] = [
    header::AUTHORIZATION,
    header::ACCEPT_LANGUAGE,
    header::USER_AGENT,
];

/// What answers `/v1/…`; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Rest(Arc<Transcoder>);

#[derive(Debug)]
struct Transcoder {
    bindings: HttpBindings,
    max_message_bytes: usize,
}

impl Rest {
    /// Reads the bindings of `services` from the contracts.
    pub(crate) fn new(
        descriptor_set: &[u8],
        services: &[&str],
        max_message_bytes: usize,
    ) -> Result<Self, HttpRuleError> {
        Ok(Self(Arc::new(Transcoder {
            bindings: HttpBindings::from_descriptor_set(descriptor_set, services)?,
            max_message_bytes,
        })))
    }

    /// The bindings it serves.
    pub(crate) fn bindings(&self) -> &HttpBindings {
        &self.0.bindings
    }

    /// Answers one request; every failure is a `google.rpc.Status` JSON.
    pub(crate) async fn answer(
        self,
        request: http::Request<Body>,
    ) -> Result<http::Response<Body>, Infallible> {
        Ok(match self.0.transcode(request).await {
            Ok(response) | Err(response) => response,
        })
    }
}

type Answer = Result<http::Response<Body>, http::Response<Body>>;

/// The binding a request names, and the path segments each of its variables bound.
type Routed<'b, 'a> = (&'b HttpBinding, Vec<Vec<&'a str>>);

impl Transcoder {
    async fn transcode(&self, request: http::Request<Body>) -> Answer {
        let (mut parts, body) = request.into_parts();
        let loopback = parts
            .extensions
            .remove::<Loopback>()
            .ok_or_else(|| status_response(&Status::internal("REST is not wired to gRPC")))?;
        let (binding, bound) = self
            .route(&parts.method, parts.uri.path())
            .map_err(|refusal| *refusal)?;
        let body = Limited::new(body, self.max_message_bytes)
            .collect()
            .await
            .map_err(|_| {
                let mut response = status_response(&Status::resource_exhausted(format!(
                    "the body is larger than {} bytes",
                    self.max_message_bytes
                )));
                *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
                response
            })?
            .to_bytes();
        let message = request_message(binding, &bound, parts.uri.query(), &body)
            .map_err(|violation| status_response(&violation.into_status()))?;

        let mut grpc = http::Request::new(Body::new(Full::new(frame(&message.encode_to_vec()))));
        *grpc.method_mut() = Method::POST;
        *grpc.version_mut() = http::Version::HTTP_2;
        *grpc.uri_mut() = binding
            .grpc_path()
            .parse()
            .map_err(|_| status_response(&Status::internal("a bad gRPC path")))?;
        grpc_headers(&parts.headers, grpc.headers_mut());
        // The connection's address and the door's verdict travel with the call.
        *grpc.extensions_mut() = parts.extensions;

        let response = loopback.call(grpc).await;
        Ok(self.rest_response(binding, response).await)
    }

    /// The binding a request names, or the 404 / 405 answer.
    fn route<'a>(
        &self,
        method: &Method,
        path: &'a str,
    ) -> Result<Routed<'_, 'a>, Box<http::Response<Body>>> {
        let not_found = || {
            Box::new(status_response(&Status::not_found(format!(
                "no REST method at {path}; see /openapi.json"
            ))))
        };
        let wanted = match *method {
            Method::GET => HttpMethod::Get,
            Method::PUT => HttpMethod::Put,
            Method::POST => HttpMethod::Post,
            Method::DELETE => HttpMethod::Delete,
            Method::PATCH => HttpMethod::Patch,
            _ => HttpMethod::Get,
        };
        let mut segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut verb = None;
        if let Some(last) = segments.last_mut()
            && let Some((segment, custom)) = last.rsplit_once(':')
        {
            *last = segment;
            verb = Some(custom);
        }
        match self.bindings.find(wanted, &segments, verb) {
            Ok(found) if wanted.lowercase() == method.as_str().to_ascii_lowercase() => Ok(found),
            Ok((binding, _)) => Err(Box::new(not_allowed(&[binding.method]))),
            Err(allowed) if allowed.is_empty() => Err(not_found()),
            Err(allowed) => Err(Box::new(not_allowed(&allowed))),
        }
    }

    /// The gRPC answer as JSON, or its status as `google.rpc.Status` JSON.
    async fn rest_response(
        &self,
        binding: &HttpBinding,
        response: http::Response<Body>,
    ) -> http::Response<Body> {
        let (parts, body) = response.into_parts();
        let request_id = parts.headers.get(REQUEST_ID_HEADER).cloned();
        // A trailers-only answer carries its status in the headers.
        let collected = Limited::new(body, self.max_message_bytes.saturating_add(5))
            .collect()
            .await;
        let mut answer = match collected {
            Err(_) => status_response(&Status::internal("the answer is too large")),
            Ok(collected) => {
                let trailers = collected.trailers().cloned();
                let data = collected.to_bytes();
                let status = trailers
                    .as_ref()
                    .and_then(Status::from_header_map)
                    .or_else(|| Status::from_header_map(&parts.headers))
                    .unwrap_or_else(|| Status::internal("the call ended without a status"));
                if status.code() == Code::Ok {
                    match json_answer(binding.rpc.output(), data) {
                        Ok(json) => json_response(StatusCode::OK, json),
                        Err(status) => status_response(&status),
                    }
                } else {
                    status_response(&status)
                }
            }
        };
        if let Some(id) = request_id {
            answer.headers_mut().insert(REQUEST_ID_HEADER, id);
        }
        answer
    }
}

/// The call's metadata: the caller's token, languages and ids, and its deadline.
fn grpc_headers(from: &HeaderMap, to: &mut HeaderMap) {
    to.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    to.insert(header::TE, HeaderValue::from_static("trailers"));
    for name in PASSED_ON
        .iter()
        .chain(&[HeaderName::from_static(REQUEST_ID_HEADER)])
        .chain(&[
            HeaderName::from_static("traceparent"),
            HeaderName::from_static("tracestate"),
        ])
    {
        if let Some(value) = from.get(name) {
            to.insert(name.clone(), value.clone());
        }
    }
    let timeout = from
        .get(TIMEOUT_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(|seconds| seconds.trim().parse::<f64>().ok())
        .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
        .map(|seconds| Duration::from_secs_f64(seconds.min(86_400.0)));
    if let Some(timeout) = timeout
        && let Ok(value) =
            HeaderValue::from_str(&format!("{}m", timeout.as_millis().clamp(1, 99_999_999)))
    {
        to.insert("grpc-timeout", value);
    }
}

/// A gRPC message frame: uncompressed, with its length.
fn frame(message: &[u8]) -> Bytes {
    let mut framed = BytesMut::with_capacity(message.len() + 5);
    framed.put_u8(0);
    framed.put_u32(u32::try_from(message.len()).unwrap_or(u32::MAX));
    framed.put_slice(message);
    framed.freeze()
}

/// The one message of a unary answer, as protobuf JSON.
fn json_answer(output: MessageDescriptor, mut data: Bytes) -> Result<Value, Status> {
    if data.len() < 5 || data.get_u8() != 0 {
        return Err(Status::internal(
            "the answer is not one uncompressed message",
        ));
    }
    let length = usize::try_from(data.get_u32()).unwrap_or(usize::MAX);
    if data.len() != length {
        return Err(Status::internal("the answer is not one whole message"));
    }
    let message = DynamicMessage::decode(output, data)
        .map_err(|_| Status::internal("the answer does not decode"))?;
    message
        .serialize_with_options(serde_json::value::Serializer, &SerializeOptions::new())
        .map_err(|_| Status::internal("the answer does not map to JSON"))
}

/// A bad request: the field (as the contract names it) and what is wrong with it.
#[derive(Debug)]
struct Violation {
    field: String,
    description: String,
}

impl Violation {
    fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }

    fn into_status(self) -> Status {
        jalia_runtime::ApiError::invalid_field(self.field, self.description).into()
    }
}

/// Path variables, query parameters and the body merged into the request message.
fn request_message(
    binding: &HttpBinding,
    bound: &[Vec<&str>],
    query: Option<&str>,
    body: &[u8],
) -> Result<DynamicMessage, Violation> {
    let input = binding.rpc.input();
    let mut json = Map::new();
    let parsed_body = || -> Result<Value, Violation> {
        serde_json::from_slice::<Value>(body)
            .map_err(|err| Violation::new("body", format!("not JSON: {err}")))
    };
    match &binding.body {
        BodyRule::Empty if !body.is_empty() => {
            return Err(Violation::new("body", "this method takes no body"));
        }
        BodyRule::Empty => {}
        BodyRule::Whole if body.is_empty() => {}
        BodyRule::Whole => match parsed_body()? {
            Value::Object(object) => json = object,
            _ => return Err(Violation::new("body", "must be a JSON object")),
        },
        BodyRule::Field(field) => {
            if !body.is_empty() {
                json.insert(field.json_name().to_owned(), parsed_body()?);
            }
        }
    }
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let path = field_path(&input, &key)
            .ok_or_else(|| Violation::new(key.as_ref(), "no such field"))?;
        let top = path.first().map(FieldDescriptor::name).unwrap_or_default();
        let in_body = match &binding.body {
            BodyRule::Whole => true,
            BodyRule::Field(field) => field.name() == top,
            BodyRule::Empty => false,
        };
        let in_path = binding
            .path_fields
            .iter()
            .any(|fields| fields.first().map(FieldDescriptor::name) == Some(top));
        if in_body || in_path {
            return Err(Violation::new(
                key.as_ref(),
                "this field is set by the path or the body, not the query",
            ));
        }
        insert(&mut json, &path, query_value(&path, &value), true);
    }
    for (fields, segments) in binding.path_fields.iter().zip(bound) {
        let mut value = String::new();
        for (index, segment) in segments.iter().enumerate() {
            if index > 0 {
                value.push('/');
            }
            value.push_str(&percent_encoding::percent_decode_str(segment).decode_utf8_lossy());
        }
        insert(&mut json, fields, Value::String(value), false);
    }
    let merged = Value::Object(json);
    DynamicMessage::deserialize_with_options(
        input.clone(),
        merged.clone(),
        &DeserializeOptions::new(),
    )
    .map_err(|err| Violation::new(failing_field(&input, &merged), err.to_string()))
}

/// The fields a query key names (`parent`, `periodStart.year`, `period_start.year`).
fn field_path(message: &MessageDescriptor, key: &str) -> Option<Vec<FieldDescriptor>> {
    let mut message = message.clone();
    let mut path = Vec::new();
    let mut parts = key.split('.').peekable();
    while let Some(part) = parts.next() {
        let field = message
            .get_field_by_json_name(part)
            .or_else(|| message.get_field_by_name(part))?;
        if parts.peek().is_some() {
            match field.kind() {
                Kind::Message(inner) if !field.is_list() && !field.is_map() => message = inner,
                _ => return None,
            }
        }
        path.push(field);
    }
    Some(path)
}

/// A query parameter's text as the JSON the field's mapping expects: booleans as
/// booleans, an enum's number as a number; everything else the mapping reads from a
/// string (numbers, names, times, durations, field masks).
fn query_value(path: &[FieldDescriptor], text: &str) -> Value {
    match path.last().map(FieldDescriptor::kind) {
        Some(Kind::Bool) => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => Value::String(other.to_owned()),
        },
        Some(Kind::Enum(_)) => text
            .parse::<i64>()
            .map_or_else(|_| Value::String(text.to_owned()), Value::from),
        _ => Value::String(text.to_owned()),
    }
}

/// Sets a field in the JSON object, creating the messages on the way; a repeated field's
/// value is appended when `append` (a query parameter given again).
fn insert(json: &mut Map<String, Value>, path: &[FieldDescriptor], value: Value, append: bool) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut object = json;
    for field in parents {
        let entry = object
            .entry(field.json_name().to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(inner) = entry else {
            return;
        };
        object = inner;
    }
    let key = last.json_name().to_owned();
    if append && last.is_list() {
        match object
            .entry(key)
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            Value::Array(items) => items.push(value),
            other => *other = Value::Array(vec![value]),
        }
    } else {
        object.insert(key, value);
    }
}

/// The top-level field whose value the mapping refuses, named as the contract names it
/// (`request_id`), for the field violation; `body` when no one field is to blame.
fn failing_field(input: &MessageDescriptor, merged: &Value) -> String {
    let Value::Object(object) = merged else {
        return "body".to_owned();
    };
    for (key, value) in object {
        let Some(field) = input
            .get_field_by_json_name(key)
            .or_else(|| input.get_field_by_name(key))
        else {
            return key.clone();
        };
        let alone = Value::Object(Map::from_iter([(key.clone(), value.clone())]));
        if DynamicMessage::deserialize_with_options(
            input.clone(),
            alone,
            &DeserializeOptions::new(),
        )
        .is_err()
        {
            return field.name().to_owned();
        }
    }
    "body".to_owned()
}

/// google's mapping of gRPC codes to HTTP (google/rpc/code.proto).
fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A status as `google.rpc.Status` JSON, with its details by `@type`.
pub(crate) fn status_response(status: &Status) -> http::Response<Body> {
    let details = status.get_error_details();
    let mut listed = Vec::new();
    let typed = |name: &str, mut fields: Value| {
        if let Value::Object(object) = &mut fields {
            object.insert(
                "@type".to_owned(),
                Value::String(format!("type.googleapis.com/google.rpc.{name}")),
            );
        }
        fields
    };
    if let Some(info) = details.error_info() {
        listed.push(typed(
            "ErrorInfo",
            json!({"reason": info.reason, "domain": info.domain, "metadata": info.metadata}),
        ));
    }
    if let Some(bad) = details.bad_request() {
        let violations: Vec<Value> = bad
            .field_violations
            .iter()
            .map(
                |violation| json!({"field": violation.field, "description": violation.description}),
            )
            .collect();
        listed.push(typed("BadRequest", json!({"fieldViolations": violations})));
    }
    if let Some(failure) = details.precondition_failure() {
        let violations: Vec<Value> = failure
            .violations
            .iter()
            .map(|violation| {
                json!({"type": violation.r#type, "subject": violation.subject,
                       "description": violation.description})
            })
            .collect();
        listed.push(typed(
            "PreconditionFailure",
            json!({"violations": violations}),
        ));
    }
    if let Some(quota) = details.quota_failure() {
        let violations: Vec<Value> = quota
            .violations
            .iter()
            .map(|violation| {
                json!({"subject": violation.subject, "description": violation.description})
            })
            .collect();
        listed.push(typed("QuotaFailure", json!({"violations": violations})));
    }
    let retry_after = details
        .retry_info()
        .and_then(|retry| retry.retry_delay)
        .map(|delay| delay.as_secs_f64().ceil().max(1.0));
    if let Some(seconds) = retry_after {
        listed.push(typed(
            "RetryInfo",
            json!({"retryDelay": format!("{seconds}s")}),
        ));
    }
    if let Some(resource) = details.resource_info() {
        listed.push(typed(
            "ResourceInfo",
            json!({"resourceType": resource.resource_type, "resourceName": resource.resource_name,
                   "owner": resource.owner, "description": resource.description}),
        ));
    }
    if let Some(help) = details.help() {
        let links: Vec<Value> = help
            .links
            .iter()
            .map(|link| json!({"description": link.description, "url": link.url}))
            .collect();
        listed.push(typed("Help", json!({"links": links})));
    }
    if let Some(localized) = details.localized_message() {
        listed.push(typed(
            "LocalizedMessage",
            json!({"locale": localized.locale, "message": localized.message}),
        ));
    }
    let body = json!({
        "code": i32::from(status.code()),
        "message": status.message(),
        "details": listed,
    });
    let mut response = json_response(http_status(status.code()), body);
    if let Some(seconds) = retry_after
        && let Ok(value) = HeaderValue::from_str(&format!("{seconds}"))
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn not_allowed(allowed: &[HttpMethod]) -> http::Response<Body> {
    let mut names: Vec<String> = allowed
        .iter()
        .map(|method| method.lowercase().to_ascii_uppercase())
        .collect();
    names.dedup();
    let mut response = status_response(&Status::unimplemented(format!(
        "this path takes {}",
        names.join(", ")
    )));
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    if let Ok(value) = HeaderValue::from_str(&names.join(", ")) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// A JSON answer.
pub(crate) fn json_response(status: StatusCode, body: Value) -> http::Response<Body> {
    let mut response = http::Response::new(Body::new(Full::new(Bytes::from(body.to_string()))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use jalia_proto::{FILE_DESCRIPTOR_SET, service_names};
    use prost_reflect::Value as Field;

    fn merged(method: HttpMethod, path: &str, query: &str, body: &str) -> DynamicMessage {
        let bindings =
            HttpBindings::from_descriptor_set(FILE_DESCRIPTOR_SET, &service_names::ALL).unwrap();
        let (rest, verb) = match path.rsplit_once(':') {
            Some((rest, verb)) => (rest, Some(verb)),
            None => (path, None),
        };
        let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
        let (binding, bound) = bindings.find(method, &segments, verb).unwrap();
        request_message(binding, &bound, Some(query), body.as_bytes()).unwrap()
    }

    #[test]
    fn query_parameters_fill_repeated_nested_and_enum_fields() {
        let list = merged(
            HttpMethod::Get,
            "/v1/agencies/bm/inquiries",
            "statuses=INQUIRY_STATUS_NEW&statuses=2&pageSize=5&updatedAfter=2025-08-10T00%3A00%3A00Z",
            "",
        );
        assert_eq!(
            list.get_field_by_name("parent").unwrap().as_str(),
            Some("agencies/bm")
        );
        assert_eq!(
            list.get_field_by_name("statuses")
                .unwrap()
                .as_list()
                .unwrap(),
            [Field::EnumNumber(1), Field::EnumNumber(2)]
        );
        assert_eq!(
            list.get_field_by_name("page_size").unwrap().as_i32(),
            Some(5)
        );
        let statistics = merged(
            HttpMethod::Get,
            "/v1/agencies/-/inquiries:statistics",
            "periodStart.date=2025-01-01&period_end.date=2025-12-31",
            "",
        );
        let start = statistics.get_field_by_name("period_start").unwrap();
        assert_eq!(
            start
                .as_message()
                .unwrap()
                .get_field_by_name("date")
                .unwrap()
                .as_str(),
            Some("2025-01-01")
        );
        assert_eq!(
            statistics.get_field_by_name("parent").unwrap().as_str(),
            Some("agencies/-")
        );
    }

    #[test]
    fn a_nested_path_variable_fills_the_resource_in_the_body() {
        let update = merged(
            HttpMethod::Patch,
            "/v1/agencies/bm/events/e%2D1",
            "updateMask=title,agenda",
            r#"{"etag": "\"3\""}"#,
        );
        let event = update.get_field_by_name("event").unwrap();
        let event = event.as_message().unwrap();
        assert_eq!(
            event.get_field_by_name("name").unwrap().as_str(),
            Some("agencies/bm/events/e-1")
        );
        assert_eq!(
            event.get_field_by_name("etag").unwrap().as_str(),
            Some("\"3\"")
        );
        let mask = update.get_field_by_name("update_mask").unwrap();
        let paths = mask
            .as_message()
            .unwrap()
            .get_field_by_name("paths")
            .unwrap()
            .as_list()
            .unwrap()
            .to_vec();
        assert_eq!(
            paths,
            [
                Field::String("title".into()),
                Field::String("agenda".into())
            ]
        );
    }

    #[test]
    fn grpc_codes_map_to_googles_http_codes() {
        for (code, http) in [
            (Code::NotFound, 404),
            (Code::InvalidArgument, 400),
            (Code::FailedPrecondition, 400),
            (Code::Unauthenticated, 401),
            (Code::PermissionDenied, 403),
            (Code::ResourceExhausted, 429),
            (Code::Aborted, 409),
            (Code::AlreadyExists, 409),
            (Code::Unavailable, 503),
            (Code::DeadlineExceeded, 504),
            (Code::Internal, 500),
            (Code::Unimplemented, 501),
        ] {
            assert_eq!(http_status(code).as_u16(), http, "{code:?}");
        }
    }
}
