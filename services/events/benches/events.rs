//! GetEvent and RegisterAttendee throughput and latency, on SQLite and (when
//! JALIA_TEST_POSTGRES_URL is set) PostgreSQL, each beside a bare tonic + sea-orm point
//! read and insert measured in the same run on the same database, so the figures are
//! ratios that survive this shared machine's drift. Both paths are warmed up and the
//! database analysed first, so PostgreSQL plans as on a database in service.
//!
//! Run: `cargo bench -p jalia-events --bench events` (release). CI only compiles it.
//! `JALIA_BENCH_ONLY=get_event` measures only GetEvent and its bare read,
//! `JALIA_BENCH_ONLY=register` only the registrations and the bare insert (for iterating
//! and profiling one path).
// Statistics over sample counts and durations: float casts are how percentiles and
// rates are computed, and the counts stay far below where f64 rounds.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark fails loudly
#![allow(clippy::print_stdout, clippy::print_stderr)] // and reports on stdout

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use jalia_db::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use jalia_db::testing::TestDatabase;
use jalia_events::{Application, Config};
use jalia_proto::events::v1 as pb;
use jalia_proto::events::v1::event_service_client::EventServiceClient;
use jalia_runtime::auth::{DevTokenIssuer, TokenClaims};
use jalia_runtime::{Shutdown, system_clock};
use tonic::codegen::http;
use tonic::server::NamedService;
use tonic::transport::{Channel, Endpoint};

const IN_FLIGHT: usize = 16;
const CALLS: usize = 4_000;
/// How many events the spread registrations go to.
const SPREAD_EVENTS: usize = 100;
/// Registrations made before any series, on an event of their own.
const WARM_UP_REGISTRATIONS: usize = 1_000;

/// Latencies of one measured series.
struct Series {
    name: &'static str,
    throughput: f64,
    p50: Duration,
    p99: Duration,
}

async fn measure<F, Fut>(name: &'static str, calls: usize, call: F) -> Series
where
    F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..IN_FLIGHT {
        let next = next.clone();
        let call = call.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= calls {
                    return latencies;
                }
                let begun = Instant::now();
                call(index).await;
                latencies.push(begun.elapsed());
            }
        }));
    }
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Series {
        name,
        throughput: calls as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

/// The bare baseline: a tonic server with one read and one insert, straight to sea-orm.
#[derive(Clone)]
struct Bare {
    db: DatabaseConnection,
}

impl NamedService for Bare {
    const NAME: &'static str = "bench.Bare";
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

#[derive(Clone)]
struct BareRead(DatabaseConnection);
#[derive(Clone)]
struct BareInsert(DatabaseConnection);

fn sql(db: &DatabaseConnection, query: &str, values: Vec<jalia_db::sea_orm::Value>) -> Statement {
    let backend = db.get_database_backend();
    let query = if backend == jalia_db::sea_orm::DbBackend::Postgres {
        query.replacen('?', "$1", 1).replacen('?', "$2", 1)
    } else {
        query.to_owned()
    };
    Statement::from_sql_and_values(backend, query, values)
}

impl tonic::server::UnaryService<pb::GetEventRequest> for BareRead {
    type Response = pb::Event;
    type Future = BoxFuture<Result<tonic::Response<pb::Event>, tonic::Status>>;

    fn call(&mut self, request: tonic::Request<pb::GetEventRequest>) -> Self::Future {
        let db = self.0.clone();
        Box::pin(async move {
            let id = uuid::Uuid::parse_str(&request.into_inner().name).unwrap();
            let row = db
                .query_one_raw(sql(
                    &db,
                    "SELECT payload FROM bench_rows WHERE id = ?",
                    vec![id.into()],
                ))
                .await
                .map_err(|e| tonic::Status::internal(e.to_string()))?
                .unwrap();
            let payload: String = row.try_get("", "payload").unwrap();
            Ok(tonic::Response::new(pb::Event {
                name: payload,
                ..Default::default()
            }))
        })
    }
}

impl tonic::server::UnaryService<pb::GetEventRequest> for BareInsert {
    type Response = pb::Event;
    type Future = BoxFuture<Result<tonic::Response<pb::Event>, tonic::Status>>;

    fn call(&mut self, request: tonic::Request<pb::GetEventRequest>) -> Self::Future {
        let db = self.0.clone();
        Box::pin(async move {
            let payload = request.into_inner().name;
            db.execute_raw(sql(
                &db,
                "INSERT INTO bench_rows (id, payload) VALUES (?, ?)",
                vec![uuid::Uuid::now_v7().into(), payload.clone().into()],
            ))
            .await
            .map_err(|e| tonic::Status::internal(e.to_string()))?;
            Ok(tonic::Response::new(pb::Event {
                name: payload,
                ..Default::default()
            }))
        })
    }
}

impl tower::Service<http::Request<tonic::body::Body>> for Bare {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let db = self.db.clone();
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default());
            let response = match request.uri().path() {
                "/bench.Bare/Read" => grpc.unary(BareRead(db), request).await,
                _ => grpc.unary(BareInsert(db), request).await,
            };
            Ok(response)
        })
    }
}

