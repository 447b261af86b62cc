//! The server builder on real sockets (127.0.0.1:0) with generated clients: health,
//! reflection, metrics, auth from the contract's options, overload protection, deadlines,
//! message sizes, rich errors, TLS, graceful shutdown, and the settings of a real process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jalia_proto::testing::v1::probe_service_client::ProbeServiceClient;
use jalia_proto::testing::v1::{
    CountRequest, EchoRequest, FailRequest, WaitRequest, WhoAmIRequest,
};
use jalia_runtime::auth::{AuthConfig, DevTokenIssuer, TokenClaims};
use jalia_runtime::config::{Limits, ServerSettings};
use jalia_runtime::tls::TlsConfig;
use jalia_runtime::{ManualClock, Mode, Server, Shutdown, ShutdownTrigger, probe};
use jiff::{SignedDuration, Timestamp};
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_types::StatusExt;

const PROBE: &str = "jalia.testing.v1.ProbeService";

struct Running {
    addr: SocketAddr,
    admin: Option<SocketAddr>,
    metrics: jalia_runtime::metrics::ServerMetrics,
    trigger: ShutdownTrigger,
    task: tokio::task::JoinHandle<Result<(), jalia_runtime::ServerError>>,
    settings: ServerSettings,
    _dir: tempfile::TempDir,
}

fn dev_settings(dir: &Path) -> ServerSettings {
    ServerSettings::development(dir)
}

async fn start(
    configure: impl FnOnce(&mut ServerSettings, &Path),
    clock: jalia_runtime::SharedClock,
) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = dev_settings(dir.path());
    configure(&mut settings, dir.path());
    let routes = probe::routes(&settings.limits);
    let server = Server::bind(settings.clone(), clock).await.unwrap();
    let addr = server.local_addr();
    let admin = server.admin_addr();
    let metrics = server.metrics().clone();
    let (trigger, shutdown) = Shutdown::manual();
    let task = tokio::spawn(server.serve(&[probe::CONTRACT], routes, shutdown));
    Running {
        addr,
        admin,
        metrics,
        trigger,
        task,
        settings,
        _dir: dir,
    }
}

async fn start_dev(configure: impl FnOnce(&mut ServerSettings, &Path)) -> Running {
    start(configure, jalia_runtime::system_clock()).await
}

async fn channel(addr: SocketAddr) -> Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

fn dev_token(settings: &ServerSettings, scopes: &[&str]) -> String {
    let issuer = DevTokenIssuer::from_config(&settings.auth).unwrap();
    issuer
        .mint(&TokenClaims::new(
            &settings.auth,
            "desk-app",
            "bm",
            scopes,
            Timestamp::now(),
            Duration::from_secs(600),
        ))
        .unwrap()
}

fn with_token<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

async fn health(channel: Channel, service: &str) -> Result<ServingStatus, tonic::Status> {
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await?;
    Ok(response.into_inner().status())
}

async fn http_get(addr: SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: admin\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut body = String::new();
    stream.read_to_string(&mut body).await.unwrap();
    body
}

