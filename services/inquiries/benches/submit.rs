//! Submission throughput and latency on SQLite and (when JALIA_TEST_POSTGRES_URL is set)
//! PostgreSQL, beside a bare tonic + sea-orm insert measured in the same run on the same
//! database; then the latency of ListInquiries' first and 1,000th page over 100,000
//! inquiries (keyset pagination: they should match). The service is warmed up and the
//! database analysed before its series, so PostgreSQL plans as on a database in service.
//!
//! Run by hand: `cargo bench -p jalia-inquiries --bench submit`. Absolute figures drift
//! on a shared machine, so read the ratios. `JALIA_BENCH_SUBMISSIONS` (default 2,000)
//! and `JALIA_BENCH_LIST_SIZE` (default 100,000) scale the run.
// Statistics over sample counts and durations: float casts are how percentiles and
// rates are computed, and the counts stay far below where f64 rounds.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jalia_db::sea_orm::{ConnectionTrait, DbBackend, Statement};
use jalia_db::testing::{POSTGRES_URL_ENV, TestDatabase};
use jalia_db::{Backend, Db};
use jalia_inquiries::{Application, Config};
use jalia_proto::inquiries::v1 as wire;
use jalia_proto::inquiries::v1::inquiry_service_client::InquiryServiceClient;
use jalia_proto::inquiries::v1::inquiry_service_server::{InquiryService, InquiryServiceServer};
use jalia_runtime::auth::{DevTokenIssuer, TokenClaims};
use jalia_runtime::{Shutdown, ShutdownTrigger};
use tonic::transport::Channel;
use tonic::{Request, Response, Status};
use uuid::Uuid;