async fn serve_bare(db: DatabaseConnection) -> SocketAddr {
    db.execute_unprepared(
        "CREATE TABLE IF NOT EXISTS bench_rows (id uuid PRIMARY KEY, payload text NOT NULL)",
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_routes(tonic::service::Routes::new(Bare { db }))
            .serve_with_incoming(no_delay(listener)),
    );
    addr
}

async fn bare_call(channel: Channel, path: &'static str, name: String) {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let _: tonic::Response<pb::Event> = grpc
        .unary(
            tonic::Request::new(pb::GetEventRequest {
                name,
                language_code: String::new(),
            }),
            http::uri::PathAndQuery::from_static(path),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .unwrap();
}

fn with_token<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// Measures one backend; returns its `ratio` lines' names (suffixed with `key`) and values.
async fn run(label: &str, key: &str, database: TestDatabase) -> Vec<(String, f64)> {
    let dir = tempfile::tempdir().unwrap();
    let url = database.config().url().to_owned();
    let config = Config::development(dir.path(), &url);
    jalia_events::migrate(&config.storage).await.unwrap();
    let auth = config.server.auth.clone();
    let app = Application::build(config, system_clock()).await.unwrap();
    let addr = app.local_addr();
    let (_trigger, shutdown) = Shutdown::manual();
    tokio::spawn(app.run(shutdown));
    let token = DevTokenIssuer::from_config(&auth)
        .unwrap()
        .mint(&TokenClaims::new(
            &auth,
            "bench",
            "bm",
            &["events.read", "events.write"],
            jiff::Timestamp::now(),
            Duration::from_secs(3600),
        ))
        .unwrap();
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = EventServiceClient::new(channel.clone());
    let token = Arc::new(token);
    let mut event = pb::Event {
        kind: pb::EventKind::NationalDay as i32,
        title: Some(jalia_proto::r#type::v1::LocalizedText {
            entries: vec![jalia_proto::r#type::v1::LocalizedString {
                language_code: "fr".into(),
                text: "Journée nationale".into(),
            }],
            resolved: None,
        }),
        start: Some(jalia_proto::r#type::v1::ZonedDateTime {
            local_date_time: "2027-08-10T10:00".into(),
            time_zone: "Africa/Casablanca".into(),
            ..Default::default()
        }),
        end: Some(jalia_proto::r#type::v1::ZonedDateTime {
            local_date_time: "2027-08-10T13:00".into(),
            time_zone: "Africa/Casablanca".into(),
            ..Default::default()
        }),
        attendance_mode: pb::AttendanceMode::Online as i32,
        online_access: Some(pb::OnlineAccess {
            url: "https://visio.example.ma/jnmre".into(),
            private: false,
        }),
        audiences: vec![jalia_proto::r#type::v1::Audience::Diaspora as i32],
        ..Default::default()
    };
    event.registration_settings = Some(pb::RegistrationSettings {
        enabled: true,
        capacity: 1_000_000,
        waitlist_enabled: true,
        ..Default::default()
    });
    // The first event takes GetEvent and the one-event registrations; all of them take
    // the spread registrations; one more takes the warm-up's.
    let mut events = Vec::new();
    for _ in 0..=SPREAD_EVENTS {
        let created = client
            .create_event(with_token(
                pb::CreateEventRequest {
                    parent: "agencies/bm".into(),
                    event: Some(event.clone()),
                    request_id: String::new(),
                },
                &token,
            ))
            .await
            .unwrap()
            .into_inner();
        let published = client
            .publish_event(with_token(
                pb::PublishEventRequest {
                    name: created.name.clone(),
                    etag: created.etag.clone(),
                },
                &token,
            ))
            .await
            .unwrap()
            .into_inner();
        events.push(published.name);
    }
    let warm_up_event = events.pop().unwrap();
    let published = pb::Event {
        name: events[0].clone(),
        ..Default::default()
    };
    let events = Arc::new(events);

    let bare_addr = serve_bare(database.db().connection().clone()).await;
    let bare = Endpoint::from_shared(format!("http://{bare_addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let seed = uuid::Uuid::now_v7();
    database
        .db()
        .connection()
        .execute_raw(sql(
            database.db().connection(),
            "INSERT INTO bench_rows (id, payload) VALUES (?, ?)",
            vec![seed.into(), "seed".into()],
        ))
        .await
        .unwrap();

    // Every series starts from the same file, however the build checkpoints: the
    // setup's writes in the database file and the log empty.
    if database.db().backend() == jalia_db::Backend::Sqlite {
        database
            .db()
            .connection()
            .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .unwrap();
    }

    // Warm both paths up.
    for _ in 0..200 {
        bare_call(bare.clone(), "/bench.Bare/Read", seed.to_string()).await;
        client
            .get_event(pb::GetEventRequest {
                name: published.name.clone(),
                language_code: String::new(),
            })
            .await
            .unwrap();
    }

    let only = std::env::var("JALIA_BENCH_ONLY").ok();
    if only.as_deref() != Some("get_event") {
        for i in 0..200 {
            bare_call(bare.clone(), "/bench.Bare/Insert", format!("warm-up {i}")).await;
        }
        let warm_up = Arc::new(vec![warm_up_event]);
        register(
            &client,
            &token,
            "warm-up",
            warm_up,
            WARM_UP_REGISTRATIONS,
            2 * CALLS,
        )
        .await;
    }
    // Measured as in a database in service, whose statistics autovacuum keeps.
    database.analyze().await.unwrap();
    let mut results = Vec::new();
    // (the ratio's name, our series, the bare series it is held against)
    let mut pairs: Vec<(String, String, usize, usize)> = Vec::new();
    if only.as_deref() != Some("register") {
        let channel_read = bare.clone();
        results.push(
            measure("bare read", CALLS, move |_| {
                bare_call(channel_read.clone(), "/bench.Bare/Read", seed.to_string())
            })
            .await,
        );
        let get_client = client.clone();
        let name = published.name.clone();
        results.push(
            measure("GetEvent", CALLS, move |_| {
                let mut client = get_client.clone();
                let name = name.clone();
                async move {
                    client
                        .get_event(pb::GetEventRequest {
                            name,
                            language_code: "fr".into(),
                        })
                        .await
                        .unwrap();
                }
            })
            .await,
        );
        let bare_read = results.len() - 2;
        pairs.push((
            format!("get_event_{key}"),
            "GetEvent / bare read".to_owned(),
            bare_read + 1,
            bare_read,
        ));
    }
    if only.as_deref() != Some("get_event") {
        let channel_insert = bare.clone();
        results.push(
            measure("bare insert", CALLS, move |i| {
                bare_call(
                    channel_insert.clone(),
                    "/bench.Bare/Insert",
                    format!("row {i}"),
                )
            })
            .await,
        );
        let bare_insert = results.len() - 1;
        let one_event = Arc::new(vec![published.name.clone()]);
        results.push(register(&client, &token, "RegisterAttendee", one_event, CALLS, 0).await);
        results.push(register(&client, &token, "Register (spread)", events, CALLS, CALLS).await);
        pairs.push((
            format!("register_{key}"),
            "RegisterAttendee / bare insert".to_owned(),
            bare_insert + 1,
            bare_insert,
        ));
        pairs.push((
            format!("register_spread_{key}"),
            format!("Register spread over {SPREAD_EVENTS} events / bare insert"),
            bare_insert + 2,
            bare_insert,
        ));
    }

    print_series(label, &results);
    pairs
        .into_iter()
        .map(|(name, what, ours, bare)| {
            let (ours, bare) = (&results[ours], &results[bare]);
            let throughput = ours.throughput / bare.throughput;
            println!(
                "{what:<46} throughput x{throughput:.2}, p50 x{:.2}, p99 x{:.2}",
                ours.p50.as_secs_f64() / bare.p50.as_secs_f64(),
                ours.p99.as_secs_f64() / bare.p99.as_secs_f64(),
            );
            (name, throughput)
        })
        .collect()
}

fn print_series(label: &str, results: &[Series]) {
    println!("\n{label}: {CALLS} calls, {IN_FLIGHT} in flight");
    println!(
        "{:<18} {:>10} {:>10} {:>10}",
        "series", "calls/s", "p50", "p99"
    );
    for series in results {
        println!(
            "{:<18} {:>10.0} {:>10.2?} {:>10.2?}",
            series.name, series.throughput, series.p50, series.p99
        );
    }
}

/// Measures `calls` RegisterAttendee calls, call `i` to event `i % events.len()`; `first`
/// keeps the people of two series apart.
async fn register(
    client: &EventServiceClient<Channel>,
    token: &Arc<String>,
    name: &'static str,
    events: Arc<Vec<String>>,
    calls: usize,
    first: usize,
) -> Series {
    let client = client.clone();
    let token = token.clone();
    measure(name, calls, move |i| {
        let mut client = client.clone();
        let token = token.clone();
        let parent = events[i % events.len()].clone();
        let i = first + i;
        async move {
            client
                .register_attendee(with_token(
                    pb::RegisterAttendeeRequest {
                        parent,
                        registration: Some(pb::Registration {
                            attendee: Some(pb::Attendee {
                                display_name: format!("P{i}"),
                                email: format!("p{i}@example.org"),
                                ..Default::default()
                            }),
                            ..Default::default()
                        }),
                        request_id: uuid::Uuid::new_v4().to_string(),
                    },
                    &token,
                ))
                .await
                .unwrap();
        }
    })
    .await
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let ratios = runtime.block_on(async {
        let mut ratios = run(
            "SQLite (temp file, WAL)",
            "sqlite",
            TestDatabase::sqlite_file(4).await.unwrap(),
        )
        .await;
        match std::env::var(jalia_db::testing::POSTGRES_URL_ENV)
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(url) => ratios.extend(
                run(
                    "PostgreSQL",
                    "postgres",
                    TestDatabase::postgres(&url).await.unwrap(),
                )
                .await,
            ),
            None => println!("\nPostgreSQL: set JALIA_TEST_POSTGRES_URL to measure it too"),
        }
        ratios
    });
    // Last, for scripts (docs/performance.md): throughput against the bare stack.
    for (name, value) in ratios {
        println!("ratio {name} {value:.2}");
    }
}

/// Accepted connections with TCP_NODELAY, as jalia-runtime's servers set it: without it the
/// baseline's small responses wait on Nagle's algorithm and delayed ACKs (~40 ms tails).
fn no_delay(
    listener: tokio::net::TcpListener,
) -> impl tokio_stream::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    use tokio_stream::StreamExt;
    tokio_stream::wrappers::TcpListenerStream::new(listener).map(|accepted| {
        let stream = accepted?;
        stream.set_nodelay(true)?;
        Ok(stream)
    })
}
