//! Journeys through the gateway with the whole suite in one process, and the gateway's own
//! promises: status details passed through byte for byte, deadlines never extended, gRPC-Web
//! with CORS, unknown methods refused at the door, streams, a backend going down and coming
//! back, and per-caller rate limits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly
#![allow(clippy::print_stdout)] // measured times are reported, not asserted

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jalia_e2e::{TestSuite, channel, grpc_web_body, http1, raw_unary, with_token};
use jalia_proto::events::v1 as events;
use jalia_proto::events::v1::event_service_client::EventServiceClient;
use jalia_proto::events::v1::event_service_server::{EventService, EventServiceServer};
use jalia_runtime::{ApiError, FieldViolation, Shutdown};
use tonic::{Code, Request, Response, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

async fn health(channel: tonic::transport::Channel, service: &str) -> ServingStatus {
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .status()
}

/// One call that reached the recording backend: the event name and the `grpc-timeout`
/// it carried.
type ReceivedCall = (String, Option<String>);

/// An events backend that records what reached it.
#[derive(Clone, Default)]
struct RecordingBackend {
    calls: Arc<Mutex<Vec<ReceivedCall>>>,
}

type Answer<T> = Result<Response<T>, Status>;

fn not_here<T>() -> Answer<T> {
    Err(Status::unimplemented("not part of this fake"))
}

#[tonic::async_trait]
impl EventService for RecordingBackend {
    async fn get_event(&self, request: Request<events::GetEventRequest>) -> Answer<events::Event> {
        let timeout = request
            .metadata()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let name = request.into_inner().name;
        self.calls.lock().unwrap().push((name.clone(), timeout));
        if name == "agencies/bm/events/bad" {
            return Err(ApiError::invalid_argument(vec![
                FieldViolation::new("name", "the fake blames the name"),
                FieldViolation::new("language_code", "and the language"),
            ])
            .into());
        }
        Ok(Response::new(events::Event {
            name,
            ..Default::default()
        }))
    }
    async fn list_events(
        &self,
        _: Request<events::ListEventsRequest>,
    ) -> Answer<events::ListEventsResponse> {
        not_here()
    }
    async fn create_event(&self, _: Request<events::CreateEventRequest>) -> Answer<events::Event> {
        not_here()
    }
    async fn update_event(&self, _: Request<events::UpdateEventRequest>) -> Answer<events::Event> {
        not_here()
    }
    async fn delete_event(&self, _: Request<events::DeleteEventRequest>) -> Answer<()> {
        not_here()
    }
    async fn publish_event(
        &self,
        _: Request<events::PublishEventRequest>,
    ) -> Answer<events::Event> {
        not_here()
    }
    async fn cancel_event(&self, _: Request<events::CancelEventRequest>) -> Answer<events::Event> {
        not_here()
    }
    async fn postpone_event(
        &self,
        _: Request<events::PostponeEventRequest>,
    ) -> Answer<events::Event> {
        not_here()
    }
    async fn reschedule_event(
        &self,
        _: Request<events::RescheduleEventRequest>,
    ) -> Answer<events::Event> {
        not_here()
    }
    async fn complete_event(
        &self,
        _: Request<events::CompleteEventRequest>,
    ) -> Answer<events::Event> {
        not_here()
    }
    async fn register_attendee(
        &self,
        _: Request<events::RegisterAttendeeRequest>,
    ) -> Answer<events::Registration> {
        not_here()
    }
    async fn get_registration(
        &self,
        _: Request<events::GetRegistrationRequest>,
    ) -> Answer<events::Registration> {
        not_here()
    }
    async fn list_registrations(
        &self,
        _: Request<events::ListRegistrationsRequest>,
    ) -> Answer<events::ListRegistrationsResponse> {
        not_here()
    }
    async fn cancel_registration(
        &self,
        _: Request<events::CancelRegistrationRequest>,
    ) -> Answer<events::Registration> {
        not_here()
    }
    async fn lookup_registration(
        &self,
        _: Request<events::LookupRegistrationRequest>,
    ) -> Answer<events::LookupRegistrationResponse> {
        not_here()
    }
    async fn withdraw_registration(
        &self,
        _: Request<events::WithdrawRegistrationRequest>,
    ) -> Answer<events::WithdrawRegistrationResponse> {
        not_here()
    }
    async fn check_in(&self, _: Request<events::CheckInRequest>) -> Answer<events::Registration> {
        not_here()
    }
    async fn erase_personal_data(
        &self,
        _: Request<events::ErasePersonalDataRequest>,
    ) -> Answer<events::ErasePersonalDataResponse> {
        not_here()
    }
    async fn export_personal_data(
        &self,
        _: Request<events::ExportPersonalDataRequest>,
    ) -> Answer<events::ExportPersonalDataResponse> {
        not_here()
    }
    type ExportRosterStream = futures_stream::Empty;
    async fn export_roster(
        &self,
        _: Request<events::ExportRosterRequest>,
    ) -> Answer<Self::ExportRosterStream> {
        not_here()
    }
    type WatchChangesStream = tonic::codegen::BoxStream<events::WatchChangesResponse>;
    async fn watch_changes(
        &self,
        _: Request<events::WatchChangesRequest>,
    ) -> Answer<Self::WatchChangesStream> {
        not_here()
    }
    async fn export_event_calendar(
        &self,
        _: Request<events::ExportEventCalendarRequest>,
    ) -> Answer<events::ExportEventCalendarResponse> {
        not_here()
    }
    async fn export_events_calendar(
        &self,
        _: Request<events::ExportEventsCalendarRequest>,
    ) -> Answer<events::ExportEventsCalendarResponse> {
        not_here()
    }
}

mod futures_stream {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// A stream that never yields.
    pub(crate) struct Empty;

    impl tokio_stream::Stream for Empty {
        type Item = Result<jalia_proto::events::v1::ExportRosterResponse, tonic::Status>;
        fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            Poll::Ready(None)
        }
    }
}