const CONCURRENCY: usize = 16;
const PAGE_SIZE: i32 = 50;
const DEEP_PAGE: usize = 1_000;
const LIST_SAMPLES: usize = 200;
/// Submissions made before the service's series.
const WARM_UP: usize = 1_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let submissions = env_number("JALIA_BENCH_SUBMISSIONS", 2_000);
    let list_size = env_number("JALIA_BENCH_LIST_SIZE", 100_000);
    println!(
        "{:<10} {:<34} {:>7} {:>10} {:>9} {:>9}",
        "backend", "measure", "calls", "calls/s", "p50 ms", "p99 ms"
    );
    let ratios = runtime.block_on(async {
        let sqlite = TestDatabase::sqlite_file(jalia_db::testing::SQLITE_TEST_POOL)
            .await
            .unwrap();
        let mut ratios = run("sqlite", sqlite, submissions, list_size).await;
        match std::env::var(POSTGRES_URL_ENV)
            .ok()
            .filter(|url| !url.trim().is_empty())
        {
            Some(url) => {
                let postgres = TestDatabase::postgres(&url).await.unwrap();
                ratios.extend(run("postgres", postgres, submissions, list_size).await);
            }
            None => println!("postgres   skipped: set {POSTGRES_URL_ENV} to measure it"),
        }
        ratios
    });
    // Last, for scripts (docs/performance.md): throughput against the bare insert.
    for (name, value) in ratios {
        println!("ratio {name} {value:.2}");
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Measures one backend; returns its `ratio` lines' names (suffixed with `label`) and values.
async fn run(
    label: &str,
    database: TestDatabase,
    submissions: usize,
    list_size: usize,
) -> Vec<(String, f64)> {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::development(dir.path(), database.config().url());
    jalia_inquiries::migrate(&config.storage).await.unwrap();

    // The baseline: tonic and one sea-orm insert per call, nothing else.
    let bare = BareServer::start(database.connect_again().await).await;
    let bare_client = client(bare.addr, None).await;
    let request = |_: usize| submission("agencies/bm/inquiryCategories/-");
    measure_submissions(&bare_client, CONCURRENCY, 100, &request).await;
    let baseline = measure_submissions(&bare_client, CONCURRENCY, submissions, &request).await;
    report(label, "bare tonic + sea-orm insert", &baseline);
    bare.stop().await;

    // The service: the gate, validation, the idempotency claim, the reference counter,
    // the inquiry and its first history entry, in one transaction.
    let app = Application::build(config.clone(), jalia_runtime::system_clock())
        .await
        .unwrap();
    let addr = app.local_addr();
    let (trigger, shutdown) = Shutdown::manual();
    let served = tokio::spawn(app.run(shutdown));
    let issuer = DevTokenIssuer::from_config(&config.server.auth).unwrap();
    let token = issuer
        .mint(&TokenClaims::new(
            &config.server.auth,
            "bench-desk",
            "bm",
            &["inquiries.submit", "inquiries.read", "inquiries.handle"],
            jiff::Timestamp::now(),
            Duration::from_secs(24 * 3600),
        ))
        .unwrap();
    let api = client(addr, Some(token)).await;
    let category = api
        .call(
            |mut client, request| async move { client.create_inquiry_category(request).await },
            wire::CreateInquiryCategoryRequest {
                parent: "agencies/bm".to_owned(),
                inquiry_category: Some(wire::InquiryCategory {
                    display_name: Some(jalia_proto::r#type::v1::LocalizedText {
                        entries: vec![jalia_proto::r#type::v1::LocalizedString {
                            language_code: "fr".to_owned(),
                            text: "Permis de construire".to_owned(),
                        }],
                        resolved: None,
                    }),
                    default_response_days: 15,
                    ..Default::default()
                }),
                request_id: Uuid::new_v4().to_string(),
            },
        )
        .await
        .unwrap()
        .name;
    let request = |_: usize| submission(&category);
    measure_submissions(&api, CONCURRENCY, WARM_UP, &request).await;
    // Measured as in a database in service, whose statistics autovacuum keeps.
    database.analyze().await.unwrap();
    let service = measure_submissions(&api, CONCURRENCY, submissions, &request).await;
    report(label, "SubmitInquiry", &service);
    let submit = service.per_second() / baseline.per_second();
    println!(
        "{:<10} {:<34} throughput {:.2}x the baseline, p99 {:.2}x",
        label,
        "SubmitInquiry / bare insert",
        submit,
        service.percentile(0.99).as_secs_f64() / baseline.percentile(0.99).as_secs_f64(),
    );

    // Fill up to `list_size` inquiries, then time the first and a deep page.
    let seeded = WARM_UP + submissions;
    if list_size > seeded {
        let started = Instant::now();
        let seeding = measure_submissions(&api, 32, list_size - seeded, &request).await;
        eprintln!(
            "{label}: seeded {} inquiries in {:.1}s ({:.0}/s)",
            list_size - seeded,
            started.elapsed().as_secs_f64(),
            seeding.per_second()
        );
    }
    let list = |page_token: String| wire::ListInquiriesRequest {
        parent: "agencies/bm".to_owned(),
        page_size: PAGE_SIZE,
        page_token,
        ..Default::default()
    };
    let mut token = String::new();
    let deep_page = DEEP_PAGE.min(list_size / usize::try_from(PAGE_SIZE).unwrap());
    for _ in 1..deep_page {
        token = api
            .call(
                |mut client, request| async move { client.list_inquiries(request).await },
                list(token),
            )
            .await
            .unwrap()
            .next_page_token;
    }
    for (what, page_token) in [
        ("ListInquiries page 1".to_owned(), String::new()),
        (format!("ListInquiries page {deep_page}"), token),
    ] {
        let mut latencies = Latencies::default();
        for sample in 0..LIST_SAMPLES + 20 {
            let started = Instant::now();
            let page = api
                .call(
                    |mut client, request| async move { client.list_inquiries(request).await },
                    list(page_token.clone()),
                )
                .await
                .unwrap();
            assert_eq!(page.inquiries.len(), usize::try_from(PAGE_SIZE).unwrap());
            if sample >= 20 {
                latencies.record(started.elapsed());
            }
        }
        latencies.finish();
        report(label, &format!("{what} of {list_size}"), &latencies);
    }

    trigger.trigger();
    served.await.unwrap().unwrap();
    vec![(format!("submit_{label}"), submit)]
}

fn submission(category: &str) -> wire::SubmitInquiryRequest {
    wire::SubmitInquiryRequest {
        parent: "agencies/bm".to_owned(),
        inquiry: Some(wire::Inquiry {
            requester: Some(wire::Requester {
                display_name: "Citoyen Fictif".to_owned(),
                email: "citoyen.fictif@example.org".to_owned(),
                phone: "+33 6 12 34 56 78".to_owned(),
                country_of_residence: "FR".to_owned(),
                preferred_language_code: "fr".to_owned(),
                diaspora: true,
            }),
            channel: wire::InquiryChannel::WebPortal as i32,
            category: category.to_owned(),
            subject: "Permis de construire depuis l'étranger".to_owned(),
            body: "Comment déposer une demande de permis de construire sur Rokhas ?".to_owned(),
            ..Default::default()
        }),
        request_id: Uuid::new_v4().to_string(),
        attachments: Vec::new(),
    }
}

/// The generated client, with a token on every call when given one.
#[derive(Clone)]
struct Api {
    client: InquiryServiceClient<Channel>,
    token: Option<String>,
}

