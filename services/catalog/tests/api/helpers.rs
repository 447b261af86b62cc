//! The harness of the catalog's API tests: a migrated database (SQLite, or PostgreSQL
//! when `JALIA_TEST_POSTGRES_URL` is set), servers on 127.0.0.1:0 over it on a clock the
//! test sets, development tokens from jalia-testing, and the requests most tests make.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use jalia_catalog::{Application, Config, IdempotencyPurge};
pub(crate) use jalia_db::Backend;
pub(crate) use jalia_db::testing::{POSTGRES_URL_ENV, TestDatabase};
pub(crate) use jalia_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
pub(crate) use jalia_proto::catalog::v1::{
    self as wire, Agency, Category, Channel, ChannelKind, Cost, CreateAgencyRequest,
    CreateCategoryRequest, CreateLifeEventRequest, CreatePublicServiceRequest,
    DeletePublicServiceRequest, GetAgencyRequest, GetCategoryRequest, GetProcessingTargetRequest,
    GetPublicServiceRequest, GetPublicServiceRevisionRequest, LifeEvent, ListAgenciesRequest,
    ListCategoriesRequest, ListPublicServiceRevisionsRequest, ListPublicServicesRequest,
    OpeningHours, ProcessingTime, PublicService, PublicServiceStatus, PublishPublicServiceRequest,
    RetirePublicServiceRequest, RevisionAction, SearchMatchField, SearchPublicServicesRequest,
    SearchPublicServicesResponse, UpdateAgencyRequest, UpdatePublicServiceRequest, WeeklyPeriod,
};
pub(crate) use jalia_proto::r#type::v1::{
    Audience, LocalizedString, LocalizedText, Money, PostalAddress, TextDirection,
};
pub(crate) use jalia_runtime::reasons;
use jalia_runtime::{ManualClock, Shutdown, ShutdownTrigger};
pub(crate) use jalia_testing::{DevTokens, authed, violated_fields};
pub(crate) use jiff::{SignedDuration, Timestamp};
pub(crate) use prost_types::FieldMask;
pub(crate) use tonic::transport::Channel as Transport;
pub(crate) use tonic::{Code, Request, Status};
pub(crate) use tonic_types::StatusExt;
pub(crate) use uuid::Uuid;

pub(crate) const READ: &str = "catalog.read";
pub(crate) const WRITE: &str = "catalog.write";

/// The Arabic name of the demo's urban planning information note.
pub(crate) const INFORMATION_NOTE: &str = "مذكرة المعلومات التعميرية";

/// How long the tokens of a test live: past every clock move a test makes but the ones
/// of days, after which it mints new ones.
const TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);

pub(crate) struct Instance {
    addr: SocketAddr,
    trigger: ShutdownTrigger,
    task: tokio::task::JoinHandle<Result<(), jalia_runtime::ServerError>>,
    /// The replica's purge of old idempotency records.
    pub(crate) purge: IdempotencyPurge,
}

/// A catalog under test: its database, its clock, one server (or two replicas).
pub(crate) struct Catalog {
    pub(crate) config: Config,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) first: Instance,
    second: Option<Instance>,
    pub(crate) database: TestDatabase,
    tokens: DevTokens,
    _dir: tempfile::TempDir,
}

impl Catalog {
    /// A migrated database and one server over it.
    pub(crate) async fn start() -> Self {
        Self::start_with(false).await
    }

    /// With the demo data loaded.
    pub(crate) async fn with_demo() -> Self {
        Self::start_with(true).await
    }

    /// The demo data is loaded, as `jalia up --demo` does, before the server starts, by
    /// an application of its own on the same database: the server's search index loads
    /// it at start rather than a second later from the refresh.
    async fn start_with(demo: bool) -> Self {
        let database = TestDatabase::new().await;
        let dir = tempfile::tempdir().unwrap();
        let config = Config::development(dir.path(), database.config().url());
        jalia_catalog::migrate(&config.storage).await.unwrap();
        let clock = ManualClock::new(Timestamp::now());
        if demo {
            let app = Application::build(config.clone(), clock.clone())
                .await
                .unwrap();
            app.load_demo().await.unwrap();
        }
        let first = Self::launch(&config, &clock).await;
        Self {
            tokens: DevTokens::for_auth(&config.server.auth),
            config,
            clock,
            first,
            second: None,
            database,
            _dir: dir,
        }
    }

    async fn launch(config: &Config, clock: &Arc<ManualClock>) -> Instance {
        let app = Application::build(config.clone(), clock.clone())
            .await
            .unwrap();
        let addr = app.local_addr();
        let purge = app.idempotency_purge();
        let (trigger, shutdown) = Shutdown::manual();
        let task = tokio::spawn(app.run(shutdown));
        Instance {
            addr,
            trigger,
            task,
            purge,
        }
    }

