//! REST/JSON through the gateway, with a plain HTTP/1.1 client as a PHP or Java portal
//! would use: the protobuf JSON mapping both ways (camelCase, enums by name, RFC 3339
//! times, field masks in the query), the same token and scope checks as gRPC, errors as
//! google.rpc.Status JSON with the HTTP code of their gRPC code, and the OpenAPI document
//! covering every unary RPC.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use http::{Method, StatusCode, header};
use jalia_e2e::{TestSuite, http1};
use jalia_proto::{FILE_DESCRIPTOR_SET, service_names};
use prost_reflect::DescriptorPool;
use serde_json::{Value, json};

/// One REST call: status, headers and the JSON answer.
async fn call(
    suite: &TestSuite,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, http::HeaderMap, Value) {
    let bearer = token.map(|token| format!("Bearer {token}"));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer));
    }
    let body = body
        .map(|body| body.to_string().into_bytes())
        .unwrap_or_default();
    let (status, headers, answer) = http1(suite.suite.gateway, method, path, &headers, body).await;
    let json = serde_json::from_slice(&answer)
        .unwrap_or_else(|err| panic!("{path}: not JSON ({err}): {answer:?}"));
    (status, headers, json)
}

/// The ErrorInfo reason and the field violations of a status JSON.
fn details(status: &Value) -> (String, Vec<String>) {
    let mut reason = String::new();
    let mut fields = Vec::new();
    for detail in status["details"].as_array().unwrap() {
        match detail["@type"].as_str().unwrap() {
            "type.googleapis.com/google.rpc.ErrorInfo" => {
                reason = detail["reason"].as_str().unwrap().to_owned();
            }
            "type.googleapis.com/google.rpc.BadRequest" => {
                for violation in detail["fieldViolations"].as_array().unwrap() {
                    fields.push(violation["field"].as_str().unwrap().to_owned());
                }
            }
            _ => {}
        }
    }
    (reason, fields)
}

fn event_body(title: &str) -> Value {
    json!({
        "requestId": uuid::Uuid::new_v4().to_string(),
        "event": {
            "kind": "EVENT_KIND_INFORMATION_SESSION",
            "title": {"entries": [{"languageCode": "fr", "text": title}]},
            "start": {"localDateTime": "2027-04-12T09:00:00", "timeZone": "Africa/Casablanca"},
            "end": {"localDateTime": "2027-04-12T12:00:00", "timeZone": "Africa/Casablanca"},
            "audiences": ["AUDIENCE_DIASPORA"],
            "attendanceMode": "ATTENDANCE_MODE_ONLINE",
            "onlineAccess": {"url": "https://visio.example.ma/rest"},
            "registrationSettings": {"enabled": true, "capacity": 20},
        },
    })
}