impl Api {
    async fn call<T, R, F, Fut>(&self, send: F, message: T) -> Result<R, Status>
    where
        F: FnOnce(InquiryServiceClient<Channel>, Request<T>) -> Fut,
        Fut: std::future::Future<Output = Result<Response<R>, Status>>,
    {
        let mut request = Request::new(message);
        if let Some(token) = &self.token {
            request
                .metadata_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        send(self.client.clone(), request)
            .await
            .map(Response::into_inner)
    }
}

async fn client(addr: SocketAddr, token: Option<String>) -> Api {
    Api {
        client: InquiryServiceClient::connect(format!("http://{addr}"))
            .await
            .unwrap(),
        token,
    }
}

/// Latencies of one measure, and its wall time.
#[derive(Default)]
struct Latencies {
    samples: Vec<Duration>,
    wall: Duration,
}

impl Latencies {
    fn record(&mut self, latency: Duration) {
        self.samples.push(latency);
    }

    fn finish(&mut self) {
        self.wall = self.samples.iter().sum();
        self.samples.sort_unstable();
    }

    fn percentile(&self, share: f64) -> Duration {
        let index = ((self.samples.len() as f64 * share).ceil() as usize)
            .saturating_sub(1)
            .min(self.samples.len().saturating_sub(1));
        self.samples.get(index).copied().unwrap_or_default()
    }

    fn per_second(&self) -> f64 {
        self.samples.len() as f64 / self.wall.as_secs_f64().max(f64::EPSILON)
    }
}

async fn measure_submissions(
    api: &Api,
    concurrency: usize,
    total: usize,
    request: &(dyn Fn(usize) -> wire::SubmitInquiryRequest + Sync),
) -> Latencies {
    let per_worker = total.div_ceil(concurrency);
    let requests: Vec<Vec<wire::SubmitInquiryRequest>> = (0..concurrency)
        .map(|worker| {
            (0..per_worker)
                .map(|index| worker * per_worker + index)
                .filter(|index| *index < total)
                .map(request)
                .collect()
        })
        .collect();
    let started = Instant::now();
    let mut workers = Vec::new();
    for batch in requests {
        let api = api.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(batch.len());
            for message in batch {
                let sent = Instant::now();
                api.call(
                    |mut client, request| async move { client.submit_inquiry(request).await },
                    message,
                )
                .await
                .unwrap();
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut all = Latencies::default();
    for worker in workers {
        all.samples.extend(worker.await.unwrap());
    }
    all.samples.sort_unstable();
    all.wall = started.elapsed();
    all
}

fn report(backend: &str, what: &str, latencies: &Latencies) {
    println!(
        "{:<10} {:<34} {:>7} {:>10.0} {:>9.3} {:>9.3}",
        backend,
        what,
        latencies.samples.len(),
        latencies.per_second(),
        latencies.percentile(0.50).as_secs_f64() * 1e3,
        latencies.percentile(0.99).as_secs_f64() * 1e3,
    );
}

/// A bare tonic server whose SubmitInquiry inserts one row with sea-orm, and nothing
/// else: no gate, no validation, no transaction of its own.
struct BareServer {
    addr: SocketAddr,
    trigger: ShutdownTrigger,
    task: tokio::task::JoinHandle<()>,
}

impl BareServer {
    async fn start(db: Db) -> Self {
        db.connection()
            .execute_unprepared(
                "CREATE TABLE bench_bare_inquiries (id UUID PRIMARY KEY, agency TEXT NOT NULL, \
                 subject TEXT NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL)",
            )
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (trigger, shutdown) = Shutdown::manual();
        let bare = Bare { db: Arc::new(db) };
        let task = tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(InquiryServiceServer::new(bare))
                .serve_with_incoming_shutdown(no_delay(listener), shutdown.wait())
                .await
                .unwrap();
        });
        Self {
            addr,
            trigger,
            task,
        }
    }

    async fn stop(self) {
        self.trigger.trigger();
        self.task.await.unwrap();
    }
}

#[derive(Clone)]
struct Bare {
    db: Arc<Db>,
}

impl Bare {
    async fn insert(
        &self,
        request: Request<wire::SubmitInquiryRequest>,
    ) -> Result<Response<wire::SubmitInquiryResponse>, Status> {
        let request = request.into_inner();
        let inquiry = request.inquiry.unwrap_or_default();
        let id = Uuid::now_v7();
        let (sql, backend) = match self.db.backend() {
            Backend::Sqlite => (
                "INSERT INTO bench_bare_inquiries (id, agency, subject, body, created_at) \
                 VALUES (?, ?, ?, ?, ?)",
                DbBackend::Sqlite,
            ),
            Backend::Postgres => (
                "INSERT INTO bench_bare_inquiries (id, agency, subject, body, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
                DbBackend::Postgres,
            ),
        };
        self.db
            .connection()
            .execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [
                    id.into(),
                    "bm".into(),
                    inquiry.subject.into(),
                    inquiry.body.into(),
                    jiff::Timestamp::now().as_microsecond().into(),
                ],
            ))
            .await
            .map_err(|err| Status::internal(err.to_string()))?;
        Ok(Response::new(wire::SubmitInquiryResponse {
            inquiry: Some(wire::Inquiry {
                name: format!("agencies/bm/inquiries/{id}"),
                ..Default::default()
            }),
            tracking_code: String::new(),
        }))
    }
}

