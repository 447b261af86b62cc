//! Search latency over 10,000 published services, through the gRPC API, on SQLite and
//! (when `JALIA_TEST_POSTGRES_URL` is set) PostgreSQL, beside two baselines measured in
//! the same run on the same database: GetCategory over the same server (tonic + sea-orm,
//! one point read by primary key) and the bare sea-orm point read without tonic.
//! Absolute figures drift on a shared machine; the ratios are what to compare.
//!
//! Run: `cargo bench -p jalia-catalog --bench search` (release build; a few minutes).
// Statistics over sample counts and durations: float casts are how percentiles and
// rates are computed, and the counts stay far below where f64 rounds.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark fails loudly
#![allow(clippy::print_stdout, clippy::print_stderr)] // and reports on stdout

use std::time::{Duration, Instant};

use jalia_catalog::{Application, Config, SearchIndexSize};
use jalia_db::sea_orm::{ConnectionTrait, DbBackend, Statement};
use jalia_db::testing::{POSTGRES_URL_ENV, TestDatabase};
use jalia_db::{Backend, Db};
use jalia_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use jalia_proto::catalog::v1::{
    Agency, AgencyKind, Category, Channel, ChannelKind, CreateAgencyRequest, CreateCategoryRequest,
    CreatePublicServiceRequest, GetCategoryRequest, PublicService, PublishPublicServiceRequest,
    SearchPublicServicesRequest,
};
use jalia_proto::r#type::v1::{Audience, LocalizedString, LocalizedText};
use jalia_runtime::{Shutdown, system_clock};
use jalia_testing::{DevTokens, authed};
use tonic::transport::{Channel as Transport, Endpoint};
use uuid::Uuid;

const SERVICES: usize = 10_000;
const SEED_TASKS: usize = 4;
const SEARCH_CALLS: usize = 2_000;
const POINT_READS: usize = 5_000;
const WARM_UP: usize = 200;

/// Words real service sheets use, in French and Arabic, and how they are typed.
const FRENCH: [&str; 24] = [
    "logement",
    "urbanisme",
    "construction",
    "permis",
    "autorisation",
    "note",
    "renseignements",
    "plan",
    "aménagement",
    "aide",
    "directe",
    "guichet",
    "diaspora",
    "parcelle",
    "titre",
    "foncier",
    "commune",
    "agence",
    "dossier",
    "plateforme",
    "rokhas",
    "habitat",
    "enquête",
    "publique",
];
const ARABIC: [&str; 20] = [
    "مذكرة",
    "المعلومات",
    "التعميرية",
    "رخصة",
    "البناء",
    "السكن",
    "الدعم",
    "المباشر",
    "تصميم",
    "التهيئة",
    "الوكالة",
    "الحضرية",
    "شباك",
    "مغاربة",
    "العالم",
    "القطعة",
    "الأرضية",
    "الملكية",
    "بحث",
    "علني",
];
const QUERIES: [&str; 10] = [
    "logement",
    "مذكرة المعلومات التعميرية",
    "permis construction",
    "تعمير",
    "Aménagement",
    "renseignements urbanisme",
    "رخصة",
    "guichet diaspora",
    "terme4711",
    "plan",
];