    /// A second replica on the same database (and the same signing key and page-token
    /// key, as replicas share them).
    pub(crate) async fn start_second(&mut self) {
        self.second = Some(Self::launch(&self.config, &self.clock).await);
    }

    async fn client_to(addr: SocketAddr) -> CatalogServiceClient<Transport> {
        CatalogServiceClient::new(jalia_testing::channel(addr).await)
    }

    pub(crate) async fn client(&self) -> CatalogServiceClient<Transport> {
        Self::client_to(self.first.addr).await
    }

    pub(crate) async fn second_client(&self) -> CatalogServiceClient<Transport> {
        Self::client_to(self.second.as_ref().unwrap().addr).await
    }

    pub(crate) fn now(&self) -> Timestamp {
        jalia_runtime::Clock::now(self.clock.as_ref())
    }

    /// A token of `subject` acting for `agency` with `scopes`, valid from the catalog's
    /// now.
    pub(crate) fn token(&self, subject: &str, agency: &str, scopes: &[&str]) -> String {
        self.tokens
            .mint_at(subject, agency, scopes, self.now(), TOKEN_TTL)
    }

    /// A writer and reader of the urban agency of Béni Mellal.
    pub(crate) fn bm(&self) -> String {
        self.token("bm-back-office", "bm", &[READ, WRITE])
    }

    /// A ministry-wide writer and reader.
    pub(crate) fn ministry(&self) -> String {
        self.token("ministry-portal", "*", &[READ, WRITE])
    }

    /// A writer and reader of the Wilaya.
    pub(crate) fn wilaya(&self) -> String {
        self.token("wilaya-desk", "wbmk", &[READ, WRITE])
    }

    pub(crate) async fn stop(self) {
        for instance in [Some(self.first), self.second].into_iter().flatten() {
            instance.trigger.trigger();
            instance.task.await.unwrap().unwrap();
        }
        drop(self.database);
    }
}

/// Asserts a status is INVALID_ARGUMENT naming each of `fields`.
#[track_caller]
pub(crate) fn assert_invalid(status: &Status, fields: &[&str]) {
    assert_eq!(
        (status.code(), jalia_testing::reason(status).as_str()),
        (Code::InvalidArgument, reasons::INVALID_ARGUMENT),
        "{status:?}"
    );
    let found = violated_fields(status);
    for field in fields {
        assert!(
            found.iter().any(|f| f == field),
            "no violation on `{field}` in {found:?}"
        );
    }
}

/// Asserts a status has `code` and the ErrorInfo `reason`.
#[track_caller]
pub(crate) fn assert_refused(status: &Status, code: Code, reason: &str) {
    assert_eq!(
        (status.code(), jalia_testing::reason(status).as_str()),
        (code, reason),
        "{status:?}"
    );
}

/// The fields a status's BadRequest names.
pub(crate) fn violations(status: &Status) -> Vec<String> {
    violated_fields(status)
}

pub(crate) fn text(entries: &[(&str, &str)]) -> Option<LocalizedText> {
    Some(LocalizedText {
        entries: entries
            .iter()
            .map(|(language, text)| LocalizedString {
                language_code: (*language).to_owned(),
                text: (*text).to_owned(),
            })
            .collect(),
        resolved: None,
    })
}

pub(crate) fn fr(value: &str) -> Option<LocalizedText> {
    text(&[("fr", value)])
}

pub(crate) fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