/// One unary call over a bare HTTP/2 connection, so the caller's `grpc-timeout` reaches
/// the server without the tonic client enforcing it first. Returns the gRPC status
/// headers (trailers-only or trailers).
async fn raw_unary(
    addr: SocketAddr,
    path: &str,
    message: &impl prost::Message,
    headers: &[(&str, String)],
) -> http::HeaderMap {
    use http_body_util::BodyExt;
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tcp),
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    let encoded = message.encode_to_vec();
    let mut frame = vec![0_u8];
    frame.extend_from_slice(&u32::try_from(encoded.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(&encoded);
    let mut request = http::Request::post(format!("http://{addr}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let request = request
        .body(http_body_util::Full::new(bytes::Bytes::from(frame)))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let mut status = parts.headers;
    if let Some(trailers) = body.collect().await.unwrap().trailers() {
        status.extend(trailers.clone());
    }
    status
}

fn metric_value(rendered: &str, name: &str, labels: &[&str]) -> Option<f64> {
    rendered
        .lines()
        .filter(|line| line.starts_with(name))
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

/// Waits (bounded) until `count` Wait calls are in flight, read from the server's own
/// metrics rather than guessed with a sleep.
async fn until_in_flight(running: &Running, count: f64) {
    let started = Instant::now();
    loop {
        let rendered = running.metrics.render();
        if metric_value(
            &rendered,
            "grpc_server_in_flight",
            &["grpc_method=\"Wait\""],
        ) == Some(count)
        {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "calls never got in flight: {rendered}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn health_reflection_and_metrics() {
    let running = start_dev(|settings, _| {
        settings.admin_listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
    })
    .await;
    let channel = channel(running.addr).await;
    for service in ["", "liveness", PROBE] {
        assert_eq!(
            health(channel.clone(), service).await.unwrap(),
            ServingStatus::Serving,
            "{service:?}"
        );
    }
    assert_eq!(
        health(channel.clone(), "jalia.nothing.v1.Nope")
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );

    // Reflection, v1 and v1alpha, lists the probe and health.
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let mut reflection = ServerReflectionClient::new(channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = reflection
        .server_reflection_info(futures_util::stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = responses.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection answer");
    };
    let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    assert!(names.contains(&PROBE.to_owned()), "{names:?}");
    assert!(
        names.contains(&"grpc.health.v1.Health".to_owned()),
        "{names:?}"
    );

    use tonic_reflection::pb::v1alpha::ServerReflectionRequest as AlphaReflectionRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient as AlphaClient;
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest as AlphaRequest;
    let mut alpha = AlphaClient::new(channel.clone());
    let mut answers = alpha
        .server_reflection_info(futures_util::stream::iter([AlphaReflectionRequest {
            host: String::new(),
            message_request: Some(AlphaRequest::FileContainingSymbol(PROBE.to_owned())),
        }]))
        .await
        .unwrap()
        .into_inner();
    assert!(answers.message().await.unwrap().is_some());

    // Two echoes and a failure show in the metrics, by method and code.
    let mut client = ProbeServiceClient::new(channel.clone());
    for _ in 0..2 {
        client
            .echo(EchoRequest {
                message: "marhaba".into(),
                padding: vec![],
            })
            .await
            .unwrap();
    }
    client
        .fail(FailRequest {
            field: "event.title".into(),
        })
        .await
        .unwrap_err();
    let rendered = http_get(running.admin.unwrap(), "/metrics").await;
    assert!(
        rendered.starts_with("HTTP/1.0 200") || rendered.starts_with("HTTP/1.1 200"),
        "{rendered}"
    );
    assert_eq!(
        metric_value(
            &rendered,
            "grpc_server_handled_total",
            &["grpc_method=\"Echo\"", "grpc_code=\"OK\""]
        ),
        Some(2.0),
        "{rendered}"
    );
    assert_eq!(
        metric_value(
            &rendered,
            "grpc_server_handled_total",
            &["grpc_method=\"Fail\"", "grpc_code=\"INVALID_ARGUMENT\""]
        ),
        Some(1.0),
        "{rendered}"
    );
    assert!(
        rendered.contains("grpc_server_handling_seconds_bucket"),
        "{rendered}"
    );
}

#[tokio::test]
async fn scopes_come_from_the_contract() {
    let running = start_dev(|_, _| {}).await;
    let mut client = ProbeServiceClient::new(channel(running.addr).await);

    // Public: no token needed.
    client
        .echo(EchoRequest {
            message: "x".into(),
            padding: vec![],
        })
        .await
        .unwrap();
    // Scoped: no token.
    let err = client.wait(WaitRequest { millis: 0 }).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    // Scoped: a token without the scope.
    let reader = dev_token(&running.settings, &["catalog.read"]);
    let err = client
        .wait(with_token(WaitRequest { millis: 0 }, &reader))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert!(err.message().contains("events.read"), "{}", err.message());
    // With it, and the handler sees who called.
    let writer = dev_token(&running.settings, &["events.read", "events.write"]);
    client
        .wait(with_token(WaitRequest { millis: 0 }, &writer))
        .await
        .unwrap();
    let me = client
        .who_am_i(with_token(WhoAmIRequest {}, &writer))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (me.subject.as_str(), me.agency.as_str()),
        ("desk-app", "bm")
    );
    assert_eq!(
        me.scopes,
        vec!["events.read".to_owned(), "events.write".to_owned()]
    );
    // A public call with a bad token is refused, not treated as anonymous.
    let err = client
        .echo(with_token(
            EchoRequest {
                message: "x".into(),
                padding: vec![],
            },
            "not-a-jwt",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
}

/// Production keys: an Ed25519 JWKS file, and tokens built for each refusal.
struct ProductionKeys {
    signing: jsonwebtoken::EncodingKey,
    public_raw: Vec<u8>,
    other: jsonwebtoken::EncodingKey,
    jwks_path: std::path::PathBuf,
}

fn production_keys(dir: &Path) -> ProductionKeys {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let other = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let jwks = serde_json::json!({"keys": [{
        "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": "2026-11",
        "x": URL_SAFE_NO_PAD.encode(key.public_key_raw()),
    }]});
    let jwks_path = dir.join("jwks.json");
    std::fs::write(&jwks_path, jwks.to_string()).unwrap();
    ProductionKeys {
        signing: jsonwebtoken::EncodingKey::from_ed_pem(key.serialize_pem().as_bytes()).unwrap(),
        public_raw: key.public_key_raw().to_vec(),
        other: jsonwebtoken::EncodingKey::from_ed_pem(other.serialize_pem().as_bytes()).unwrap(),
        jwks_path,
    }
}

fn claims(now: Timestamp, aud: &str, iss: &str) -> serde_json::Value {
    serde_json::json!({
        "iss": iss, "aud": aud, "sub": "ministry-portal", "agency": "*",
        "scope": "events.read", "exp": now.as_second() + 600, "nbf": now.as_second() - 5,
        "iat": now.as_second() - 5,
    })
}

fn sign(
    claims: &serde_json::Value,
    key: &jsonwebtoken::EncodingKey,
    alg: jsonwebtoken::Algorithm,
) -> String {
    let mut header = jsonwebtoken::Header::new(alg);
    header.kid = Some("2026-11".to_owned());
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

#[tokio::test]
async fn production_tokens_are_checked_by_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let keys = production_keys(dir.path());
    let start_at = Timestamp::from_second(1_786_320_000).unwrap(); // 2026-08-10
    let clock = ManualClock::new(start_at);
    let jwks = keys.jwks_path.clone();
    let running = start(
        move |settings, _| {
            settings.mode = Mode::Production;
            settings.auth = AuthConfig {
                mode: Mode::Production,
                jwks_file: Some(jwks),
                ..AuthConfig::default()
            };
        },
        clock.clone(),
    )
    .await;
    let mut client = ProbeServiceClient::new(channel(running.addr).await);
    let call = |token: Option<String>| {
        let mut client = client.clone();
        async move {
            let request = match token {
                Some(token) => with_token(WaitRequest { millis: 0 }, &token),
                None => tonic::Request::new(WaitRequest { millis: 0 }),
            };
            client
                .wait(request)
                .await
                .map(|_| ())
                .map_err(|status| status.code())
        }
    };

    let good = claims(start_at, "jalia", "jalia");
    assert_eq!(
        call(Some(sign(
            &good,
            &keys.signing,
            jsonwebtoken::Algorithm::EdDSA
        )))
        .await,
        Ok(())
    );

    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT","kid":"2026-11"}"#),
        URL_SAFE_NO_PAD.encode(good.to_string())
    );
    let confused = sign(
        &good,
        &jsonwebtoken::EncodingKey::from_secret(&keys.public_raw).unwrap(),
        jsonwebtoken::Algorithm::HS256,
    );
    let hs256 = sign(
        &good,
        &jsonwebtoken::EncodingKey::from_secret(b"a development secret, but this is production")
            .unwrap(),
        jsonwebtoken::Algorithm::HS256,
    );
    let expired = sign(
        &claims(start_at - SignedDuration::from_hours(2), "jalia", "jalia"),
        &keys.signing,
        jsonwebtoken::Algorithm::EdDSA,
    );
    let wrong_aud = sign(
        &claims(start_at, "someone-else", "jalia"),
        &keys.signing,
        jsonwebtoken::Algorithm::EdDSA,
    );
    let wrong_iss = sign(
        &claims(start_at, "jalia", "someone-else"),
        &keys.signing,
        jsonwebtoken::Algorithm::EdDSA,
    );
    let other_key = sign(&good, &keys.other, jsonwebtoken::Algorithm::EdDSA);
    for (case, token) in [
        ("no token", None),
        ("alg none", Some(unsigned)),
        ("HS256 signed with the public key", Some(confused)),
        ("HS256 outside development", Some(hs256)),
        ("expired", Some(expired)),
        ("wrong aud", Some(wrong_aud)),
        ("wrong iss", Some(wrong_iss)),
        ("another key", Some(other_key)),
    ] {
        assert_eq!(call(token).await, Err(Code::Unauthenticated), "{case}");
    }

    // The server's clock decides expiry: the good token expires when the clock passes it.
    let good_token = sign(&good, &keys.signing, jsonwebtoken::Algorithm::EdDSA);
    clock.advance(SignedDuration::from_mins(20));
    assert_eq!(call(Some(good_token)).await, Err(Code::Unauthenticated));
    let _ = &mut client;
}

#[tokio::test]
async fn a_third_call_past_the_limit_is_shed() {
    let running = start_dev(|settings, _| settings.limits.concurrency = 2).await;
    let token = dev_token(&running.settings, &["events.read"]);
    let channel = channel(running.addr).await;
    let slow = |token: String| {
        let mut client = ProbeServiceClient::new(channel.clone());
        tokio::spawn(async move {
            client
                .wait(with_token(WaitRequest { millis: 1500 }, &token))
                .await
        })
    };
    let first = slow(token.clone());
    let second = slow(token.clone());
    until_in_flight(&running, 2.0).await;
    let err = ProbeServiceClient::new(channel.clone())
        .wait(with_token(WaitRequest { millis: 0 }, &token))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert!(
        err.get_details_retry_info().is_some(),
        "shedding suggests when to retry"
    );
    // Health is never shed.
    assert_eq!(
        health(channel.clone(), "").await.unwrap(),
        ServingStatus::Serving
    );
    first.await.unwrap().unwrap();
    second.await.unwrap().unwrap();
    // Capacity is back.
    ProbeServiceClient::new(channel)
        .wait(with_token(WaitRequest { millis: 0 }, &token))
        .await
        .unwrap();
}

#[tokio::test]
async fn deadlines_from_the_server_and_from_the_caller() {
    let running =
        start_dev(|settings, _| settings.limits.request_timeout = Duration::from_millis(300)).await;
    let token = dev_token(&running.settings, &["events.read"]);
    let mut client = ProbeServiceClient::new(channel(running.addr).await);

    let err = client
        .wait(with_token(WaitRequest { millis: 5_000 }, &token))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::DeadlineExceeded);

    // The caller's own deadline, sent as grpc-timeout by a client that does not enforce
    // it itself (tonic's client would give up first and report CANCELLED).
    let started = Instant::now();
    let status = raw_unary(
        running.addr,
        "/jalia.testing.v1.ProbeService/Wait",
        &WaitRequest { millis: 5_000 },
        &[
            ("grpc-timeout", "100m".to_owned()),
            ("authorization", format!("Bearer {token}")),
        ],
    )
    .await;
    assert_eq!(status.get("grpc-status").unwrap(), "4", "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(2));

    // The handler sees the earlier of the two deadlines, never a later one.
    let mut request = with_token(WaitRequest { millis: 0 }, &token);
    request.set_timeout(Duration::from_secs(60));
    let seen = client.wait(request).await.unwrap().into_inner();
    assert!(
        seen.deadline_millis > 0 && seen.deadline_millis <= 300,
        "{}",
        seen.deadline_millis
    );
}

#[tokio::test]
async fn an_oversized_message_is_refused_and_the_server_keeps_serving() {
    let running = start_dev(|settings, _| {
        settings.limits = Limits {
            max_message_bytes: 64 * 1024,
            ..settings.limits.clone()
        };
    })
    .await;
    let mut client = ProbeServiceClient::new(channel(running.addr).await);
    let err = client
        .echo(EchoRequest {
            message: "big".into(),
            padding: vec![7; 100 * 1024],
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    let echoed = client
        .echo(EchoRequest {
            message: "small".into(),
            padding: vec![7; 1024],
        })
        .await
        .unwrap();
    assert_eq!(echoed.into_inner().message, "small");
}

#[tokio::test]
async fn errors_carry_field_violations_and_a_reason() {
    let running = start_dev(|_, _| {}).await;
    let mut client = ProbeServiceClient::new(channel(running.addr).await);
    let err = client
        .fail(FailRequest {
            field: "event.start.time_zone".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let violations = err.get_details_bad_request().unwrap().field_violations;
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].field, "event.start.time_zone");
    let info = err.get_details_error_info().unwrap();
    assert_eq!(
        (info.reason.as_str(), info.domain.as_str()),
        ("INVALID_ARGUMENT", "jalia")
    );
    let stream: Vec<_> = {
        let mut numbers = client
            .count(CountRequest {
                count: 3,
                interval_millis: 1,
            })
            .await
            .unwrap()
            .into_inner();
        let mut seen = Vec::new();
        while let Some(item) = numbers.message().await.unwrap() {
            seen.push(item.number);
        }
        seen
    };
    assert_eq!(stream, vec![1, 2, 3]);
}

fn ca(name: &str) -> rcgen::CertifiedIssuer<'static, rcgen::KeyPair> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap()).unwrap()
}

fn leaf(issuer: &rcgen::CertifiedIssuer<'static, rcgen::KeyPair>, name: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec![name.to_owned()]).unwrap();
    let cert = params.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

#[tokio::test]
async fn tls_and_client_certificates() {
    let server_ca = ca("jalia test server ca");
    let client_ca = ca("jalia test client ca");
    let (cert, key) = leaf(&server_ca, "localhost");
    let (client_cert, client_key) = leaf(&client_ca, "desk-app");
    let running = start_dev(|settings, dir| {
        std::fs::write(dir.join("server.pem"), &cert).unwrap();
        std::fs::write(dir.join("server.key"), &key).unwrap();
        std::fs::write(dir.join("clients.pem"), client_ca.pem()).unwrap();
        settings.tls = Some(TlsConfig {
            cert_file: dir.join("server.pem"),
            key_file: dir.join("server.key"),
            client_ca_file: Some(dir.join("clients.pem")),
        });
    })
    .await;
    let url = format!("https://localhost:{}", running.addr.port());
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(server_ca.pem()))
        .domain_name("localhost");

    let with_cert = Endpoint::from_shared(url.clone())
        .unwrap()
        .tls_config(
            tls.clone()
                .identity(Identity::from_pem(&client_cert, &client_key)),
        )
        .unwrap()
        .connect()
        .await
        .unwrap();
    assert_eq!(health(with_cert, "").await.unwrap(), ServingStatus::Serving);

    let without_cert = Endpoint::from_shared(url.clone())
        .unwrap()
        .tls_config(tls)
        .unwrap();
    let refused = match without_cert.connect().await {
        Err(_) => true,
        Ok(channel) => health(channel, "").await.is_err(),
    };
    assert!(refused, "a client without a certificate must be refused");

    let plaintext =
        Endpoint::from_shared(format!("http://127.0.0.1:{}", running.addr.port())).unwrap();
    let refused = match plaintext.connect().await {
        Err(_) => true,
        Ok(channel) => health(channel, "").await.is_err(),
    };
    assert!(refused, "a plaintext client must be refused");
}

#[tokio::test]
async fn shutdown_drains_in_flight_calls() {
    let running = start_dev(|settings, _| {
        settings.shutdown.delay = Duration::from_millis(1500);
        settings.shutdown.drain_timeout = Duration::from_secs(10);
    })
    .await;
    let token = dev_token(&running.settings, &["events.read"]);
    let channel = channel(running.addr).await;
    let mut slow_client = ProbeServiceClient::new(channel.clone());
    let slow = tokio::spawn(async move {
        slow_client
            .wait(with_token(WaitRequest { millis: 3000 }, &token))
            .await
    });
    until_in_flight(&running, 1.0).await;

    running.trigger.trigger();
    assert_eq!(
        health(channel.clone(), "").await.unwrap(),
        ServingStatus::NotServing
    );
    assert_eq!(
        health(channel.clone(), PROBE).await.unwrap(),
        ServingStatus::NotServing
    );
    assert_eq!(
        health(channel.clone(), "liveness").await.unwrap(),
        ServingStatus::Serving
    );

    // Once the listener closes, new connections are refused.
    let started = Instant::now();
    loop {
        let attempt = Endpoint::from_shared(format!("http://{}", running.addr))
            .unwrap()
            .connect_timeout(Duration::from_millis(500))
            .connect()
            .await;
        if attempt.is_err() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the listener never closed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The call in flight when the signal came completes.
    assert_eq!(
        slow.await.unwrap().unwrap().into_inner().waited_millis,
        3000
    );
    tokio::time::timeout(Duration::from_secs(5), running.task)
        .await
        .expect("the server stops within its bound")
        .unwrap()
        .unwrap();
}

fn probe_server(args: &[&str], envs: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jalia-probe-server"));
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in envs {
        command.env(name, value);
    }
    command
}

#[tokio::test]
async fn the_real_binary_drains_and_exits_zero_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = probe_server(
        &[
            "--mode",
            "development",
            "--data",
            dir.path().to_str().unwrap(),
            "--shutdown-delay",
            "1s",
            "--drain-timeout",
            "5s",
        ],
        &[],
    )
    .spawn()
    .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let addr: SocketAddr = first_line
        .split_whitespace()
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();

    let auth = AuthConfig {
        mode: Mode::Development,
        dev_key_file: Some(dir.path().join("dev-signing.key")),
        ..AuthConfig::default()
    };
    let token = DevTokenIssuer::from_config(&auth)
        .unwrap()
        .mint(&TokenClaims::new(
            &auth,
            "desk-app",
            "bm",
            &["events.read"],
            Timestamp::now(),
            Duration::from_secs(60),
        ))
        .unwrap();
    let channel = channel(addr).await;
    let mut slow_client = ProbeServiceClient::new(channel.clone());
    let slow = tokio::spawn(async move {
        slow_client
            .wait(with_token(WaitRequest { millis: 2500 }, &token))
            .await
    });
    // The call is in flight once the server answers a later one on the same connection.
    ProbeServiceClient::new(channel.clone())
        .echo(EchoRequest {
            message: "ready".into(),
            padding: vec![],
        })
        .await
        .unwrap();

    let signalled = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let not_serving = {
        let started = Instant::now();
        loop {
            let status = health(channel.clone(), "").await.unwrap();
            if status == ServingStatus::NotServing || started.elapsed() > Duration::from_secs(1) {
                break status;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    assert_eq!(not_serving, ServingStatus::NotServing);
    assert_eq!(
        health(channel.clone(), "liveness").await.unwrap(),
        ServingStatus::Serving
    );

    assert_eq!(
        slow.await.unwrap().unwrap().into_inner().waited_millis,
        2500
    );
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    let elapsed = signalled.elapsed();
    assert_eq!(status.code(), Some(0), "exit status {status:?}");
    assert!(
        elapsed < Duration::from_secs(7),
        "took {elapsed:?}, beyond delay + drain bound"
    );
}

#[test]
fn an_invalid_setting_exits_non_zero_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    for (args, envs, named) in [
        (
            vec![
                "--mode",
                "development",
                "--data",
                data,
                "--listen",
                "nonsense",
            ],
            vec![],
            "--listen / JALIA_PROBE_LISTEN",
        ),
        (
            vec!["--mode", "development", "--data", data],
            vec![("JALIA_PROBE_CONCURRENCY_LIMIT", "0")],
            "JALIA_PROBE_CONCURRENCY_LIMIT",
        ),
        (
            vec!["--mode", "development", "--data", data],
            vec![("JALIA_PROBE_REQUEST_TIMEOUT", "soon")],
            "JALIA_PROBE_REQUEST_TIMEOUT",
        ),
        (vec!["--mode", "production"], vec![], "JALIA_JWKS_FILE"),
        (
            vec![
                "--mode",
                "development",
                "--data",
                data,
                "--tls-cert-file",
                "/nowhere.pem",
            ],
            vec![],
            "JALIA_PROBE_TLS_KEY_FILE",
        ),
    ] {
        let output = probe_server(&args, &envs).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} should fail");
        assert!(stderr.contains(named), "{args:?}: {stderr}");
    }
}

#[test]
fn debug_output_shows_no_secret() {
    use jalia_runtime::config::{EnvPrefix, StorageSettings};
    let prefix = EnvPrefix::new("events");
    let command = clap::Command::new("events")
        .args(ServerSettings::args(
            &prefix,
            jalia_runtime::Defaults {
                listen: "127.0.0.1:0",
                admin_listen: "127.0.0.1:0",
            },
        ))
        .args(StorageSettings::args(&prefix, None));
    let matches = command
        .try_get_matches_from([
            "events",
            "--mode",
            "development",
            "--database-url",
            "postgres://events:pa55word-xyz@db:5432/events",
            "--page-token-key",
            "a-page-token-key-of-at-least-32-bytes-0123456789",
        ])
        .unwrap();
    let server = ServerSettings::from_matches(&prefix, &matches).unwrap();
    let storage = StorageSettings::from_matches(&prefix, server.mode, &matches).unwrap();
    let printed = format!("{server:?} {storage:?}");
    assert!(!printed.contains("pa55word-xyz"), "{printed}");
    assert!(!printed.contains("a-page-token-key"), "{printed}");
    assert_eq!(
        storage.database_url.expose(),
        "postgres://events:pa55word-xyz@db:5432/events"
    );

    let short = clap::Command::new("events")
        .args(ServerSettings::args(
            &prefix,
            jalia_runtime::Defaults {
                listen: "127.0.0.1:0",
                admin_listen: "127.0.0.1:0",
            },
        ))
        .args(StorageSettings::args(&prefix, None))
        .try_get_matches_from([
            "events",
            "--mode",
            "production",
            "--jwks-file",
            "/k.json",
            "--database-url",
            "sqlite://x.db",
        ])
        .unwrap();
    let err = StorageSettings::from_matches(&prefix, Mode::Production, &short).unwrap_err();
    assert!(err.to_string().contains("JALIA_PAGE_TOKEN_KEY"), "{err}");

    // Production never runs on the development default database.
    let defaulted = clap::Command::new("events")
        .args(StorageSettings::args(
            &prefix,
            Some("sqlite://.jalia/events.db?mode=rwc"),
        ))
        .try_get_matches_from([
            "events",
            "--page-token-key",
            "a-page-token-key-of-at-least-32-bytes-0123456789",
        ])
        .unwrap();
    let err = StorageSettings::from_matches(&prefix, Mode::Production, &defaulted).unwrap_err();
    assert!(
        err.to_string().contains("JALIA_EVENTS_DATABASE_URL"),
        "{err}"
    );
    assert!(StorageSettings::from_matches(&prefix, Mode::Development, &defaulted).is_ok());
    let _ = Arc::new(());
}

#[tokio::test]
async fn log_lines_of_a_call_carry_its_request_and_trace_ids() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = probe_server(
        &[
            "--mode",
            "development",
            "--data",
            dir.path().to_str().unwrap(),
            "--log-format",
            "json",
            "--log",
            "debug",
            "--shutdown-delay",
            "0s",
        ],
        &[],
    )
    .spawn()
    .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let addr: SocketAddr = first_line
        .split_whitespace()
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let mut request = tonic::Request::new(WhoAmIRequest {});
    let metadata = request.metadata_mut();
    metadata.insert(
        "authorization",
        "Bearer forged.token.value".parse().unwrap(),
    );
    metadata.insert("x-request-id", "req-desk-0042".parse().unwrap());
    metadata.insert(
        "traceparent",
        format!("00-{trace_id}-00f067aa0ba902b7-01")
            .parse()
            .unwrap(),
    );
    let err = ProbeServiceClient::new(channel(addr).await)
        .who_am_i(request)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    assert_eq!(err.metadata().get("x-request-id").unwrap(), "req-desk-0042");

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let logs = String::from_utf8_lossy(&output.stderr);
    let line = logs
        .lines()
        .find(|line| line.contains("token refused"))
        .unwrap_or_else(|| panic!("no refusal logged: {logs}"));
    let parsed: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(parsed["span"]["request_id"], "req-desk-0042", "{line}");
    assert_eq!(parsed["span"]["trace_id"], trace_id, "{line}");
    assert!(!logs.contains("forged.token.value"), "a token was logged");
}

/// Sends a headers-only call to each path over one HTTP/2 connection, many at once, and
/// returns how many answered with each `grpc-status`.
async fn flood_paths(
    addr: SocketAddr,
    paths: impl Iterator<Item = String>,
    headers: Vec<(&'static str, String)>,
) -> std::collections::BTreeMap<String, usize> {
    use futures_util::StreamExt;
    use http_body_util::BodyExt;
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tcp),
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    let answers = std::sync::Mutex::new(std::collections::BTreeMap::new());
    futures_util::stream::iter(paths)
        .for_each_concurrent(64, |path| {
            let mut sender = sender.clone();
            let headers = headers.clone();
            let answers = &answers;
            async move {
                let mut request = http::Request::post(format!("http://{addr}{path}"))
                    .header("content-type", "application/grpc")
                    .header("te", "trailers");
                for (name, value) in headers {
                    request = request.header(name, value);
                }
                let request = request
                    .body(http_body_util::Full::new(bytes::Bytes::from_static(&[
                        0, 0, 0, 0, 0,
                    ])))
                    .unwrap();
                let response = sender.send_request(request).await.unwrap();
                let (parts, body) = response.into_parts();
                let mut status = parts.headers;
                if let Some(trailers) = body.collect().await.unwrap().trailers() {
                    status.extend(trailers.clone());
                }
                let code = status
                    .get("grpc-status")
                    .map_or("none".to_owned(), |code| code.to_str().unwrap().to_owned());
                *answers.lock().unwrap().entry(code).or_insert(0) += 1;
            }
        })
        .await;
    answers.into_inner().unwrap()
}

/// The series in a Prometheus exposition (every sample line).
fn series(rendered: &str) -> usize {
    rendered
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .count()
}

fn bogus_paths(count: usize) -> impl Iterator<Item = String> {
    (0..count).map(|index| match index % 4 {
        0 => format!("/jalia.bogus{index}.v1.Nothing/Get{index}"),
        1 => format!("/jalia.testing.v1.ProbeService/Nope{index}"),
        2 => format!("/grpc.health.v1.Health/Probe{index}"),
        _ => format!("/not-grpc-at-all-{index}"),
    })
}

#[tokio::test]
async fn made_up_paths_do_not_grow_the_metrics() {
    let running = start_dev(|settings, _| {
        settings.admin_listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
    })
    .await;
    let admin = running.admin.unwrap();
    // A first round puts every series a bogus path can make in place.
    flood_paths(running.addr, bogus_paths(8), Vec::new()).await;
    let before = series(&http_get(admin, "/metrics").await);

    let answers = flood_paths(running.addr, bogus_paths(10_000), Vec::new()).await;
    assert_eq!(answers.get("12"), Some(&10_000), "{answers:?}");
    let rendered = http_get(admin, "/metrics").await;
    assert_eq!(series(&rendered), before, "series grew with made-up paths");
    assert_eq!(
        metric_value(
            &rendered,
            "grpc_server_handled_total",
            &[
                "grpc_service=\"unknown\"",
                "grpc_method=\"unknown\"",
                "grpc_code=\"UNIMPLEMENTED\""
            ]
        ),
        Some(10_008.0),
        "{rendered}"
    );
}

/// Settings as a deployable reads them from its flags.
fn settings_from(args: &[&str]) -> Result<ServerSettings, jalia_runtime::ConfigError> {
    use jalia_runtime::config::EnvPrefix;
    let prefix = EnvPrefix::new("probe");
    let matches = clap::Command::new("probe")
        .args(ServerSettings::args(
            &prefix,
            jalia_runtime::Defaults {
                listen: "127.0.0.1:0",
                admin_listen: "127.0.0.1:0",
            },
        ))
        .try_get_matches_from(std::iter::once("probe").chain(args.iter().copied()))
        .unwrap();
    ServerSettings::from_matches(&prefix, &matches)
}

/// Asks for the list of services over reflection v1 and v1alpha: the codes they answer.
async fn reflection_codes(addr: SocketAddr) -> (Code, Code) {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1alpha::ServerReflectionRequest as AlphaReflectionRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient as Alpha;
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest as AlphaRequest;
    let channel = channel(addr).await;
    let v1 = async {
        let mut answers = ServerReflectionClient::new(channel.clone())
            .server_reflection_info(futures_util::stream::iter([ServerReflectionRequest {
                host: String::new(),
                message_request: Some(MessageRequest::ListServices(String::new())),
            }]))
            .await?
            .into_inner();
        answers.message().await.map(|_| ())
    };
    let alpha = async {
        let mut answers = Alpha::new(channel.clone())
            .server_reflection_info(futures_util::stream::iter([AlphaReflectionRequest {
                host: String::new(),
                message_request: Some(AlphaRequest::ListServices(String::new())),
            }]))
            .await?
            .into_inner();
        answers.message().await.map(|_| ())
    };
    let code =
        |outcome: Result<(), tonic::Status>| outcome.map_or_else(|s| s.code(), |()| Code::Ok);
    (code(v1.await), code(alpha.await))
}

async fn serve_with_settings(settings: ServerSettings) -> SocketAddr {
    let routes = probe::routes(&settings.limits);
    let server = Server::bind(settings, jalia_runtime::system_clock())
        .await
        .unwrap();
    let addr = server.local_addr();
    let (trigger, shutdown) = Shutdown::manual();
    tokio::spawn(async move {
        let _running_until_the_test_ends = trigger;
        server.serve(&[probe::CONTRACT], routes, shutdown).await
    });
    addr
}

#[tokio::test]
async fn production_serves_no_reflection_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let keys = production_keys(dir.path());
    let jwks = keys.jwks_path.to_str().unwrap();
    let data = dir.path().to_str().unwrap();
    let production = settings_from(&[
        "--mode",
        "production",
        "--jwks-file",
        jwks,
        "--data",
        data,
        "--no-admin",
    ])
    .unwrap();
    let addr = serve_with_settings(production).await;
    assert_eq!(
        reflection_codes(addr).await,
        (Code::Unimplemented, Code::Unimplemented)
    );
    // Health still answers.
    assert_eq!(
        health(channel(addr).await, "").await.unwrap(),
        ServingStatus::Serving
    );
}

#[tokio::test]
async fn reflection_is_turned_on_by_setting_or_development() {
    let dir = tempfile::tempdir().unwrap();
    let keys = production_keys(dir.path());
    let jwks = keys.jwks_path.to_str().unwrap();
    let data = dir.path().to_str().unwrap();
    let on = settings_from(&[
        "--mode",
        "production",
        "--jwks-file",
        jwks,
        "--data",
        data,
        "--no-admin",
        "--reflection",
        "on",
    ])
    .unwrap();
    assert!(on.reflection);
    let addr = serve_with_settings(on).await;
    assert_eq!(reflection_codes(addr).await, (Code::Ok, Code::Ok));

    let development = settings_from(&["--mode", "development", "--data", data]).unwrap();
    assert!(
        development.reflection,
        "development reflects unless told not to"
    );
    let off = settings_from(&[
        "--mode",
        "development",
        "--data",
        data,
        "--reflection",
        "off",
    ])
    .unwrap();
    assert!(!off.reflection);
    let err = settings_from(&[
        "--mode",
        "development",
        "--data",
        data,
        "--reflection",
        "maybe",
    ])
    .unwrap_err();
    assert!(err.to_string().contains("JALIA_REFLECTION"), "{err}");
    assert!(ServerSettings::development(dir.path()).reflection);
}

#[test]
fn token_settings_are_bounded_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let base = ["--mode", "development", "--data", data];
    for (flag, value, named) in [
        ("--token-clock-skew", "6m", "JALIA_TOKEN_CLOCK_SKEW"),
        ("--token-max-lifetime", "30s", "JALIA_TOKEN_MAX_LIFETIME"),
        ("--token-max-lifetime", "8d", "JALIA_TOKEN_MAX_LIFETIME"),
        ("--token-max-lifetime", "721h", "JALIA_TOKEN_MAX_LIFETIME"),
    ] {
        let mut args = base.to_vec();
        args.extend([flag, value]);
        let err = settings_from(&args).unwrap_err();
        assert!(err.to_string().contains(named), "{value}: {err}");
    }
    let settings = settings_from(&base).unwrap();
    assert_eq!(settings.auth.clock_skew, Duration::from_secs(30));
    assert_eq!(
        settings.auth.max_token_lifetime,
        Duration::from_secs(24 * 3600)
    );
    let mut args = base.to_vec();
    args.extend(["--token-clock-skew", "5m", "--token-max-lifetime", "1h"]);
    let settings = settings_from(&args).unwrap();
    assert_eq!(settings.auth.clock_skew, Duration::from_secs(300));
    assert_eq!(settings.auth.max_token_lifetime, Duration::from_secs(3600));
}

/// One unary call whose message is `payload` as it is, framed but not encoded, so a test
/// can send bytes no encoder would produce. Returns the status headers and trailers.
async fn raw_bytes_unary(addr: SocketAddr, path: &str, payload: &[u8]) -> http::HeaderMap {
    use http_body_util::BodyExt;
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tcp),
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    let mut frame = vec![0_u8];
    frame.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(payload);
    let request = http::Request::post(format!("http://{addr}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(http_body_util::Full::new(bytes::Bytes::from(frame)))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let mut status = parts.headers;
    if let Some(trailers) = body.collect().await.unwrap().trailers() {
        status.extend(trailers.clone());
    }
    status
}

/// Bytes that are no `EchoRequest` (field 1, `message`, a string): each a caller's fault.
const UNDECODABLE: [(&str, &[u8]); 4] = [
    (
        "a varint of eleven bytes",
        &[
            0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ],
    ),
    ("a field cut short", &[0x0a, 0x05, b'a']),
    ("a string that is not UTF-8", &[0x0a, 0x02, 0xff, 0xfe]),
    ("a wire type that does not exist", &[0x0f]),
];

#[tokio::test]
async fn undecodable_requests_are_the_callers_fault() {
    let running = start_dev(|_, _| {}).await;
    for (case, payload) in UNDECODABLE {
        let headers =
            raw_bytes_unary(running.addr, "/jalia.testing.v1.ProbeService/Echo", payload).await;
        let status = tonic::Status::from_header_map(&headers).unwrap();
        assert_eq!(status.code(), Code::InvalidArgument, "{case}: {status:?}");
        let info = status.get_details_error_info().unwrap();
        assert_eq!(
            (info.reason.as_str(), info.domain.as_str()),
            ("MALFORMED_REQUEST", "jalia"),
            "{case}"
        );
    }
    // The server goes on serving well-formed calls.
    let echoed = ProbeServiceClient::new(channel(running.addr).await)
        .echo(EchoRequest {
            message: "marhaba".into(),
            padding: vec![],
        })
        .await
        .unwrap();
    assert_eq!(echoed.into_inner().message, "marhaba");
}

#[tokio::test]
async fn an_undecodable_response_stays_internal_for_the_client() {
    use hyper::service::service_fn;
    // A "server" whose every answer is bytes no EchoResponse decodes from: the client's
    // problem is not of its own making, so it must not read as INVALID_ARGUMENT.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let service = service_fn(|_request: hyper::Request<hyper::body::Incoming>| async {
            let mut trailers = http::HeaderMap::new();
            trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
            let frames = futures_util::stream::iter([
                Ok::<_, std::convert::Infallible>(http_body::Frame::data(
                    bytes::Bytes::from_static(&[0, 0, 0, 0, 3, 0x0a, 0x05, b'a']),
                )),
                Ok(http_body::Frame::trailers(trailers)),
            ]);
            let response = hyper::Response::builder()
                .header("content-type", "application/grpc")
                .body(http_body_util::StreamBody::new(frames))
                .unwrap();
            Ok::<_, std::convert::Infallible>(response)
        });
        let _ = hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
            .await;
    });
    let err = ProbeServiceClient::new(channel(addr).await)
        .echo(EchoRequest {
            message: "marhaba".into(),
            padding: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Internal, "{err:?}");
}

/// A client that opens `count` Count streams on one HTTP/2 connection and never reads
/// them: a tiny receive window, so each server stream stalls once its send buffer is full.
/// Returns the responses (headers only; nothing is read) and the connection's task.
async fn streams_never_read(
    addr: SocketAddr,
    count: usize,
) -> (
    Vec<http::Response<hyper::body::Incoming>>,
    tokio::task::JoinHandle<()>,
) {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, connection) =
        hyper::client::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
            .initial_stream_window_size(1024)
            .initial_connection_window_size(1024 * 1024)
            .handshake(hyper_util::rt::TokioIo::new(tcp))
            .await
            .unwrap();
    let connection = tokio::spawn(async move {
        let _ = connection.await;
    });
    let request = CountRequest {
        count: u32::MAX,
        interval_millis: 0,
    };
    let mut frame = vec![0_u8];
    let encoded = prost::Message::encode_to_vec(&request);
    frame.extend_from_slice(&u32::try_from(encoded.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(&encoded);
    let mut responses = Vec::new();
    for _ in 0..count {
        let mut sender = sender.clone();
        let request =
            http::Request::post(format!("http://{addr}/jalia.testing.v1.ProbeService/Count"))
                .header("content-type", "application/grpc")
                .header("te", "trailers")
                .body(http_body_util::Full::new(bytes::Bytes::from(frame.clone())))
                .unwrap();
        responses.push(sender.send_request(request).await.unwrap());
    }
    (responses, connection)
}

/// A well-behaved client from another loopback address (another peer to the server).
async fn other_peer(addr: SocketAddr) -> ProbeServiceClient<Channel> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .local_address(Some("127.0.0.2".parse().unwrap()))
        .connect()
        .await
        .unwrap();
    ProbeServiceClient::new(channel)
}

fn echo() -> EchoRequest {
    EchoRequest {
        message: "marhaba".into(),
        padding: vec![],
    }
}

#[tokio::test]
async fn a_client_that_never_reads_holds_only_its_share() {
    let running = start_dev(|settings, _| settings.limits.concurrency = 8).await;
    let (responses, _connection) = streams_never_read(running.addr, 8).await;
    // Another client is served at once.
    let echoed = other_peer(running.addr).await.echo(echo()).await;
    assert_eq!(echoed.unwrap().into_inner().message, "marhaba");
    // The stalled client got its share (a quarter of the permits by default), no more.
    let held = responses
        .iter()
        .filter(|response| response.headers().get("grpc-status").is_none())
        .count();
    assert_eq!(
        held,
        2,
        "{:?}",
        responses.iter().map(|r| r.headers()).collect::<Vec<_>>()
    );
    for response in &responses {
        if let Some(code) = response.headers().get("grpc-status") {
            assert_eq!(code, "8");
        }
    }
}

/// Calls `Echo` from another peer until it is served (bounded): the permits a stalled
/// client held must come back by themselves.
async fn served_eventually(addr: SocketAddr) {
    let mut client = other_peer(addr).await;
    let started = Instant::now();
    loop {
        match client.echo(echo()).await {
            Ok(_) => return,
            // Short connection ages close this client's connections too.
            Err(status) => assert!(
                matches!(
                    status.code(),
                    Code::ResourceExhausted | Code::Cancelled | Code::Unavailable
                ),
                "{status:?}"
            ),
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the stalled client's permits never came back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_response_nobody_reads_is_ended_and_its_permit_released() {
    let running = start_dev(|settings, _| {
        settings.limits.concurrency = 4;
        settings.limits.client_concurrency = Some(4);
        settings.limits.response_idle_timeout = Duration::from_millis(300);
    })
    .await;
    let (responses, _connection) = streams_never_read(running.addr, 4).await;
    assert!(
        responses
            .iter()
            .all(|response| response.headers().get("grpc-status").is_none()),
        "every stream got a permit"
    );
    served_eventually(running.addr).await;
    // A permit comes back before its stream's outcome is counted: under load another
    // call may be served in between, so the count is awaited (bounded), not sampled.
    let ended = || {
        metric_value(
            &running.metrics.render(),
            "grpc_server_handled_total",
            &["grpc_method=\"Count\"", "grpc_code=\"DEADLINE_EXCEEDED\""],
        )
    };
    let started = Instant::now();
    while ended() != Some(4.0) && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(ended(), Some(4.0), "{}", running.metrics.render());
    // Should the client read after all, what was sent arrives, then the reason it ended.
    use http_body_util::BodyExt;
    let body = responses.into_iter().next().unwrap().into_body();
    let collected = body.collect().await.unwrap();
    let status = tonic::Status::from_header_map(collected.trailers().unwrap()).unwrap();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert_eq!(
        status.get_details_error_info().unwrap().reason,
        "RESPONSE_STALLED"
    );
}

#[tokio::test]
async fn a_connection_past_its_age_and_grace_is_cut() {
    let running = start_dev(|settings, _| {
        settings.limits.concurrency = 4;
        settings.limits.client_concurrency = Some(4);
        // Only the connection's lifetime can free the stalled streams here.
        settings.limits.response_idle_timeout = Duration::from_secs(3600);
        settings.limits.max_connection_age = Duration::from_millis(200);
        settings.limits.max_connection_age_grace = Duration::from_millis(200);
    })
    .await;
    let (_responses, _connection) = streams_never_read(running.addr, 4).await;
    served_eventually(running.addr).await;
}

#[test]
fn stream_and_client_limits_are_settings() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let base = ["--mode", "development", "--data", data];
    let defaults = settings_from(&base).unwrap().limits;
    assert_eq!(defaults.max_concurrent_streams, 100);
    assert_eq!(defaults.client_concurrency, None);
    assert_eq!(defaults.client_concurrency(), 64);
    assert_eq!(defaults.max_connection_age_grace, Duration::from_secs(30));
    assert_eq!(defaults.response_idle_timeout, Duration::from_secs(30));
    let mut args = base.to_vec();
    args.extend([
        "--max-concurrent-streams",
        "10",
        "--client-concurrency-limit",
        "8",
        "--max-connection-age-grace",
        "5s",
        "--response-idle-timeout",
        "1m",
    ]);
    let set = settings_from(&args).unwrap().limits;
    assert_eq!(
        (
            set.max_concurrent_streams,
            set.client_concurrency(),
            set.max_connection_age_grace,
            set.response_idle_timeout
        ),
        (10, 8, Duration::from_secs(5), Duration::from_secs(60))
    );
    for (flag, value, named) in [
        (
            "--max-concurrent-streams",
            "0",
            "JALIA_PROBE_MAX_CONCURRENT_STREAMS",
        ),
        (
            "--max-concurrent-streams",
            "10001",
            "JALIA_PROBE_MAX_CONCURRENT_STREAMS",
        ),
        (
            "--client-concurrency-limit",
            "0",
            "JALIA_PROBE_CLIENT_CONCURRENCY_LIMIT",
        ),
        (
            "--client-concurrency-limit",
            "257",
            "JALIA_PROBE_CLIENT_CONCURRENCY_LIMIT",
        ),
        (
            "--max-connection-age-grace",
            "0s",
            "JALIA_PROBE_MAX_CONNECTION_AGE_GRACE",
        ),
        (
            "--response-idle-timeout",
            "0",
            "JALIA_PROBE_RESPONSE_IDLE_TIMEOUT",
        ),
    ] {
        let mut args = base.to_vec();
        args.extend([flag, value]);
        let err = settings_from(&args).unwrap_err();
        assert!(err.to_string().contains(named), "{flag} {value}: {err}");
    }
}