/// A small deterministic generator, so every run builds the same catalog.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(self.0 >> 33).unwrap()
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.next() % words.len()]
    }

    /// A rare synthetic word: 5,000 of them, so most match a handful of services.
    fn rare(&mut self) -> String {
        format!("terme{}", self.next() % 5_000)
    }

    fn french(&mut self, common: usize, rare: usize) -> String {
        let mut words: Vec<String> = (0..common).map(|_| self.pick(&FRENCH).to_owned()).collect();
        words.extend((0..rare).map(|_| self.rare()));
        words.join(" ")
    }

    fn arabic(&mut self, common: usize) -> String {
        (0..common)
            .map(|_| self.pick(&ARABIC))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn text(entries: &[(&str, &str)]) -> LocalizedText {
    LocalizedText {
        entries: entries
            .iter()
            .map(|(language, text)| LocalizedString {
                language_code: (*language).to_owned(),
                text: (*text).to_owned(),
            })
            .collect(),
        resolved: None,
    }
}

fn content(rng: &mut Lcg, category: &str) -> PublicService {
    PublicService {
        display_name: Some(text(&[("fr", &rng.french(3, 1)), ("ar", &rng.arabic(3))])),
        description: Some(text(&[
            ("fr", &rng.french(15, 10)),
            ("ar", &rng.arabic(15)),
        ])),
        keywords: (0..3)
            .map(|_| text(&[("fr", &rng.french(1, 0)), ("ar", &rng.arabic(1))]))
            .collect(),
        category: category.to_owned(),
        audiences: vec![Audience::Citizens as i32, Audience::Diaspora as i32],
        channels: vec![Channel {
            kind: ChannelKind::Online as i32,
            url: "https://www.rokhas.ma".to_owned(),
            ..Channel::default()
        }],
        ..PublicService::default()
    }
}

/// 10,000 published services written through the catalog's API (so tokens and
/// revisions are written as in production), from a few tasks at once. Gives the
/// category's id.
async fn seed(client: &CatalogServiceClient<Transport>, token: &str) -> Uuid {
    let mut client = client.clone();
    client
        .create_agency(authed(
            CreateAgencyRequest {
                agency: Some(Agency {
                    code: "bm".to_owned(),
                    display_name: Some(text(&[("fr", "Agence urbaine de Béni Mellal")])),
                    kind: AgencyKind::UrbanAgency as i32,
                    ..Agency::default()
                }),
                request_id: String::new(),
            },
            token,
        ))
        .await
        .unwrap();
    let category = client
        .create_category(authed(
            CreateCategoryRequest {
                category: Some(Category {
                    display_name: Some(text(&[("fr", "Urbanisme")])),
                    ..Category::default()
                }),
                request_id: String::new(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .name;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..SEED_TASKS {
        let mut client = client.clone();
        let (token, category) = (token.to_owned(), category.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = Lcg(task as u64 + 1);
            for _ in (task..SERVICES).step_by(SEED_TASKS) {
                let request = CreatePublicServiceRequest {
                    parent: "agencies/bm".to_owned(),
                    public_service: Some(content(&mut rng, &category)),
                    request_id: String::new(),
                };
                let draft = client
                    .create_public_service(authed(request, &token))
                    .await
                    .unwrap()
                    .into_inner();
                let publish = PublishPublicServiceRequest {
                    name: draft.name,
                    etag: draft.etag,
                };
                client
                    .publish_public_service(authed(publish, &token))
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    println!(
        "  seeded {SERVICES} published services in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    category
        .strip_prefix("categories/")
        .and_then(|id| id.parse().ok())
        .unwrap()
}

struct Latencies(Vec<Duration>);

impl Latencies {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort_unstable();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[index]
    }

    fn p50(&self) -> Duration {
        self.percentile(0.50)
    }

    fn p99(&self) -> Duration {
        self.percentile(0.99)
    }
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

async fn client(addr: std::net::SocketAddr) -> CatalogServiceClient<Transport> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    CatalogServiceClient::new(channel)
}

async fn measure_searches(
    client: &mut CatalogServiceClient<Transport>,
) -> (Latencies, Vec<(String, usize, Duration)>) {
    for index in 0..WARM_UP {
        search_once(client, QUERIES[index % QUERIES.len()]).await;
    }
    let mut all = Vec::with_capacity(SEARCH_CALLS);
    let mut by_query: Vec<Vec<Duration>> = vec![Vec::new(); QUERIES.len()];
    let mut hits = vec![0; QUERIES.len()];
    for index in 0..SEARCH_CALLS {
        let query = index % QUERIES.len();
        let started = Instant::now();
        let found = search_once(client, QUERIES[query]).await;
        let elapsed = started.elapsed();
        all.push(elapsed);
        by_query[query].push(elapsed);
        hits[query] = found;
    }
    let per_query = QUERIES
        .iter()
        .zip(by_query)
        .zip(hits)
        .map(|((query, latencies), hits)| ((*query).to_owned(), hits, Latencies(latencies).p50()))
        .collect();
    (Latencies(all), per_query)
}

async fn search_once(client: &mut CatalogServiceClient<Transport>, query: &str) -> usize {
    client
        .search_public_services(SearchPublicServicesRequest {
            parent: "agencies/-".to_owned(),
            query: query.to_owned(),
            page_size: 20,
            ..SearchPublicServicesRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .results
        .len()
}

async fn measure_get_category(
    client: &mut CatalogServiceClient<Transport>,
    category: Uuid,
) -> Latencies {
    let request = || GetCategoryRequest {
        name: format!("categories/{category}"),
        language_code: String::new(),
    };
    for _ in 0..WARM_UP {
        client.get_category(request()).await.unwrap();
    }
    let mut latencies = Vec::with_capacity(POINT_READS);
    for _ in 0..POINT_READS {
        let started = Instant::now();
        client.get_category(request()).await.unwrap();
        latencies.push(started.elapsed());
    }
    Latencies(latencies)
}

/// The same point read as GetCategory's, through sea-orm alone.
async fn measure_raw_read(db: &Db, category: Uuid) -> Latencies {
    let backend: DbBackend = db.backend().into();
    let sql = match db.backend() {
        Backend::Sqlite => "SELECT content FROM catalog_terms WHERE id = ? AND kind = ?",
        Backend::Postgres => "SELECT content FROM catalog_terms WHERE id = $1 AND kind = $2",
    };
    let statement =
        || Statement::from_sql_and_values(backend, sql, [category.into(), 1_i32.into()]);
    for _ in 0..WARM_UP {
        db.connection()
            .query_one_raw(statement())
            .await
            .unwrap()
            .unwrap();
    }
    let mut latencies = Vec::with_capacity(POINT_READS);
    for _ in 0..POINT_READS {
        let started = Instant::now();
        db.connection()
            .query_one_raw(statement())
            .await
            .unwrap()
            .unwrap();
        latencies.push(started.elapsed());
    }
    Latencies(latencies)
}

fn config_of(dir: &std::path::Path, database: &TestDatabase) -> Config {
    Config::development(dir, database.config().url())
}

/// A second replica over the filled database: how long from `run` until it answers a
/// search (its index is loaded before it serves), and its index's size then.
async fn start_replica(config: &Config) -> (Duration, SearchIndexSize) {
    let app = Application::build(config.clone(), system_clock())
        .await
        .unwrap();
    let addr = app.local_addr();
    let probe = app.search_index_probe();
    let (trigger, shutdown) = Shutdown::manual();
    let started = Instant::now();
    let server = tokio::spawn(app.run(shutdown));
    let mut client = client(addr).await;
    search_once(&mut client, QUERIES[0]).await;
    let elapsed = started.elapsed();
    let size = probe.size();
    trigger.trigger();
    server.await.unwrap().unwrap();
    (elapsed, size)
}

/// Measures one backend; returns its `ratio` lines' names (suffixed with `key`) and values.
async fn run_on(label: &str, key: &str, database: TestDatabase) -> Vec<(String, f64)> {
    println!("{label}:");
    let dir = tempfile::tempdir().unwrap();
    let config = config_of(dir.path(), &database);
    jalia_catalog::migrate(&config.storage).await.unwrap();
    let app = Application::build(config, system_clock()).await.unwrap();
    let addr = app.local_addr();
    let (trigger, shutdown) = Shutdown::manual();
    let server = tokio::spawn(app.run(shutdown));
    let mut client = client(addr).await;
    let token =
        DevTokens::for_data_dir(dir.path()).mint("bench", "*", &["catalog.read", "catalog.write"]);
    let category = seed(&client, &token).await;
    let db = database.db().clone();
    // Steady state: statistics gathered (and on PostgreSQL the visibility map set), as
    // autovacuum or a periodic optimize would leave a table that was filled long ago.
    let maintenance = match db.backend() {
        Backend::Sqlite => "ANALYZE",
        Backend::Postgres => "VACUUM ANALYZE",
    };
    db.connection()
        .execute_unprepared(maintenance)
        .await
        .unwrap();

    let (search, per_query) = measure_searches(&mut client).await;
    let get_category = measure_get_category(&mut client, category).await;
    let raw = measure_raw_read(&db, category).await;

    for (query, hits, p50) in per_query {
        println!(
            "  search {query:<32} {hits:>3} results (page of 20)  p50 {:>8.0} µs",
            micros(p50)
        );
    }
    println!(
        "  search over gRPC        p50 {:>8.0} µs   p99 {:>8.0} µs   ({SEARCH_CALLS} calls, one in flight)",
        micros(search.p50()),
        micros(search.p99())
    );
    println!(
        "  GetCategory over gRPC   p50 {:>8.0} µs   p99 {:>8.0} µs   (tonic + sea-orm point read)",
        micros(get_category.p50()),
        micros(get_category.p99())
    );
    println!(
        "  sea-orm point read      p50 {:>8.0} µs   p99 {:>8.0} µs   (no tonic)",
        micros(raw.p50()),
        micros(raw.p99())
    );
    println!(
        "  ratios: search / GetCategory p50 {:.1}x, p99 {:.1}x; GetCategory / sea-orm p50 {:.1}x",
        micros(search.p50()) / micros(get_category.p50()),
        micros(search.p99()) / micros(get_category.p99()),
        micros(get_category.p50()) / micros(raw.p50()),
    );
    let (replica_start, size) = start_replica(&config_of(dir.path(), &database)).await;
    println!(
        "  a replica started on these {} services: serving searches after {:.0} ms; index {:.1} MiB, of which services {:.1} MiB ({} tokens, {} postings)",
        size.services,
        replica_start.as_secs_f64() * 1e3,
        size.bytes as f64 / (1024.0 * 1024.0),
        size.service_bytes as f64 / (1024.0 * 1024.0),
        size.tokens,
        size.postings,
    );
    trigger.trigger();
    server.await.unwrap().unwrap();
    drop(db);
    drop(database);
    // Against the targets (1 ms and 3 ms: at most 1 meets them) and the point read.
    vec![
        (
            format!("search_p50_vs_1ms_{key}"),
            micros(search.p50()) / 1e3,
        ),
        (
            format!("search_p99_vs_3ms_{key}"),
            micros(search.p99()) / 3e3,
        ),
        (
            format!("search_p50_vs_point_read_{key}"),
            micros(search.p50()) / micros(get_category.p50()),
        ),
    ]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let ratios = runtime.block_on(async {
        let sqlite = TestDatabase::sqlite_file(4).await.unwrap();
        let mut ratios = run_on("SQLite (temp file, WAL, pool 4)", "sqlite", sqlite).await;
        match std::env::var(POSTGRES_URL_ENV) {
            Ok(url) if !url.trim().is_empty() => {
                let postgres = TestDatabase::postgres(&url).await.unwrap();
                ratios.extend(run_on("PostgreSQL", "postgres", postgres).await);
            }
            _ => println!("PostgreSQL: skipped ({POSTGRES_URL_ENV} is not set)"),
        }
        ratios
    });
    // Last, for scripts (docs/performance.md); lower is better for all three.
    for (name, value) in ratios {
        println!("ratio {name} {value:.2}");
    }
}