/// A gateway whose events backend is at `events_url` (checked against `ca_pem` when it is
/// https), in front of the suite's other backends.
async fn gateway_in_front_of(
    suite: &TestSuite,
    events_url: &str,
    ca_pem: Option<Vec<u8>>,
) -> std::net::SocketAddr {
    let catalog = suite.suite.address("services-catalog").await.unwrap();
    let inquiries = suite.suite.address("inquiries").await.unwrap();
    let mut config = jalia_gateway::Config::development(
        &suite.data.path().canonicalize().unwrap(),
        events_url,
        &format!("http://{catalog}"),
        &format!("http://{inquiries}"),
    )
    .unwrap();
    config.backends.events.ca_pem = ca_pem;
    let gateway = jalia_gateway::Application::build(config, jalia_runtime::system_clock())
        .await
        .unwrap();
    let address = gateway.local_addr();
    let (_trigger, shutdown) = Shutdown::manual();
    tokio::spawn(async move {
        let _keep = _trigger;
        gateway.run(shutdown).await
    });
    address
}

/// Serves the recording backend on a port of its own, through `server` as configured.
async fn serve_fake(
    mut server: tonic::transport::Server,
) -> (std::net::SocketAddr, RecordingBackend) {
    let fake = RecordingBackend::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fake_addr = listener.local_addr().unwrap();
    tokio::spawn(
        server
            .add_service(EventServiceServer::new(fake.clone()))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    (fake_addr, fake)
}

/// A gateway in front of the recording backend (and the suite's other backends).
async fn gateway_to_fake(
    suite: &TestSuite,
) -> (std::net::SocketAddr, std::net::SocketAddr, RecordingBackend) {
    let (fake_addr, fake) = serve_fake(tonic::transport::Server::builder()).await;
    let address = gateway_in_front_of(suite, &format!("http://{fake_addr}"), None).await;
    (address, fake_addr, fake)
}

fn get(name: &str) -> events::GetEventRequest {
    events::GetEventRequest {
        name: name.to_owned(),
        language_code: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backends_recycling_connections_and_large_messages_pass_through() {
    let suite = TestSuite::start(None).await;
    // The backend closes each connection 150 ms after it opened (GOAWAY, then drain).
    let (fake_addr, fake) = serve_fake(
        tonic::transport::Server::builder().max_connection_age(Duration::from_millis(150)),
    )
    .await;
    let gateway = gateway_in_front_of(&suite, &format!("http://{fake_addr}"), None).await;
    let mut client = EventServiceClient::new(channel(gateway).await);

    // Over several of the backend's connection lifetimes no call fails: a connection told
    // to go away is replaced before the next call.
    let started = Instant::now();
    let mut calls = 0;
    while started.elapsed() < Duration::from_millis(1_200) {
        let name = format!("agencies/bm/events/e{calls}");
        let answered = client.get_event(get(&name)).await.unwrap().into_inner();
        assert_eq!(answered.name, name);
        calls += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(calls >= 20, "only {calls} calls in 1.2 s");
    assert_eq!(fake.calls.lock().unwrap().len(), calls);

    // Messages larger than what is sent at once, both ways, and many calls at once, on a
    // backend keeping its connection: one closing its socket mid-burst may reset calls in
    // flight whatever the proxy (the kernel drops what the peer had not read).
    let (steady_addr, _steady) = serve_fake(tonic::transport::Server::builder()).await;
    let gateway = gateway_in_front_of(&suite, &format!("http://{steady_addr}"), None).await;
    let mut client = EventServiceClient::new(channel(gateway).await);
    let long = format!("agencies/bm/events/{}", "x".repeat(300_000));
    let answered = client.get_event(get(&long)).await.unwrap().into_inner();
    assert_eq!(answered.name, long);
    let mut many = tokio::task::JoinSet::new();
    for index in 0..32 {
        let mut client = client.clone();
        let name = format!("agencies/bm/events/{index}-{}", "y".repeat(index * 5_000));
        many.spawn(async move {
            let answered = client.get_event(get(&name)).await.unwrap().into_inner();
            assert_eq!(answered.name, name);
        });
    }
    while let Some(done) = many.join_next().await {
        done.unwrap();
    }
}

fn test_ca(name: &str) -> rcgen::CertifiedIssuer<'static, rcgen::KeyPair> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_backends_are_reached_over_tls_checked_against_their_ca() {
    let suite = TestSuite::start(None).await;
    let ca = test_ca("jalia test backend ca");
    let key = rcgen::KeyPair::generate().unwrap();
    let certificate = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let identity = tonic::transport::Identity::from_pem(certificate.pem(), key.serialize_pem());
    let (fake_addr, fake) = serve_fake(
        tonic::transport::Server::builder()
            .tls_config(tonic::transport::ServerTlsConfig::new().identity(identity))
            .unwrap(),
    )
    .await;
    // `localhost` may also resolve to ::1, where nothing listens: that pod is passed over.
    let url = format!("https://localhost:{}", fake_addr.port());

    let gateway = gateway_in_front_of(&suite, &url, Some(ca.pem().into_bytes())).await;
    let mut client = EventServiceClient::new(channel(gateway).await);
    for index in 0..3 {
        let name = format!("agencies/bm/events/tls{index}");
        let answered = client.get_event(get(&name)).await.unwrap().into_inner();
        assert_eq!(answered.name, name);
    }
    assert_eq!(fake.calls.lock().unwrap().len(), 3);

    // Against a CA that did not sign the backend's certificate, nothing is sent.
    let stranger = test_ca("some other ca");
    let gateway = gateway_in_front_of(&suite, &url, Some(stranger.pem().into_bytes())).await;
    let mut client = EventServiceClient::new(channel(gateway).await);
    let refused = client
        .get_event(get("agencies/bm/events/secret"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert_eq!(fake.calls.lock().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_passes_errors_through_and_never_extends_deadlines() {
    let suite = TestSuite::start(None).await;
    let (gateway, fake_addr, fake) = gateway_to_fake(&suite).await;
    let request = events::GetEventRequest {
        name: "agencies/bm/events/bad".into(),
        language_code: String::new(),
    };

    // A backend's error with BadRequest details arrives byte for byte.
    let direct = raw_unary(
        fake_addr,
        "/jalia.events.v1.EventService/GetEvent",
        &request,
        &[],
    )
    .await;
    let through = raw_unary(
        gateway,
        "/jalia.events.v1.EventService/GetEvent",
        &request,
        &[],
    )
    .await;
    for header in ["grpc-status", "grpc-message", "grpc-status-details-bin"] {
        assert!(direct.get(header).is_some(), "{header} missing: {direct:?}");
        assert_eq!(direct.get(header), through.get(header), "{header}");
    }

    // The backend sees a deadline no later than the caller's.
    let ok = events::GetEventRequest {
        name: "agencies/bm/events/good".into(),
        language_code: String::new(),
    };
    let through = raw_unary(
        gateway,
        "/jalia.events.v1.EventService/GetEvent",
        &ok,
        &[("grpc-timeout", "2S".to_owned())],
    )
    .await;
    assert_eq!(through.get("grpc-status").unwrap(), "0");
    let seen = fake
        .calls
        .lock()
        .unwrap()
        .last()
        .unwrap()
        .1
        .clone()
        .unwrap();
    let millis: u64 = seen.trim_end_matches('m').parse().unwrap();
    assert!(
        seen.ends_with('m') && millis <= 2000 && millis > 0,
        "backend saw grpc-timeout {seen}"
    );

    // An unknown method is refused at the door, without reaching a backend.
    let before = fake.calls.lock().unwrap().len();
    let unknown = raw_unary(
        gateway,
        "/jalia.events.v1.EventService/DropAllTables",
        &ok,
        &[],
    )
    .await;
    assert_eq!(unknown.get("grpc-status").unwrap(), "12");
    let unknown = raw_unary(gateway, "/jalia.nothing.v1.Nope/Get", &ok, &[]).await;
    assert_eq!(unknown.get("grpc-status").unwrap(), "12");
    assert_eq!(fake.calls.lock().unwrap().len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_web_with_its_cors_preflight() {
    let suite = TestSuite::start(None).await;
    let gateway = suite.suite.gateway;
    let path = "/jalia.events.v1.EventService/ListEvents";
    let (status, headers, _) = http1(
        gateway,
        http::Method::OPTIONS,
        path,
        &[
            ("origin", "https://portail.example.ma"),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "content-type,x-grpc-web,authorization",
            ),
        ],
        Vec::new(),
    )
    .await;
    assert!(status.is_success(), "{status}");
    assert!(
        headers.get("access-control-allow-origin").is_some(),
        "{headers:?}"
    );
    let allowed = headers
        .get("access-control-allow-headers")
        .unwrap()
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        allowed.contains("x-grpc-web") && allowed.contains("authorization"),
        "{allowed}"
    );

    let request = events::ListEventsRequest {
        parent: "agencies/-".into(),
        page_size: 5,
        ..Default::default()
    };
    let (status, headers, body) = http1(
        gateway,
        http::Method::POST,
        path,
        &[
            ("origin", "https://portail.example.ma"),
            ("content-type", "application/grpc-web+proto"),
            ("x-grpc-web", "1"),
        ],
        grpc_web_body(&request),
    )
    .await;
    assert_eq!(status, http::StatusCode::OK);
    let exposed = headers
        .get("access-control-expose-headers")
        .unwrap()
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("grpc-status") && exposed.contains("grpc-message"),
        "{exposed}"
    );
    // A data frame with the demo's events, then a trailers frame with grpc-status 0.
    assert_eq!(body[0], 0);
    let length = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
    let listed: events::ListEventsResponse = prost::Message::decode(&body[5..5 + length]).unwrap();
    assert!(!listed.events.is_empty());
    let trailers = String::from_utf8_lossy(&body[5 + length + 5..]).to_lowercase();
    assert!(trailers.contains("grpc-status:0"), "{trailers}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_going_down_and_coming_back() {
    let suite = TestSuite::start(Some(|config: &mut jalia_gateway::Config| {
        config.ready_timeout = Duration::from_millis(300);
        config.check_interval = Duration::from_millis(200);
    }))
    .await;
    let gateway = suite.gateway().await;
    let mut events_client = EventServiceClient::new(gateway.clone());
    let list = events::ListEventsRequest {
        parent: "agencies/-".into(),
        ..Default::default()
    };
    events_client.list_events(list.clone()).await.unwrap();
    let address = suite.suite.address("events").await.unwrap();

    suite.suite.stop("events").await.unwrap();
    let mut request = Request::new(list.clone());
    request.set_timeout(Duration::from_secs(10));
    let started = Instant::now();
    let err = events_client.list_events(request).await.unwrap_err();
    let time_to_fail = started.elapsed();
    assert_eq!(err.code(), Code::Unavailable);
    assert!(
        time_to_fail < Duration::from_secs(10),
        "failed only at the deadline"
    );
    println!("stopped backend: UNAVAILABLE after {time_to_fail:?} (deadline 10 s)");

    let started = Instant::now();
    while health(gateway.clone(), "jalia.events.v1.EventService").await != ServingStatus::NotServing
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "health never noticed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        health(gateway.clone(), "readiness").await,
        ServingStatus::Serving
    );
    assert_eq!(health(gateway.clone(), "").await, ServingStatus::NotServing);
    // The other services keep answering.
    let mut catalog = jalia_proto::catalog::v1::catalog_service_client::CatalogServiceClient::new(
        gateway.clone(),
    );
    catalog
        .list_agencies(jalia_proto::catalog::v1::ListAgenciesRequest::default())
        .await
        .unwrap();

    // Restarted on its address, it heals without restarting the gateway.
    suite.suite.restart("events", address).await.unwrap();
    let started = Instant::now();
    loop {
        if events_client.list_events(list.clone()).await.is_ok() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "never healed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "restarted backend: answering again after {:?}",
        started.elapsed()
    );
    let started = Instant::now();
    while health(gateway.clone(), "jalia.events.v1.EventService").await != ServingStatus::Serving {
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_caller_over_its_rate_does_not_slow_another() {
    let suite = TestSuite::start(Some(|config: &mut jalia_gateway::Config| {
        config.rate = jalia_gateway::RateSettings {
            per_second: std::num::NonZeroU32::new(2).unwrap(),
            burst: std::num::NonZeroU32::new(5).unwrap(),
        };
    }))
    .await;
    let gateway = suite.gateway().await;
    let mut client = EventServiceClient::new(gateway);
    let noisy = suite.token("noisy-portal", "bm", &["events.read"]);
    let calm = suite.token("calm-desk", "bm", &["events.read"]);
    let list = || events::ListEventsRequest {
        parent: "agencies/bm".into(),
        ..Default::default()
    };
    let mut limited = None;
    for _ in 0..20 {
        if let Err(status) = client.list_events(with_token(list(), &noisy)).await {
            limited = Some(status);
            break;
        }
    }
    let limited = limited.expect("the noisy caller is limited");
    assert_eq!(limited.code(), Code::ResourceExhausted);
    use tonic_types::StatusExt;
    assert!(
        limited.get_details_retry_info().is_some(),
        "the refusal says when to retry"
    );
    client.list_events(with_token(list(), &calm)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_roster_stream_passes_through_the_gateway() {
    let suite = TestSuite::start(None).await;
    let gateway = suite.gateway().await;
    let mut client = EventServiceClient::new(gateway);
    let portal = suite.token("ministry-portal", "*", &["events.read", "events.write"]);
    let desk = suite.token("bm-desk", "bm", &["events.read", "events.write"]);
    let upcoming = client
        .list_events(events::ListEventsRequest {
            parent: "agencies/-".into(),
            kind: events::EventKind::NationalDay as i32,
            status: events::EventStatus::Published as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let national_day = &upcoming.events[0];
    for index in 0..3 {
        client
            .register_attendee(with_token(
                events::RegisterAttendeeRequest {
                    parent: national_day.name.clone(),
                    registration: Some(events::Registration {
                        attendee: Some(events::Attendee {
                            display_name: format!("Participant {index}"),
                            email: format!("participant{index}@example.org"),
                            residence_region_code: "ES".into(),
                            diaspora: true,
                            ..Default::default()
                        }),
                        consent: Some(events::Consent {
                            text_version: "2025-07".into(),
                            consent_time: None,
                        }),
                        ..Default::default()
                    }),
                    request_id: uuid::Uuid::new_v4().to_string(),
                },
                &portal,
            ))
            .await
            .unwrap();
    }
    let mut stream = client
        .export_roster(with_token(
            events::ExportRosterRequest {
                parent: national_day.name.clone(),
                ..Default::default()
            },
            &desk,
        ))
        .await
        .unwrap()
        .into_inner();
    let mut count = 0;
    while let Some(batch) = stream.message().await.unwrap() {
        count += batch.registrations.len();
    }
    assert_eq!(count, 3);
    let _ = channel;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_diaspora_citizen_registers_asks_and_reads_the_answer() {
    use jalia_proto::catalog::v1 as catalog;
    use jalia_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
    use jalia_proto::inquiries::v1 as inquiries;
    use jalia_proto::inquiries::v1::inquiry_service_client::InquiryServiceClient;

    let suite = TestSuite::start(None).await;
    let gateway = suite.gateway().await;
    let mut events_client = EventServiceClient::new(gateway.clone());
    let mut catalog_client = CatalogServiceClient::new(gateway.clone());
    let mut inquiries_client = InquiryServiceClient::new(gateway.clone());

    // A ministry portal lists the published national day and registers a citizen of the
    // diaspora.
    let portal = suite.token("ministry-portal", "*", &["events.read", "events.write"]);
    let upcoming = events_client
        .list_events(with_token(
            events::ListEventsRequest {
                parent: "agencies/-".into(),
                kind: events::EventKind::NationalDay as i32,
                status: events::EventStatus::Published as i32,
                language_code: "fr".into(),
                ..Default::default()
            },
            &portal,
        ))
        .await
        .unwrap()
        .into_inner();
    let national_day = upcoming
        .events
        .first()
        .expect("the next national day is published")
        .clone();
    let registration = events_client
        .register_attendee(with_token(
            events::RegisterAttendeeRequest {
                parent: national_day.name.clone(),
                registration: Some(events::Registration {
                    attendee: Some(events::Attendee {
                        display_name: "Citoyenne résidant en Belgique".into(),
                        email: "citoyenne.mre@example.be".into(),
                        phone: "+32 470 12 34 56".into(),
                        residence_region_code: "BE".into(),
                        language_code: "fr".into(),
                        diaspora: true,
                    }),
                    consent: Some(events::Consent {
                        text_version: "2025-07".into(),
                        consent_time: None,
                    }),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
            &portal,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        registration.status,
        events::RegistrationStatus::Confirmed as i32
    );

    // At the desk she asks about the direct housing support programme, found in the
    // catalog the way a French reader types it.
    let found = catalog_client
        .search_public_services(catalog::SearchPublicServicesRequest {
            parent: "agencies/-".into(),
            query: "aide logement".into(),
            language_code: "fr".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let housing = found
        .results
        .iter()
        .map(|result| result.public_service.clone().unwrap())
        .find(|service| {
            service
                .display_name
                .as_ref()
                .and_then(|name| name.resolved.as_ref())
                .is_some_and(|name| name.text.contains("aide directe au logement"))
        })
        .expect("the housing programme is found");
    let target = catalog_client
        .get_processing_target(catalog::GetProcessingTargetRequest {
            name: housing.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let target_days = target.processing_time.unwrap().seconds / 86_400;

    let desk = suite.token("bm-desk", "bm", &["inquiries.submit", "inquiries.read"]);
    let categories = inquiries_client
        .list_inquiry_categories(with_token(
            inquiries::ListInquiryCategoriesRequest {
                parent: "agencies/bm".into(),
                ..Default::default()
            },
            &desk,
        ))
        .await
        .unwrap()
        .into_inner();
    let category = categories.inquiry_categories.first().unwrap().name.clone();
    let submitted = inquiries_client
        .submit_inquiry(with_token(
            inquiries::SubmitInquiryRequest {
                parent: "agencies/bm".into(),
                inquiry: Some(inquiries::Inquiry {
                    requester: Some(inquiries::Requester {
                        display_name: "Citoyenne résidant en Belgique".into(),
                        email: "citoyenne.mre@example.be".into(),
                        country_of_residence: "BE".into(),
                        preferred_language_code: "fr".into(),
                        diaspora: true,
                        ..Default::default()
                    }),
                    channel: inquiries::InquiryChannel::EventDesk as i32,
                    category,
                    service: housing.name.clone(),
                    event: national_day.name.clone(),
                    subject: "Aide directe au logement".into(),
                    body: "Puis-je bénéficier de l'aide pour un appartement à Béni Mellal en résidant à l'étranger ?".into(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
                attachments: Vec::new(),
            },
            &desk,
        ))
        .await
        .unwrap()
        .into_inner();
    let inquiry = submitted.inquiry.unwrap();
    assert!(
        inquiry.reference.starts_with("BM-"),
        "{}",
        inquiry.reference
    );

    // Its due date comes from the real catalog's processing time, in calendar days in
    // Morocco's zone.
    assert!(!inquiry.due_date_pending);
    assert_eq!(
        inquiry.due_date_source,
        inquiries::DueDateSource::CatalogProcessingTime as i32
    );
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Africa/Casablanca").unwrap())
        .date();
    let expected = today
        .checked_add(jiff::Span::new().days(target_days))
        .unwrap();
    assert_eq!(inquiry.due_date.unwrap().date, expected.to_string());

    // An agent answers.
    let agent = suite.token("bm-agent", "bm", &["inquiries.read", "inquiries.handle"]);
    inquiries_client
        .add_inquiry_message(with_token(
            inquiries::AddInquiryMessageRequest {
                parent: inquiry.name.clone(),
                inquiry_message: Some(inquiries::InquiryMessage {
                    visibility: inquiries::MessageVisibility::InternalNote as i32,
                    body: "Vérifier la condition de première acquisition.".into(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
                attachments: Vec::new(),
            },
            &agent,
        ))
        .await
        .unwrap();
    inquiries_client
        .add_inquiry_message(with_token(
            inquiries::AddInquiryMessageRequest {
                parent: inquiry.name.clone(),
                inquiry_message: Some(inquiries::InquiryMessage {
                    visibility: inquiries::MessageVisibility::PublicReply as i32,
                    body: "Oui : l'aide est ouverte aux Marocains du monde qui ne possèdent pas de logement au Maroc.".into(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
                attachments: Vec::new(),
            },
            &agent,
        ))
        .await
        .unwrap();
    let current = inquiries_client
        .get_inquiry(with_token(
            inquiries::GetInquiryRequest {
                name: inquiry.name.clone(),
                ..Default::default()
            },
            &agent,
        ))
        .await
        .unwrap()
        .into_inner();
    inquiries_client
        .transition_inquiry(with_token(
            inquiries::TransitionInquiryRequest {
                name: inquiry.name.clone(),
                etag: current.etag.clone(),
                status: inquiries::InquiryStatus::Answered as i32,
                note: String::new(),
                referral: None,
            },
            &agent,
        ))
        .await
        .unwrap();

    // The citizen reads the answer with her reference and tracking code, without a token
    // and from any portal; internal notes never show.
    let lookup = inquiries_client
        .lookup_inquiry(inquiries::LookupInquiryRequest {
            reference: inquiry.reference.clone(),
            tracking_code: submitted.tracking_code.clone(),
            language_code: "fr".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(lookup.status, inquiries::InquiryStatus::Answered as i32);
    assert_eq!(lookup.replies.len(), 1);
    assert!(lookup.replies[0].body.starts_with("Oui"));
    let wrong = inquiries_client
        .lookup_inquiry(inquiries::LookupInquiryRequest {
            reference: inquiry.reference.clone(),
            tracking_code: "WRONGCODE0000000".into(),
            language_code: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::NotFound);
}