/// The service trait with SubmitInquiry answered and every other RPC UNIMPLEMENTED (the
/// macro writes the whole impl, so that `async_trait` sees every method).
macro_rules! bare_service {
    ($($method:ident($request:ty) -> $response:ty;)*) => {
        #[tonic::async_trait]
        impl InquiryService for Bare {
            async fn submit_inquiry(
                &self,
                request: Request<wire::SubmitInquiryRequest>,
            ) -> Result<Response<wire::SubmitInquiryResponse>, Status> {
                self.insert(request).await
            }

            type DownloadAttachmentStream = tokio_stream::Empty<Result<wire::DownloadAttachmentResponse, Status>>;
            type DownloadCitizenAttachmentStream =
                tokio_stream::Empty<Result<wire::DownloadCitizenAttachmentResponse, Status>>;

            async fn upload_citizen_attachment(
                &self,
                _request: Request<tonic::Streaming<wire::UploadCitizenAttachmentRequest>>,
            ) -> Result<Response<wire::Attachment>, Status> {
                Err(Status::unimplemented("the bare baseline only inserts"))
            }

            async fn upload_staff_attachment(
                &self,
                _request: Request<tonic::Streaming<wire::UploadStaffAttachmentRequest>>,
            ) -> Result<Response<wire::Attachment>, Status> {
                Err(Status::unimplemented("the bare baseline only inserts"))
            }

            async fn download_attachment(
                &self,
                _request: Request<wire::DownloadAttachmentRequest>,
            ) -> Result<Response<Self::DownloadAttachmentStream>, Status> {
                Err(Status::unimplemented("the bare baseline only inserts"))
            }

            async fn download_citizen_attachment(
                &self,
                _request: Request<wire::DownloadCitizenAttachmentRequest>,
            ) -> Result<Response<Self::DownloadCitizenAttachmentStream>, Status> {
                Err(Status::unimplemented("the bare baseline only inserts"))
            }

            type WatchChangesStream = tokio_stream::Empty<Result<wire::WatchChangesResponse, Status>>;

            async fn watch_changes(
                &self,
                _request: Request<wire::WatchChangesRequest>,
            ) -> Result<Response<Self::WatchChangesStream>, Status> {
                Err(Status::unimplemented("the bare baseline only inserts"))
            }

            $(
                async fn $method(
                    &self,
                    _request: Request<$request>,
                ) -> Result<Response<$response>, Status> {
                    Err(Status::unimplemented("the bare baseline only inserts"))
                }
            )*
        }
    };
}

bare_service! {
    lookup_inquiry(wire::LookupInquiryRequest) -> wire::LookupInquiryResponse;
    reply_to_inquiry(wire::ReplyToInquiryRequest) -> wire::ReplyToInquiryResponse;
    get_inquiry(wire::GetInquiryRequest) -> wire::Inquiry;
    list_inquiries(wire::ListInquiriesRequest) -> wire::ListInquiriesResponse;
    update_inquiry(wire::UpdateInquiryRequest) -> wire::Inquiry;
    assign_inquiry(wire::AssignInquiryRequest) -> wire::Inquiry;
    transition_inquiry(wire::TransitionInquiryRequest) -> wire::Inquiry;
    add_inquiry_message(wire::AddInquiryMessageRequest) -> wire::InquiryMessage;
    list_inquiry_messages(wire::ListInquiryMessagesRequest) -> wire::ListInquiryMessagesResponse;
    list_inquiry_categories(wire::ListInquiryCategoriesRequest) -> wire::ListInquiryCategoriesResponse;
    create_inquiry_category(wire::CreateInquiryCategoryRequest) -> wire::InquiryCategory;
    update_inquiry_category(wire::UpdateInquiryCategoryRequest) -> wire::InquiryCategory;
    get_inquiry_statistics(wire::GetInquiryStatisticsRequest) -> wire::GetInquiryStatisticsResponse;
    erase_personal_data(wire::ErasePersonalDataRequest) -> wire::ErasePersonalDataResponse;
    export_personal_data(wire::ExportPersonalDataRequest) -> wire::ExportPersonalDataResponse;
    get_public_inquiry_statistics(wire::GetPublicInquiryStatisticsRequest) -> wire::GetPublicInquiryStatisticsResponse;
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