pub(crate) async fn create_category(
    client: &mut CatalogServiceClient<Transport>,
    token: &str,
    name: &str,
) -> Category {
    client
        .create_category(authed(
            CreateCategoryRequest {
                category: Some(Category {
                    display_name: fr(name),
                    ..Category::default()
                }),
                request_id: Uuid::new_v4().to_string(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

pub(crate) async fn create_life_event(
    client: &mut CatalogServiceClient<Transport>,
    token: &str,
    name: &str,
) -> LifeEvent {
    client
        .create_life_event(authed(
            CreateLifeEventRequest {
                life_event: Some(LifeEvent {
                    display_name: fr(name),
                    ..LifeEvent::default()
                }),
                request_id: Uuid::new_v4().to_string(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

pub(crate) async fn create_agency(
    client: &mut CatalogServiceClient<Transport>,
    token: &str,
    code: &str,
    kind: wire::AgencyKind,
) -> Result<Agency, Status> {
    client
        .create_agency(authed(
            CreateAgencyRequest {
                agency: Some(Agency {
                    code: code.to_owned(),
                    display_name: fr(&format!("Agence {code}")),
                    kind: kind as i32,
                    ..Agency::default()
                }),
                request_id: Uuid::new_v4().to_string(),
            },
            token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

/// Agencies `bm` and `wbmk` and one category, for tests that do not need the demo.
pub(crate) struct Basics {
    pub(crate) category: Category,
}

pub(crate) async fn basics(catalog: &Catalog) -> Basics {
    let mut client = catalog.client().await;
    let ministry = catalog.ministry();
    create_agency(&mut client, &ministry, "bm", wire::AgencyKind::UrbanAgency)
        .await
        .unwrap();
    create_agency(&mut client, &ministry, "wbmk", wire::AgencyKind::Wilaya)
        .await
        .unwrap();
    let category = create_category(&mut client, &ministry, "Urbanisme").await;
    Basics { category }
}

pub(crate) fn online_channel() -> Channel {
    Channel {
        kind: ChannelKind::Online as i32,
        url: "https://www.rokhas.ma".to_owned(),
        ..Channel::default()
    }
}

/// A complete service (publishable) with the given French name, keywords and description.
pub(crate) fn service(
    category: &str,
    name: &str,
    keywords: &[&str],
    description: &str,
) -> PublicService {
    PublicService {
        display_name: fr(name),
        description: if description.is_empty() {
            None
        } else {
            fr(description)
        },
        keywords: keywords.iter().map(|k| fr(k).unwrap()).collect(),
        category: category.to_owned(),
        audiences: vec![Audience::Citizens as i32],
        channels: vec![online_channel()],
        ..PublicService::default()
    }
}

pub(crate) async fn create_service(
    client: &mut CatalogServiceClient<Transport>,
    token: &str,
    parent: &str,
    service: PublicService,
) -> Result<PublicService, Status> {
    client
        .create_public_service(authed(
            CreatePublicServiceRequest {
                parent: parent.to_owned(),
                public_service: Some(service),
                request_id: Uuid::new_v4().to_string(),
            },
            token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

pub(crate) async fn publish(
    client: &mut CatalogServiceClient<Transport>,
    token: &str,
    service: &PublicService,
) -> Result<PublicService, Status> {
    client
        .publish_public_service(authed(
            PublishPublicServiceRequest {
                name: service.name.clone(),
                etag: service.etag.clone(),
            },
            token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

pub(crate) async fn create_published(
    client: &mut CatalogServiceClient<Transport>,
    token: &str,
    parent: &str,
    service: PublicService,
) -> PublicService {
    let draft = create_service(client, token, parent, service)
        .await
        .unwrap();
    publish(client, token, &draft).await.unwrap()
}

pub(crate) async fn search(
    client: &mut CatalogServiceClient<Transport>,
    query: &str,
) -> SearchPublicServicesResponse {
    client
        .search_public_services(SearchPublicServicesRequest {
            parent: "agencies/-".to_owned(),
            query: query.to_owned(),
            language_code: "fr".to_owned(),
            ..SearchPublicServicesRequest::default()
        })
        .await
        .unwrap_or_else(|status| panic!("search `{query}` failed: {status:?}"))
        .into_inner()
}

pub(crate) fn names(response: &SearchPublicServicesResponse) -> Vec<String> {
    response
        .results
        .iter()
        .map(|r| r.public_service.as_ref().unwrap().name.clone())
        .collect()
}

pub(crate) fn french_name(service: &PublicService) -> String {
    service
        .display_name
        .as_ref()
        .and_then(|t| t.entries.iter().find(|e| e.language_code == "fr"))
        .map(|e| e.text.clone())
        .unwrap_or_default()
}

pub(crate) fn french_names(response: &SearchPublicServicesResponse) -> Vec<String> {
    response
        .results
        .iter()
        .map(|r| french_name(r.public_service.as_ref().unwrap()))
        .collect()
}

pub(crate) async fn drafts_of(
    client: &mut CatalogServiceClient<Transport>,
    token: &str,
    parent: &str,
) -> Vec<PublicService> {
    client
        .list_public_services(authed(
            ListPublicServicesRequest {
                parent: parent.to_owned(),
                statuses: vec![
                    PublicServiceStatus::Draft as i32,
                    PublicServiceStatus::Published as i32,
                    PublicServiceStatus::Retired as i32,
                ],
                page_size: 500,
                ..ListPublicServicesRequest::default()
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .public_services
}

pub(crate) async fn revisions(
    client: &mut CatalogServiceClient<Transport>,
    token: &str,
    service: &str,
) -> Vec<wire::PublicServiceRevision> {
    client
        .list_public_service_revisions(authed(
            ListPublicServiceRevisionsRequest {
                parent: service.to_owned(),
                ..ListPublicServiceRevisionsRequest::default()
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .public_service_revisions
}