#[tokio::test]
async fn a_portal_publishes_lists_reads_and_registers_over_rest() {
    let suite = TestSuite::start(None).await;
    let writer = suite.token("rest-portal", "bm", &["events.read", "events.write"]);

    // Create (the whole body, enums by name) and publish.
    let (status, _, draft) = call(
        &suite,
        Method::POST,
        "/v1/agencies/bm/events",
        Some(&writer),
        Some(event_body("Séance d'information REST")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    assert_eq!(draft["status"], "EVENT_STATUS_DRAFT");
    assert_eq!(draft["kind"], "EVENT_KIND_INFORMATION_SESSION");
    assert!(
        draft["createTime"].as_str().unwrap().ends_with('Z'),
        "{draft}"
    );
    let name = draft["name"].as_str().unwrap().to_owned();
    assert!(name.starts_with("agencies/bm/events/"));

    // A field mask in the query, the resource in the body.
    let (status, _, renamed) = call(
        &suite,
        Method::PATCH,
        &format!("/v1/{name}?updateMask=title"),
        Some(&writer),
        Some(json!({
            "title": {"entries": [{"languageCode": "fr", "text": "Séance REST"}]},
            "etag": draft["etag"],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["title"]["entries"][0]["text"], "Séance REST");

    let (status, _, published) = call(
        &suite,
        Method::POST,
        &format!("/v1/{name}:publish"),
        Some(&writer),
        Some(json!({"etag": renamed["etag"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{published}");
    assert_eq!(published["status"], "EVENT_STATUS_PUBLISHED");

    // Public reads without a token: a list filtered by enum name and a get.
    let (status, headers, page) = call(
        &suite,
        Method::GET,
        "/v1/agencies/bm/events?pageSize=50&status=EVENT_STATUS_PUBLISHED&audience=AUDIENCE_DIASPORA",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert!(headers.contains_key("x-request-id"));
    let listed = page["events"].as_array().unwrap();
    assert!(
        listed.iter().any(|event| event["name"] == name.as_str()),
        "{page}"
    );
    assert!(
        listed
            .iter()
            .all(|event| event["status"] == "EVENT_STATUS_PUBLISHED")
    );
    let (status, _, got) = call(&suite, Method::GET, &format!("/v1/{name}"), None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["registrationSettings"]["capacity"], 20);

    // Registering takes a token with the scope, as over gRPC.
    let register = format!("/v1/{name}:register");
    let attendee = json!({
        "requestId": uuid::Uuid::new_v4().to_string(),
        "registration": {"attendee": {
            "displayName": "Participante REST",
            "email": "participante.rest@example.org",
            "residenceRegionCode": "FR",
            "languageCode": "fr",
            "diaspora": true,
        }},
    });
    let (status, _, refused) = call(
        &suite,
        Method::POST,
        &register,
        None,
        Some(attendee.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
    assert_eq!(refused["code"], 16);
    let reader = suite.token("rest-reader", "bm", &["catalog.read"]);
    let (status, _, refused) = call(
        &suite,
        Method::POST,
        &register,
        Some(&reader),
        Some(attendee.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(refused["code"], 7);
    let (status, _, registration) = call(
        &suite,
        Method::POST,
        &register,
        Some(&writer),
        Some(attendee),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{registration}");
    assert_eq!(registration["status"], "REGISTRATION_STATUS_CONFIRMED");
    assert!(registration["name"].as_str().unwrap().starts_with(&name));
}

#[tokio::test]
async fn errors_are_status_json_with_the_http_code_of_their_grpc_code() {
    let suite = TestSuite::start(None).await;
    let writer = suite.token("rest-errors", "bm", &["events.read", "events.write"]);

    let missing = "/v1/agencies/bm/events/0193a0b2-7c1d-7e00-8000-000000000001";
    let (status, _, body) = call(&suite, Method::GET, missing, None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["code"], 5);
    assert!(!body["message"].as_str().unwrap().is_empty());
    assert_eq!(details(&body).0, "NOT_FOUND");

    // The service's own field violation, passed through.
    let mut empty_title = event_body("x");
    empty_title["event"]["title"] = json!({"entries": []});
    let (status, _, body) = call(
        &suite,
        Method::POST,
        "/v1/agencies/bm/events",
        Some(&writer),
        Some(empty_title),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], 3);
    let (_, fields) = details(&body);
    assert!(
        fields.iter().any(|field| field.starts_with("event.title")),
        "{body}"
    );

    // What the gateway refuses before any call: each names the field.
    for (method, path, raw, field) in [
        (Method::POST, "/v1/agencies/bm/events", "{not json", "body"),
        (
            Method::POST,
            "/v1/agencies/bm/events",
            r#"{"event": {"title": 5}}"#,
            "event",
        ),
        (
            Method::POST,
            "/v1/agencies/bm/events",
            r#"{"nonsense": 1}"#,
            "nonsense",
        ),
        (
            Method::GET,
            "/v1/agencies/bm/events?pageSize=many",
            "",
            "page_size",
        ),
        (Method::GET, "/v1/agencies/bm/events?bogus=1", "", "bogus"),
        (
            Method::GET,
            "/v1/agencies/bm/events?status=NO_SUCH_STATUS",
            "",
            "status",
        ),
    ] {
        let (status, _, answer) = http1(
            suite.suite.gateway,
            method,
            path,
            &[("authorization", &format!("Bearer {writer}"))],
            raw.as_bytes().to_vec(),
        )
        .await;
        let body: Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {raw}: {body}");
        assert_eq!(details(&body).1, [field], "{path} {raw}: {body}");
    }

    let (status, _, body) = call(&suite, Method::GET, "/v1/nothing/here", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["code"], 5);
    let (status, headers, _) = call(
        &suite,
        Method::DELETE,
        "/v1/agencies/bm/events",
        Some(&writer),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[header::ALLOW], "GET, POST");
}

#[tokio::test]
async fn the_openapi_document_covers_every_unary_rpc() {
    let suite = TestSuite::start(None).await;
    let (status, headers, document) = call(&suite, Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let operations: Vec<String> = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .map(|operation| operation["operationId"].as_str().unwrap().to_owned())
        .collect();
    let pool = DescriptorPool::decode(FILE_DESCRIPTOR_SET).unwrap();
    let mut unary = 0;
    for service in service_names::ALL {
        let service = pool.get_service_by_name(service).unwrap();
        for method in service.methods() {
            let id = format!("{}_{}", service.name(), method.name());
            if method.is_client_streaming() || method.is_server_streaming() {
                assert!(!operations.contains(&id), "{id} streams: gRPC only");
            } else {
                unary += 1;
                assert!(operations.contains(&id), "{id} is not in the document");
            }
        }
    }
    assert_eq!(operations.len(), unary);
    let register = &document["paths"]["/v1/agencies/{agency}/events/{event}:register"]["post"];
    assert_eq!(register["security"], json!([{"bearer": ["events.write"]}]));
}

#[tokio::test]
async fn a_rest_call_counts_once_against_the_callers_address() {
    // A burst of 4 per address, refilled at 1 a second: if the door counted a REST call
    // and then the gate counted its gRPC call again, the third call would be refused.
    let suite = TestSuite::start(Some(|config| {
        config.address_rate = jalia_gateway::RateSettings {
            per_second: std::num::NonZeroU32::MIN,
            burst: std::num::NonZeroU32::new(4).unwrap(),
        };
    }))
    .await;
    let path = "/v1/agencies/bm/events?pageSize=1";
    for call_number in 1..=4 {
        let (status, _, body) = call(&suite, Method::GET, path, None, None).await;
        assert_eq!(status, StatusCode::OK, "call {call_number}: {body}");
    }
    // Past the burst the door refuses, as it would a gRPC call.
    let mut refused = None;
    for _ in 0..20 {
        let (status, headers, body) = call(&suite, Method::GET, path, None, None).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some((headers, body));
            break;
        }
    }
    let (headers, body) = refused.expect("the address's rate is enforced on REST");
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert_eq!(body["code"], 8, "{body}");
}
