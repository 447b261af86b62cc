//! The catalog over gRPC: a real server on 127.0.0.1:0 with the generated client and
//! development tokens, on SQLite by default and on PostgreSQL when
//! `JALIA_TEST_POSTGRES_URL` is set (CI runs both).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jalia_catalog::{Application, Config, Migrator};
use jalia_db::Backend;
use jalia_db::testing::{POSTGRES_URL_ENV, TestDatabase};
use jalia_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use jalia_proto::catalog::v1::{
    self as wire, Agency, Category, Channel, ChannelKind, Cost, CreateAgencyRequest,
    CreateCategoryRequest, CreateLifeEventRequest, CreatePublicServiceRequest,
    DeletePublicServiceRequest, GetAgencyRequest, GetCategoryRequest, GetProcessingTargetRequest,
    GetPublicServiceRequest, GetPublicServiceRevisionRequest, LifeEvent, ListAgenciesRequest,
    ListCategoriesRequest, ListPublicServiceRevisionsRequest, ListPublicServicesRequest,
    OpeningHours, ProcessingTime, PublicService, PublicServiceStatus, PublishPublicServiceRequest,
    RetirePublicServiceRequest, RevisionAction, SearchMatchField, SearchPublicServicesRequest,
    SearchPublicServicesResponse, UpdateAgencyRequest, UpdatePublicServiceRequest, WeeklyPeriod,
};
use jalia_proto::r#type::v1::{
    Audience, LocalizedString, LocalizedText, Money, PostalAddress, TextDirection,
};
use jalia_runtime::auth::{DevTokenIssuer, TokenClaims};
use jalia_runtime::{ManualClock, Shutdown, ShutdownTrigger};
use jiff::{SignedDuration, Timestamp};
use prost_types::FieldMask;
use tonic::transport::{Channel as Transport, Endpoint};
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;
use uuid::Uuid;

const READ: &str = "catalog.read";
const WRITE: &str = "catalog.write";

// ---------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------

struct Instance {
    addr: SocketAddr,
    trigger: ShutdownTrigger,
    task: tokio::task::JoinHandle<Result<(), jalia_runtime::ServerError>>,
}

struct Catalog {
    config: Config,
    clock: Arc<ManualClock>,
    first: Instance,
    second: Option<Instance>,
    database: TestDatabase,
    _dir: tempfile::TempDir,
}

impl Catalog {
    /// A migrated database and one server over it.
    async fn start() -> Self {
        let database = TestDatabase::new().await;
        let dir = tempfile::tempdir().unwrap();
        let config = Config::development(dir.path(), database.config().url());
        jalia_catalog::migrate(&config.storage).await.unwrap();
        let clock = ManualClock::new(Timestamp::now());
        let first = Self::launch(&config, &clock).await;
        Self {
            config,
            clock,
            first,
            second: None,
            database,
            _dir: dir,
        }
    }

    /// With the demo data loaded.
    async fn with_demo() -> Self {
        let catalog = Self::start().await;
        let app = Application::build(catalog.config.clone(), catalog.clock.clone())
            .await
            .unwrap();
        app.load_demo().await.unwrap();
        catalog
    }

    async fn launch(config: &Config, clock: &Arc<ManualClock>) -> Instance {
        let app = Application::build(config.clone(), clock.clone())
            .await
            .unwrap();
        let addr = app.local_addr();
        let (trigger, shutdown) = Shutdown::manual();
        let task = tokio::spawn(app.run(shutdown));
        Instance {
            addr,
            trigger,
            task,
        }
    }

    /// A second replica on the same database (and the same signing key and page-token
    /// key, as replicas share them).
    async fn start_second(&mut self) {
        self.second = Some(Self::launch(&self.config, &self.clock).await);
    }

    async fn client_to(addr: SocketAddr) -> CatalogServiceClient<Transport> {
        let channel = Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        CatalogServiceClient::new(channel)
    }

    async fn client(&self) -> CatalogServiceClient<Transport> {
        Self::client_to(self.first.addr).await
    }

    async fn second_client(&self) -> CatalogServiceClient<Transport> {
        Self::client_to(self.second.as_ref().unwrap().addr).await
    }

    fn now(&self) -> Timestamp {
        jalia_runtime::Clock::now(self.clock.as_ref())
    }

    fn token(&self, subject: &str, agency: &str, scopes: &[&str]) -> String {
        let auth = &self.config.server.auth;
        DevTokenIssuer::from_config(auth)
            .unwrap()
            .mint(&TokenClaims::new(
                auth,
                subject,
                agency,
                scopes,
                self.now(),
                Duration::from_secs(24 * 3600),
            ))
            .unwrap()
    }

    /// A writer and reader of the urban agency of Béni Mellal.
    fn bm(&self) -> String {
        self.token("bm-back-office", "bm", &[READ, WRITE])
    }

    /// A ministry-wide writer and reader.
    fn ministry(&self) -> String {
        self.token("ministry-portal", "*", &[READ, WRITE])
    }

    /// A writer and reader of the Wilaya.
    fn wilaya(&self) -> String {
        self.token("wilaya-desk", "wbmk", &[READ, WRITE])
    }

    async fn stop(self) {
        for instance in [Some(self.first), self.second].into_iter().flatten() {
            instance.trigger.trigger();
            instance.task.await.unwrap().unwrap();
        }
        drop(self.database);
    }
}

fn authed<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

fn text(entries: &[(&str, &str)]) -> Option<LocalizedText> {
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

fn fr(value: &str) -> Option<LocalizedText> {
    text(&[("fr", value)])
}

fn violations(status: &Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|bad| bad.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

fn assert_invalid(status: &Status, fields: &[&str]) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let found = violations(status);
    for field in fields {
        assert!(
            found.iter().any(|f| f == field),
            "no violation on `{field}` in {found:?}"
        );
    }
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

async fn create_category(
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

async fn create_life_event(
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

async fn create_agency(
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
struct Basics {
    category: Category,
}

async fn basics(catalog: &Catalog) -> Basics {
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

fn online_channel() -> Channel {
    Channel {
        kind: ChannelKind::Online as i32,
        url: "https://www.rokhas.ma".to_owned(),
        ..Channel::default()
    }
}

/// A complete service (publishable) with the given French name, keywords and description.
fn service(category: &str, name: &str, keywords: &[&str], description: &str) -> PublicService {
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

async fn create_service(
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

async fn publish(
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

async fn create_published(
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

async fn search(
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

fn names(response: &SearchPublicServicesResponse) -> Vec<String> {
    response
        .results
        .iter()
        .map(|r| r.public_service.as_ref().unwrap().name.clone())
        .collect()
}

fn french_name(service: &PublicService) -> String {
    service
        .display_name
        .as_ref()
        .and_then(|t| t.entries.iter().find(|e| e.language_code == "fr"))
        .map(|e| e.text.clone())
        .unwrap_or_default()
}

fn french_names(response: &SearchPublicServicesResponse) -> Vec<String> {
    response
        .results
        .iter()
        .map(|r| french_name(r.public_service.as_ref().unwrap()))
        .collect()
}

async fn drafts_of(
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

async fn revisions(
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

// ---------------------------------------------------------------------------------------
// The run itself
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_run_uses_the_backend_it_was_asked_for() {
    let catalog = Catalog::start().await;
    let expected = match std::env::var(POSTGRES_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    assert_eq!(catalog.database.backend(), expected);
    assert!(
        !catalog
            .database
            .db()
            .applied_migrations::<Migrator>()
            .await
            .unwrap()
            .is_empty()
    );
    catalog.stop().await;
}

// ---------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------

const INFORMATION_NOTE: &str = "مذكرة المعلومات التعميرية";

#[tokio::test]
async fn arabic_search_finds_the_information_note_however_it_is_typed() {
    let catalog = Catalog::with_demo().await;
    let mut client = catalog.client().await;
    let reference = search(&mut client, INFORMATION_NOTE).await;
    let note = reference.results[0].public_service.clone().unwrap();
    assert_eq!(
        french_name(&note),
        "Note de renseignements urbanistiques",
        "{reference:?}"
    );
    assert_eq!(
        reference.results[0].score, 18,
        "three whole words in the name"
    );
    assert_eq!(
        reference.results[0].matched_field,
        SearchMatchField::Name as i32
    );
    for typed in [
        // ه typed for ة.
        "مذكره المعلومات التعميريه",
        // With harakat.
        "مُذَكِّرَةُ المَعْلُومَاتِ التَّعْمِيرِيَّةِ",
        // Without the article.
        "معلومات تعميرية",
        // With tatweel and presentation forms.
        "مذكـــرة المعلومات التعميرية",
        "\u{FEE3}\u{FEAC}\u{FEDB}\u{FEAE}\u{FE93} المعلومات التعميرية",
    ] {
        let found = search(&mut client, typed).await;
        assert_eq!(
            found
                .results
                .first()
                .map(|r| r.public_service.as_ref().unwrap().name.clone()),
            Some(note.name.clone()),
            "`{typed}` gave {:?}",
            french_names(&found)
        );
    }
    // Hamza: the description says "الإنترنت"; typed without hamza it is found.
    let without_hamza = search(&mut client, "الانترنت").await;
    assert!(
        names(&without_hamza).contains(&note.name),
        "{without_hamza:?}"
    );
    // إ typed as ا: "إجباري" in the building permit's description.
    let mandatory = search(&mut client, "اجباري").await;
    assert_eq!(
        french_names(&mandatory),
        vec!["Autorisation de construire via la plateforme nationale Rokhas"],
        "{mandatory:?}"
    );
    // ؤ typed as و: "مؤهلون" in the housing programme's description.
    let eligible = search(&mut client, "موهلون").await;
    assert_eq!(
        french_names(&eligible),
        vec!["Programme d'aide directe au logement"],
        "{eligible:?}"
    );
    // A prefix while typing.
    let typing = search(&mut client, "مذك").await;
    assert_eq!(names(&typing).first(), Some(&note.name));
    assert_eq!(typing.results[0].score, 5, "a prefix in the name");
    catalog.stop().await;
}

#[tokio::test]
async fn latin_search_folds_case_and_accents_and_keeps_the_order() {
    let catalog = Catalog::with_demo().await;
    let mut client = catalog.client().await;
    let lower = search(&mut client, "logement").await;
    assert_eq!(
        french_names(&lower).first().map(String::as_str),
        Some("Programme d'aide directe au logement"),
        "{lower:?}"
    );
    for typed in ["Logement", "LOGEMENT", "lógement"] {
        let found = search(&mut client, typed).await;
        assert_eq!(names(&found), names(&lower), "`{typed}`");
        let scores: Vec<_> = found.results.iter().map(|r| r.score).collect();
        let expected: Vec<_> = lower.results.iter().map(|r| r.score).collect();
        assert_eq!(scores, expected, "`{typed}`");
    }
    // Accents typed or not.
    let accented = search(&mut client, "Aménagement").await;
    let plain = search(&mut client, "amenagement").await;
    assert_eq!(names(&accented), names(&plain));
    assert!(
        french_names(&plain).contains(&"Consultation des documents d'urbanisme".to_owned()),
        "{plain:?}"
    );
    catalog.stop().await;
}

#[tokio::test]
async fn cross_script_queries_return_cleanly() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let token = catalog.bm();
    let mut arabic_only = service(&basics.category.name, "x", &[], "");
    arabic_only.display_name = text(&[("ar", "مذكرة المعلومات التعميرية")]);
    create_published(&mut client, &token, "agencies/bm", arabic_only).await;
    create_published(
        &mut client,
        &token,
        "agencies/bm",
        service(&basics.category.name, "Note de renseignements", &[], ""),
    )
    .await;
    // Latin on Arabic-only data, Arabic on Latin-only data: nothing, cleanly.
    assert!(search(&mut client, "tamir").await.results.is_empty());
    assert!(search(&mut client, "رونسينيمون").await.results.is_empty());
    // Each script finds its own.
    assert_eq!(search(&mut client, "تعمير").await.results.len(), 1);
    assert_eq!(search(&mut client, "renseignements").await.results.len(), 1);
    // Both words must match one service: none has both.
    assert!(
        search(&mut client, "renseignements تعميرية")
            .await
            .results
            .is_empty()
    );
    // Digits fold: Arabic-Indic digits find ASCII ones.
    create_published(
        &mut client,
        &token,
        "agencies/bm",
        service(&basics.category.name, "Loi 12-90", &[], ""),
    )
    .await;
    assert_eq!(
        french_names(&search(&mut client, "١٢").await),
        vec!["Loi 12-90"]
    );
    catalog.stop().await;
}

#[tokio::test]
async fn ranking_is_pinned_on_a_small_fixture() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let token = catalog.bm();
    let category = basics.category.name.as_str();
    // Created in this order, so ids ascend in this order too.
    let fixture = [
        ("description whole", vec![], "aide au logement"),
        ("keyword prefix", vec!["logements sociaux"], ""),
        ("Logement social", vec![], ""),
        ("description prefix", vec![], "logements"),
        ("keyword whole", vec!["logement"], ""),
        ("Logements neufs", vec![], ""),
        ("Aide logement", vec![], ""),
        ("unrelated", vec!["permis"], "construire"),
    ];
    for (name, keywords, description) in &fixture {
        create_published(
            &mut client,
            &token,
            "agencies/bm",
            service(category, name, keywords, description),
        )
        .await;
    }
    let found = search(&mut client, "logement").await;
    let ranked: Vec<(String, i32, i32)> = found
        .results
        .iter()
        .map(|r| {
            (
                french_name(r.public_service.as_ref().unwrap()),
                r.score,
                r.matched_field,
            )
        })
        .collect();
    let name = SearchMatchField::Name as i32;
    let keyword = SearchMatchField::Keywords as i32;
    let description = SearchMatchField::Description as i32;
    assert_eq!(
        ranked,
        vec![
            ("Logement social".to_owned(), 6, name),
            ("Aide logement".to_owned(), 6, name),
            ("Logements neufs".to_owned(), 5, name),
            ("keyword whole".to_owned(), 4, keyword),
            ("keyword prefix".to_owned(), 3, keyword),
            ("description whole".to_owned(), 2, description),
            ("description prefix".to_owned(), 1, description),
        ]
    );
    // Two words: the score is the sum of each word's best match.
    let both = search(&mut client, "aide logement").await;
    let ranked: Vec<(String, i32)> = both
        .results
        .iter()
        .map(|r| (french_name(r.public_service.as_ref().unwrap()), r.score))
        .collect();
    assert_eq!(
        ranked,
        vec![
            ("Aide logement".to_owned(), 12),
            ("description whole".to_owned(), 4),
        ]
    );
    // Pages of two walk the same order, the token carrying (score, id).
    let mut paged = Vec::new();
    let mut token_for_next = String::new();
    loop {
        let page = client
            .search_public_services(SearchPublicServicesRequest {
                parent: "agencies/bm".to_owned(),
                query: "LOGEMENT".to_owned(),
                page_size: 2,
                page_token: token_for_next.clone(),
                ..SearchPublicServicesRequest::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.results.len() <= 2);
        paged.extend(names(&page));
        if page.next_page_token.is_empty() {
            break;
        }
        token_for_next = page.next_page_token;
    }
    assert_eq!(paged, names(&found));
    catalog.stop().await;
}

#[tokio::test]
async fn search_filters_and_refuses_empty_queries() {
    let catalog = Catalog::with_demo().await;
    let mut client = catalog.client().await;
    let diaspora_only = client
        .search_public_services(SearchPublicServicesRequest {
            parent: "agencies/-".to_owned(),
            query: "urbanisme".to_owned(),
            audience: Audience::Diaspora as i32,
            channel_kind: ChannelKind::InPerson as i32,
            ..SearchPublicServicesRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!diaspora_only.results.is_empty());
    for result in &diaspora_only.results {
        let service = result.public_service.as_ref().unwrap();
        assert!(service.audiences.contains(&(Audience::Diaspora as i32)));
        assert!(
            service
                .channels
                .iter()
                .any(|c| c.kind == ChannelKind::InPerson as i32)
        );
    }
    let ministry_only = client
        .search_public_services(SearchPublicServicesRequest {
            parent: "agencies/matnuhpv".to_owned(),
            query: "logement".to_owned(),
            ..SearchPublicServicesRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        french_names(&ministry_only),
        vec!["Programme d'aide directe au logement"]
    );
    for (query, field) in [("", "query"), ("  ،، !! ", "query")] {
        let status = client
            .search_public_services(SearchPublicServicesRequest {
                parent: "agencies/-".to_owned(),
                query: query.to_owned(),
                ..SearchPublicServicesRequest::default()
            })
            .await
            .unwrap_err();
        assert_invalid(&status, &[field]);
    }
    let status = client
        .search_public_services(SearchPublicServicesRequest {
            parent: "agencies/-".to_owned(),
            query: "x".repeat(201),
            ..SearchPublicServicesRequest::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&status, &["query"]);
    catalog.stop().await;
}

// ---------------------------------------------------------------------------------------
// Revisions and concurrency
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_stale_etag_is_aborted_and_writes_nothing() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let token = catalog.bm();
    let draft = create_service(
        &mut client,
        &token,
        "agencies/bm",
        service(&basics.category.name, "Note", &[], ""),
    )
    .await
    .unwrap();
    let mut change = draft.clone();
    change.description = fr("Première version");
    let updated = client
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(change.clone()),
                update_mask: mask(&["description"]),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.revision, 2);
    assert_ne!(updated.etag, draft.etag);
    change.description = fr("Écrase la première");
    let stale = client
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(change),
                update_mask: mask(&["description"]),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted, "{stale:?}");
    for stale_lifecycle in [
        publish(&mut client, &token, &draft).await.unwrap_err(),
        client
            .delete_public_service(authed(
                DeletePublicServiceRequest {
                    name: draft.name.clone(),
                    etag: draft.etag.clone(),
                },
                &token,
            ))
            .await
            .unwrap_err(),
    ] {
        assert_eq!(stale_lifecycle.code(), Code::Aborted);
    }
    let current = client
        .get_public_service(authed(
            GetPublicServiceRequest {
                name: draft.name.clone(),
                language_code: "fr".to_owned(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(current.revision, 2);
    assert_eq!(
        current.description.unwrap().resolved.unwrap().text,
        "Première version"
    );
    assert_eq!(revisions(&mut client, &token, &draft.name).await.len(), 2);
    catalog.stop().await;
}

#[tokio::test]
async fn history_shows_every_change_with_who_and_when_and_reads_back_exactly() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let agency_token = catalog.bm();
    let ministry_token = catalog.ministry();
    let created = create_service(
        &mut client,
        &agency_token,
        "agencies/bm",
        service(&basics.category.name, "Note de renseignements", &[], ""),
    )
    .await
    .unwrap();
    catalog.clock.advance(SignedDuration::from_mins(5));
    let mut change = created.clone();
    change.costs = vec![Cost {
        price: Some(wire::cost::Price::Amount(Money {
            currency_code: "MAD".to_owned(),
            amount_minor: 20_000,
        })),
        illustrative: true,
        ..Cost::default()
    }];
    change.processing_time = Some(ProcessingTime {
        duration: Some(prost_types::Duration {
            seconds: 7 * 86_400,
            nanos: 0,
        }),
        illustrative: true,
    });
    let updated = client
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(change),
                update_mask: mask(&["costs", "processing_time"]),
            },
            &ministry_token,
        ))
        .await
        .unwrap()
        .into_inner();
    catalog.clock.advance(SignedDuration::from_mins(5));
    let published = publish(&mut client, &agency_token, &updated).await.unwrap();
    catalog.clock.advance(SignedDuration::from_mins(5));
    let mut renamed = published.clone();
    renamed.display_name = text(&[
        ("fr", "Note de renseignements urbanistiques"),
        ("ar", INFORMATION_NOTE),
    ]);
    let renamed = client
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(renamed),
                update_mask: mask(&["display_name"]),
            },
            &agency_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        renamed.status,
        PublicServiceStatus::Published as i32,
        "stays published"
    );
    catalog.clock.advance(SignedDuration::from_mins(5));
    let retired = client
        .retire_public_service(authed(
            RetirePublicServiceRequest {
                name: renamed.name.clone(),
                etag: renamed.etag.clone(),
            },
            &agency_token,
        ))
        .await
        .unwrap()
        .into_inner();

    let history = revisions(&mut client, &agency_token, &created.name).await;
    let summary: Vec<(i64, i32, String, Vec<String>)> = history
        .iter()
        .map(|r| {
            (
                r.revision,
                r.action,
                r.actor.clone(),
                r.changed_fields.clone().unwrap().paths,
            )
        })
        .collect();
    let strings = |paths: &[&str]| paths.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        summary,
        vec![
            (
                5,
                RevisionAction::Retire as i32,
                "bm-back-office".to_owned(),
                strings(&["status", "retire_time"])
            ),
            (
                4,
                RevisionAction::Update as i32,
                "bm-back-office".to_owned(),
                strings(&["display_name"])
            ),
            (
                3,
                RevisionAction::Publish as i32,
                "bm-back-office".to_owned(),
                strings(&["status", "publish_time"])
            ),
            (
                2,
                RevisionAction::Update as i32,
                "ministry-portal".to_owned(),
                strings(&["costs", "processing_time"])
            ),
            (
                1,
                RevisionAction::Create as i32,
                "bm-back-office".to_owned(),
                strings(&[
                    "competent_authority",
                    "display_name",
                    "category",
                    "audiences",
                    "channels"
                ])
            ),
        ]
    );
    // When: each revision at the time of its change, five minutes apart.
    let times: Vec<i64> = history
        .iter()
        .map(|r| r.create_time.unwrap().seconds)
        .collect();
    for pair in times.windows(2) {
        assert_eq!(pair[0] - pair[1], 300);
    }
    // Each past revision reads back exactly as the service stood.
    for (number, expected) in [
        (1, &created),
        (2, &updated),
        (3, &published),
        (4, &renamed),
        (5, &retired),
    ] {
        let revision = client
            .get_public_service_revision(authed(
                GetPublicServiceRevisionRequest {
                    name: format!("{}/revisions/{number}", created.name),
                    language_code: String::new(),
                },
                &agency_token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            revision.public_service.as_ref(),
            Some(expected),
            "revision {number}"
        );
        assert_eq!(
            revision.name,
            format!("{}/revisions/{number}", created.name)
        );
    }
    let missing = client
        .get_public_service_revision(authed(
            GetPublicServiceRevisionRequest {
                name: format!("{}/revisions/6", created.name),
                language_code: String::new(),
            },
            &agency_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    // History is private: anonymous or other agencies get NOT_FOUND.
    for token in [catalog.wilaya(), catalog.token("reader", "bm", &[WRITE])] {
        let status = client
            .list_public_service_revisions(authed(
                ListPublicServiceRevisionsRequest {
                    parent: created.name.clone(),
                    ..ListPublicServiceRevisionsRequest::default()
                },
                &token,
            ))
            .await
            .unwrap_err();
        assert!(
            matches!(status.code(), Code::NotFound | Code::PermissionDenied),
            "{status:?}"
        );
    }
    catalog.stop().await;
}

#[tokio::test]
async fn concurrent_updates_with_one_etag_one_wins_the_rest_are_aborted() {
    let mut catalog = Catalog::start().await;
    catalog.start_second().await;
    let basics = basics(&catalog).await;
    let token = catalog.bm();
    let mut client = catalog.client().await;
    let draft = create_service(
        &mut client,
        &token,
        "agencies/bm",
        service(&basics.category.name, "Note", &[], ""),
    )
    .await
    .unwrap();
    let mut calls = Vec::new();
    for attempt in 0..8 {
        let mut client = if attempt % 2 == 0 {
            catalog.client().await
        } else {
            catalog.second_client().await
        };
        let mut change = draft.clone();
        change.description = fr(&format!("version {attempt}"));
        let token = token.clone();
        calls.push(tokio::spawn(async move {
            client
                .update_public_service(authed(
                    UpdatePublicServiceRequest {
                        public_service: Some(change),
                        update_mask: mask(&["description"]),
                    },
                    &token,
                ))
                .await
        }));
    }
    let mut won = 0;
    let mut aborted = 0;
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => won += 1,
            Err(status) if status.code() == Code::Aborted => aborted += 1,
            Err(status) => panic!("unexpected {status:?}"),
        }
    }
    assert_eq!((won, aborted), (1, 7));
    let history = revisions(&mut client, &token, &draft.name).await;
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].revision, 2);
    catalog.stop().await;
}

// ---------------------------------------------------------------------------------------
// Lifecycle and visibility
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_retired_service_leaves_lists_and_search_but_stays_readable() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let token = catalog.bm();
    let published = create_published(
        &mut client,
        &token,
        "agencies/bm",
        service(&basics.category.name, "Guichet d'été", &[], ""),
    )
    .await;
    let listed = |client: &mut CatalogServiceClient<Transport>| {
        let mut client = client.clone();
        async move {
            client
                .list_public_services(ListPublicServicesRequest {
                    parent: "agencies/bm".to_owned(),
                    ..ListPublicServicesRequest::default()
                })
                .await
                .unwrap()
                .into_inner()
                .public_services
                .len()
        }
    };
    assert_eq!(listed(&mut client).await, 1);
    assert_eq!(search(&mut client, "guichet").await.results.len(), 1);
    let retired = client
        .retire_public_service(authed(
            RetirePublicServiceRequest {
                name: published.name.clone(),
                etag: published.etag.clone(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retired.status, PublicServiceStatus::Retired as i32);
    assert!(retired.retire_time.is_some());
    assert_eq!(listed(&mut client).await, 0);
    assert!(search(&mut client, "guichet").await.results.is_empty());
    // Readable by name, by anyone, with its status.
    let read = client
        .get_public_service(GetPublicServiceRequest {
            name: published.name.clone(),
            language_code: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.status, PublicServiceStatus::Retired as i32);
    // Its own agency still lists it when asking for retired services.
    let own = drafts_of(&mut client, &token, "agencies/bm").await;
    assert_eq!(own.len(), 1);
    // Anonymous callers asking for retired services get nothing.
    let anonymous = client
        .list_public_services(ListPublicServicesRequest {
            parent: "agencies/-".to_owned(),
            statuses: vec![PublicServiceStatus::Retired as i32],
            ..ListPublicServicesRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(anonymous.public_services.is_empty());
    // Final: no change after retirement.
    let mut change = retired.clone();
    change.description = fr("encore");
    let refused = client
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(change),
                update_mask: mask(&["description"]),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    let refused = publish(&mut client, &token, &retired).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    catalog.stop().await;
}

#[tokio::test]
async fn another_agency_cannot_change_a_service_or_read_a_draft() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let own = catalog.bm();
    let other = catalog.wilaya();
    let draft = create_service(
        &mut client,
        &own,
        "agencies/bm",
        service(&basics.category.name, "Brouillon", &[], ""),
    )
    .await
    .unwrap();
    let published = create_published(
        &mut client,
        &own,
        "agencies/bm",
        service(&basics.category.name, "Publié", &[], ""),
    )
    .await;
    // Reading a draft: NOT_FOUND to another agency and to anonymous callers.
    let status = client
        .get_public_service(authed(
            GetPublicServiceRequest {
                name: draft.name.clone(),
                language_code: String::new(),
            },
            &other,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = client
        .get_public_service(GetPublicServiceRequest {
            name: draft.name.clone(),
            language_code: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    // The owner and the ministry read it.
    for token in [&own, &catalog.ministry()] {
        client
            .get_public_service(authed(
                GetPublicServiceRequest {
                    name: draft.name.clone(),
                    language_code: String::new(),
                },
                token,
            ))
            .await
            .unwrap();
    }
    // Lists: other agencies never see the draft.
    let theirs = drafts_of(&mut client, &other, "agencies/-").await;
    assert_eq!(
        theirs.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        vec![published.name.clone()]
    );
    // Changing: NOT_FOUND, draft or published, and nothing written.
    for target in [&draft, &published] {
        let mut change = target.clone();
        change.description = fr("piraté");
        let status = client
            .update_public_service(authed(
                UpdatePublicServiceRequest {
                    public_service: Some(change),
                    update_mask: mask(&["description"]),
                },
                &other,
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{status:?}");
        let status = client
            .delete_public_service(authed(
                DeletePublicServiceRequest {
                    name: target.name.clone(),
                    etag: target.etag.clone(),
                },
                &other,
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
    }
    let status = publish(&mut client, &other, &draft).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = client
        .retire_public_service(authed(
            RetirePublicServiceRequest {
                name: published.name.clone(),
                etag: published.etag.clone(),
            },
            &other,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = client
        .get_public_service_revision(authed(
            GetPublicServiceRevisionRequest {
                name: format!("{}/revisions/1", draft.name),
                language_code: String::new(),
            },
            &other,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    // Creating under another agency: PERMISSION_DENIED.
    let status = create_service(
        &mut client,
        &other,
        "agencies/bm",
        service(&basics.category.name, "Intrus", &[], ""),
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    // Nothing changed for the owner.
    let mine = drafts_of(&mut client, &own, "agencies/bm").await;
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|s| s.description.is_none()));
    // Anonymous writers are refused by the contract's scope.
    let status = client
        .create_public_service(CreatePublicServiceRequest {
            parent: "agencies/bm".to_owned(),
            public_service: Some(service(&basics.category.name, "Anonyme", &[], "")),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    catalog.stop().await;
}

#[tokio::test]
async fn publishing_needs_a_complete_draft_and_only_drafts_are_deleted() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let token = catalog.bm();
    let incomplete = create_service(
        &mut client,
        &token,
        "agencies/bm",
        PublicService {
            display_name: fr("Incomplet"),
            ..PublicService::default()
        },
    )
    .await
    .unwrap();
    let status = publish(&mut client, &token, &incomplete).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    let missing: Vec<String> = status
        .get_details_precondition_failure()
        .unwrap()
        .violations
        .into_iter()
        .map(|v| v.subject)
        .collect();
    assert_eq!(
        missing,
        vec![
            "public_service.category",
            "public_service.audiences",
            "public_service.channels"
        ]
    );
    client
        .delete_public_service(authed(
            DeletePublicServiceRequest {
                name: incomplete.name.clone(),
                etag: incomplete.etag.clone(),
            },
            &token,
        ))
        .await
        .unwrap();
    let status = client
        .get_public_service(authed(
            GetPublicServiceRequest {
                name: incomplete.name.clone(),
                language_code: String::new(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let published = create_published(
        &mut client,
        &token,
        "agencies/bm",
        service(&basics.category.name, "Publié", &[], ""),
    )
    .await;
    let status = client
        .delete_public_service(authed(
            DeletePublicServiceRequest {
                name: published.name.clone(),
                etag: published.etag.clone(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    // A published service must stay complete.
    let mut emptied = published.clone();
    emptied.channels.clear();
    let status = client
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(emptied),
                update_mask: mask(&["channels"]),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    catalog.stop().await;
}

#[tokio::test]
async fn the_processing_target_is_given_for_published_services_only() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let token = catalog.bm();
    let mut with_target = service(&basics.category.name, "Note", &[], "");
    with_target.processing_time = Some(ProcessingTime {
        duration: Some(prost_types::Duration {
            seconds: 15 * 86_400,
            nanos: 0,
        }),
        illustrative: true,
    });
    let draft = create_service(&mut client, &token, "agencies/bm", with_target)
        .await
        .unwrap();
    let target = |client: &mut CatalogServiceClient<Transport>, name: String| {
        let mut client = client.clone();
        async move {
            client
                .get_processing_target(GetProcessingTargetRequest { name })
                .await
        }
    };
    let status = target(&mut client, draft.name.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let published = publish(&mut client, &token, &draft).await.unwrap();
    let found = target(&mut client, draft.name.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.public_service, draft.name);
    assert_eq!(found.revision, 2);
    assert_eq!(found.processing_time.unwrap().seconds, 15 * 86_400);
    assert!(found.illustrative);
    client
        .retire_public_service(authed(
            RetirePublicServiceRequest {
                name: published.name.clone(),
                etag: published.etag.clone(),
            },
            &token,
        ))
        .await
        .unwrap();
    let status = target(&mut client, draft.name.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = target(
        &mut client,
        format!("agencies/bm/services/{}", Uuid::now_v7()),
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = target(&mut client, "agencies/bm/services/nope".to_owned())
        .await
        .unwrap_err();
    assert_invalid(&status, &["name"]);
    catalog.stop().await;
}

// ---------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------

fn bad_service(category: &str) -> PublicService {
    let mut bad = service(category, "", &[], "");
    bad.display_name = text(&[("fr", "  "), ("ar", "")]);
    bad.costs = vec![
        Cost {
            price: Some(wire::cost::Price::Amount(Money {
                currency_code: "MAD".to_owned(),
                amount_minor: -15_000,
            })),
            ..Cost::default()
        },
        Cost {
            price: Some(wire::cost::Price::Amount(Money {
                currency_code: "XOF".to_owned(),
                amount_minor: 15_000,
            })),
            ..Cost::default()
        },
    ];
    bad.processing_time = Some(ProcessingTime {
        duration: Some(prost_types::Duration {
            seconds: -86_400,
            nanos: 0,
        }),
        illustrative: false,
    });
    bad.channels = vec![
        Channel {
            kind: ChannelKind::Online as i32,
            url: "http://www.rokhas.ma".to_owned(),
            ..Channel::default()
        },
        Channel {
            kind: ChannelKind::InPerson as i32,
            address: Some(PostalAddress {
                locality: "Béni Mellal".to_owned(),
                ..PostalAddress::default()
            }),
            opening_hours: Some(OpeningHours {
                time_zone: "Africa/Casablanca".to_owned(),
                periods: vec![WeeklyPeriod {
                    day_of_week: wire::DayOfWeek::Monday as i32,
                    opens: "18:00".to_owned(),
                    closes: "16:30".to_owned(),
                    ..WeeklyPeriod::default()
                }],
            }),
            ..Channel::default()
        },
    ];
    bad
}

/// Spoils one field of a good service.
type Spoil = Box<dyn Fn(&mut PublicService)>;

const BAD_FIELDS: [&str; 6] = [
    "public_service.display_name.entries",
    "public_service.costs[0].amount.amount_minor",
    "public_service.costs[1].amount.currency_code",
    "public_service.processing_time.duration",
    "public_service.channels[0].url",
    "public_service.channels[1].opening_hours.periods[0].closes",
];

#[tokio::test]
async fn bad_input_is_refused_field_by_field_and_nothing_is_written() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let token = catalog.bm();
    let request_id = Uuid::new_v4().to_string();
    let status = client
        .create_public_service(authed(
            CreatePublicServiceRequest {
                parent: "agencies/bm".to_owned(),
                public_service: Some(bad_service(&basics.category.name)),
                request_id: request_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_invalid(&status, &BAD_FIELDS);
    assert_eq!(
        violations(&status).len(),
        BAD_FIELDS.len(),
        "{:?}",
        violations(&status)
    );
    assert!(
        drafts_of(&mut client, &token, "agencies/bm")
            .await
            .is_empty()
    );
    // The refused request_id was not spent: a good request may use it.
    client
        .create_public_service(authed(
            CreatePublicServiceRequest {
                parent: "agencies/bm".to_owned(),
                public_service: Some(service(&basics.category.name, "Bon", &[], "")),
                request_id,
            },
            &token,
        ))
        .await
        .unwrap();
    let good = drafts_of(&mut client, &token, "agencies/bm")
        .await
        .remove(0);

    // Each case alone, on create and on update: one violation, nothing written.
    let life_event = create_life_event(&mut client, &catalog.ministry(), "Construire")
        .await
        .name;
    let category_name = basics.category.name.clone();
    let cases: Vec<(&str, Spoil)> = vec![
        (
            "public_service.costs[0].amount.amount_minor",
            Box::new(|s| s.costs = bad_service("").costs[..1].to_vec()),
        ),
        (
            "public_service.costs[0].amount.currency_code",
            Box::new(|s| s.costs = bad_service("").costs[1..].to_vec()),
        ),
        (
            "public_service.processing_time.duration",
            Box::new(|s| s.processing_time = bad_service("").processing_time),
        ),
        (
            "public_service.channels[0].url",
            Box::new(|s| s.channels = bad_service("").channels[..1].to_vec()),
        ),
        (
            "public_service.display_name.entries",
            Box::new(|s| s.display_name = bad_service("").display_name),
        ),
        (
            "public_service.channels[0].opening_hours.periods[0].closes",
            Box::new(|s| s.channels = bad_service("").channels[1..].to_vec()),
        ),
        (
            "public_service.related_platforms[0].url",
            Box::new(|s| {
                s.related_platforms = vec![wire::RelatedPlatform {
                    display_name: fr("Rokhas"),
                    url: "ftp://rokhas.ma".to_owned(),
                }];
            }),
        ),
        (
            "public_service.category",
            Box::new(|s| s.category = format!("categories/{}", Uuid::now_v7())),
        ),
        (
            "public_service.audiences[1]",
            Box::new(|s| s.audiences = vec![Audience::Citizens as i32, Audience::Citizens as i32]),
        ),
        (
            "public_service.life_events[1]",
            Box::new(move |s| s.life_events = vec![life_event.clone(), life_event.clone()]),
        ),
        (
            "public_service.life_events[0]",
            Box::new(move |s| s.life_events = vec![category_name.clone()]),
        ),
        (
            "public_service.life_events[0]",
            Box::new(|s| s.life_events = vec![format!("lifeEvents/{}", Uuid::now_v7())]),
        ),
    ];
    for (field, spoil) in &cases {
        let mut bad = service(&basics.category.name, "Cas", &[], "");
        spoil(&mut bad);
        let status = create_service(&mut client, &token, "agencies/bm", bad.clone())
            .await
            .unwrap_err();
        assert_invalid(&status, &[field]);
        assert_eq!(
            violations(&status).len(),
            1,
            "{field}: {:?}",
            violations(&status)
        );
        let mut update = bad;
        update.name = good.name.clone();
        update.etag = good.etag.clone();
        let status = client
            .update_public_service(authed(
                UpdatePublicServiceRequest {
                    public_service: Some(update),
                    update_mask: mask(&["*"]),
                },
                &token,
            ))
            .await
            .unwrap_err();
        assert_invalid(&status, &[field]);
    }
    let after = drafts_of(&mut client, &token, "agencies/bm").await;
    assert_eq!(after, vec![good.clone()], "nothing written");
    assert_eq!(revisions(&mut client, &token, &good.name).await.len(), 1);

    // Request-level fields.
    let status = client
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(PublicService {
                    name: good.name.clone(),
                    etag: String::new(),
                    ..good.clone()
                }),
                update_mask: mask(&["status", "description"]),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_invalid(&status, &["update_mask", "public_service.etag"]);
    let status = client
        .create_public_service(authed(
            CreatePublicServiceRequest {
                parent: "bm".to_owned(),
                public_service: Some(service(&basics.category.name, "X", &[], "")),
                request_id: "not-a-uuid".to_owned(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_invalid(&status, &["parent", "request_id"]);
    let status = client
        .get_public_service(GetPublicServiceRequest {
            name: "services/1".to_owned(),
            language_code: String::new(),
        })
        .await
        .unwrap_err();
    assert_invalid(&status, &["name"]);
    catalog.stop().await;
}

#[tokio::test]
async fn a_reused_request_id_replays_or_is_refused() {
    let catalog = Catalog::start().await;
    let basics = basics(&catalog).await;
    let mut client = catalog.client().await;
    let token = catalog.bm();
    let request_id = Uuid::new_v4().to_string();
    let request = |name: &str| CreatePublicServiceRequest {
        parent: "agencies/bm".to_owned(),
        public_service: Some(service(&basics.category.name, name, &[], "")),
        request_id: request_id.clone(),
    };
    let first = client
        .create_public_service(authed(request("Une"), &token))
        .await
        .unwrap()
        .into_inner();
    let again = client
        .create_public_service(authed(request("Une"), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, again);
    let status = client
        .create_public_service(authed(request("Autre"), &token))
        .await
        .unwrap_err();
    assert_invalid(&status, &["request_id"]);
    assert_eq!(drafts_of(&mut client, &token, "agencies/bm").await.len(), 1);
    catalog.stop().await;
}

// ---------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn page_sizes_are_clamped_and_negative_ones_refused() {
    let catalog = Catalog::start().await;
    let mut client = catalog.client().await;
    let ministry = catalog.ministry();
    for index in 0..501 {
        create_category(&mut client, &ministry, &format!("Catégorie {index}")).await;
    }
    let list = |size: i32, page_token: String| ListCategoriesRequest {
        page_size: size,
        page_token,
        ..ListCategoriesRequest::default()
    };
    let clamped = client
        .list_categories(list(100_000, String::new()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(clamped.categories.len(), 500);
    assert!(!clamped.next_page_token.is_empty());
    let rest = client
        .list_categories(list(100_000, clamped.next_page_token.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.categories.len(), 1);
    assert!(rest.next_page_token.is_empty());
    let default = client
        .list_categories(list(0, String::new()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(default.categories.len(), 50);
    let status = client
        .list_categories(list(-1, String::new()))
        .await
        .unwrap_err();
    assert_invalid(&status, &["page_size"]);
    let status = client
        .list_public_services(ListPublicServicesRequest {
            parent: "agencies/-".to_owned(),
            page_size: -5,
            ..ListPublicServicesRequest::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&status, &["page_size"]);
    // Creation order, and every category exactly once across pages.
    let mut seen = Vec::new();
    let mut next = String::new();
    loop {
        let page = client
            .list_categories(list(200, next))
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.categories.into_iter().map(|c| c.name));
        if page.next_page_token.is_empty() {
            break;
        }
        next = page.next_page_token;
    }
    assert_eq!(seen.len(), 501);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "UUIDv7 ids list in creation order");
    catalog.stop().await;
}

#[tokio::test]
async fn forged_foreign_and_expired_page_tokens_are_refused() {
    let catalog = Catalog::with_demo().await;
    let mut client = catalog.client().await;
    let first = client
        .list_public_services(ListPublicServicesRequest {
            parent: "agencies/-".to_owned(),
            page_size: 1,
            ..ListPublicServicesRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    let token = first.next_page_token.clone();
    assert!(!token.is_empty());
    let next = |page_token: String, parent: &str| ListPublicServicesRequest {
        parent: parent.to_owned(),
        page_size: 1,
        page_token,
        ..ListPublicServicesRequest::default()
    };
    client
        .list_public_services(next(token.clone(), "agencies/-"))
        .await
        .unwrap();
    let mut forged = token.clone().into_bytes();
    let middle = forged.len() / 2;
    forged[middle] = if forged[middle] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    for (page_token, parent) in [
        (forged, "agencies/-"),
        ("not a token".to_owned(), "agencies/-"),
        // Another filter.
        (token.clone(), "agencies/bm"),
    ] {
        let status = client
            .list_public_services(next(page_token, parent))
            .await
            .unwrap_err();
        assert_invalid(&status, &["page_token"]);
    }
    // Another caller's agency.
    let status = client
        .list_public_services(authed(next(token.clone(), "agencies/-"), &catalog.bm()))
        .await
        .unwrap_err();
    assert_invalid(&status, &["page_token"]);
    // Another method.
    let status = client
        .search_public_services(SearchPublicServicesRequest {
            parent: "agencies/-".to_owned(),
            query: "logement".to_owned(),
            page_token: token.clone(),
            ..SearchPublicServicesRequest::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&status, &["page_token"]);
    // Expired.
    catalog.clock.advance(SignedDuration::from_hours(2));
    let status = client
        .list_public_services(next(token, "agencies/-"))
        .await
        .unwrap_err();
    assert_invalid(&status, &["page_token"]);
    catalog.stop().await;
}

#[tokio::test]
async fn lists_filter_and_sync_by_update_time() {
    let catalog = Catalog::with_demo().await;
    let mut client = catalog.client().await;
    let categories = client
        .list_categories(ListCategoriesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .categories;
    let housing = categories
        .iter()
        .find(|c| {
            c.display_name
                .as_ref()
                .unwrap()
                .entries
                .iter()
                .any(|e| e.text == "Housing")
        })
        .unwrap();
    let lister = client.clone();
    let list = |request: ListPublicServicesRequest| {
        let mut client = lister.clone();
        async move {
            client
                .list_public_services(request)
                .await
                .unwrap()
                .into_inner()
                .public_services
        }
    };
    let all = list(ListPublicServicesRequest {
        parent: "agencies/-".to_owned(),
        ..ListPublicServicesRequest::default()
    })
    .await;
    assert_eq!(all.len(), 5);
    let bm = list(ListPublicServicesRequest {
        parent: "agencies/bm".to_owned(),
        ..ListPublicServicesRequest::default()
    })
    .await;
    assert_eq!(bm.len(), 4);
    let housing_services = list(ListPublicServicesRequest {
        parent: "agencies/-".to_owned(),
        category: housing.name.clone(),
        ..ListPublicServicesRequest::default()
    })
    .await;
    assert_eq!(housing_services.len(), 1);
    let diaspora_desks = list(ListPublicServicesRequest {
        parent: "agencies/-".to_owned(),
        audience: Audience::Diaspora as i32,
        channel_kind: ChannelKind::InPerson as i32,
        ..ListPublicServicesRequest::default()
    })
    .await;
    assert_eq!(diaspora_desks.len(), 3, "{diaspora_desks:?}");
    let life_events = client
        .list_life_events(jalia_proto::catalog::v1::ListLifeEventsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .life_events;
    let buying = life_events
        .iter()
        .find(|l| {
            l.display_name
                .as_ref()
                .unwrap()
                .entries
                .iter()
                .any(|e| e.text == "Buying a home")
        })
        .unwrap();
    let buying_services = list(ListPublicServicesRequest {
        parent: "agencies/-".to_owned(),
        life_event: buying.name.clone(),
        ..ListPublicServicesRequest::default()
    })
    .await;
    assert_eq!(buying_services.len(), 1);
    // Incremental sync: only what changed after, in (update_time, id) order.
    catalog.clock.advance(SignedDuration::from_mins(1));
    let mark = catalog.now();
    catalog.clock.advance(SignedDuration::from_mins(1));
    let token = catalog.bm();
    let target = bm.last().unwrap().clone();
    let mut change = target.clone();
    change.description = fr("Mise à jour");
    client
        .update_public_service(authed(
            UpdatePublicServiceRequest {
                public_service: Some(change),
                update_mask: mask(&["description"]),
            },
            &token,
        ))
        .await
        .unwrap();
    let changed = list(ListPublicServicesRequest {
        parent: "agencies/-".to_owned(),
        updated_after: Some(jalia_proto::convert::timestamp(mark)),
        ..ListPublicServicesRequest::default()
    })
    .await;
    assert_eq!(
        changed.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        vec![target.name]
    );
    let status = client
        .list_public_services(ListPublicServicesRequest {
            parent: "agencies/-".to_owned(),
            statuses: vec![0],
            audience: 99,
            ..ListPublicServicesRequest::default()
        })
        .await
        .unwrap_err();
    assert_invalid(&status, &["statuses[0]", "audience"]);
    catalog.stop().await;
}

// ---------------------------------------------------------------------------------------
// Agencies, taxonomy, languages, demo
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_demo_loads_twice_without_change() {
    let catalog = Catalog::with_demo().await;
    let mut client = catalog.client().await;
    let ministry = catalog.ministry();
    let before = drafts_of(&mut client, &ministry, "agencies/-").await;
    let app = Application::build(catalog.config.clone(), catalog.clock.clone())
        .await
        .unwrap();
    catalog.clock.advance(SignedDuration::from_mins(10));
    app.load_demo().await.unwrap();
    let after = drafts_of(&mut client, &ministry, "agencies/-").await;
    assert_eq!(before, after);
    assert_eq!(after.len(), 5);
    assert!(
        after
            .iter()
            .all(|s| s.status == PublicServiceStatus::Published as i32)
    );
    for service in &after {
        assert_eq!(
            revisions(&mut client, &ministry, &service.name).await.len(),
            2
        );
    }
    let agencies = client
        .list_agencies(ListAgenciesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .agencies;
    assert_eq!(
        agencies.iter().map(|a| a.code.as_str()).collect::<Vec<_>>(),
        vec!["bm", "matnuhpv", "wbmk"],
        "by code"
    );
    let bm = client
        .get_agency(GetAgencyRequest {
            name: "agencies/bm".to_owned(),
            language_code: "fr".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        bm.display_name.unwrap().resolved.unwrap().text,
        "Agence urbaine de Béni Mellal"
    );
    assert_eq!(bm.sites.len(), 4);
    assert_eq!(
        bm.parent_body
            .unwrap()
            .display_name
            .unwrap()
            .resolved
            .unwrap()
            .text,
        "Ministère de l'Aménagement du territoire national, de l'Urbanisme, de l'Habitat et de la Politique de la ville"
    );
    let hours = bm.sites[0].opening_hours.clone().unwrap();
    assert_eq!(hours.time_zone, "Africa/Casablanca");
    let saturday = hours
        .periods
        .iter()
        .find(|p| p.day_of_week == wire::DayOfWeek::Saturday as i32)
        .unwrap();
    assert_eq!(
        (saturday.opens.as_str(), saturday.closes.as_str()),
        ("09:00", "13:00")
    );
    assert_eq!(saturday.valid_until.as_ref().unwrap().date, "2025-09-15");
    // Illustrative values say so.
    let note = after
        .iter()
        .find(|s| french_name(s) == "Note de renseignements urbanistiques")
        .unwrap();
    assert!(note.costs.iter().all(|c| c.illustrative));
    assert!(note.processing_time.as_ref().unwrap().illustrative);
    catalog.stop().await;
}

#[tokio::test]
async fn texts_resolve_in_the_language_asked_along_the_chain() {
    let catalog = Catalog::with_demo().await;
    let mut client = catalog.client().await;
    let any = client
        .list_public_services(ListPublicServicesRequest {
            parent: "agencies/bm".to_owned(),
            page_size: 1,
            ..ListPublicServicesRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .public_services
        .remove(0);
    let read = |language: &str, header: Option<&str>| {
        let mut client = client.clone();
        let mut request = Request::new(GetPublicServiceRequest {
            name: any.name.clone(),
            language_code: language.to_owned(),
        });
        if let Some(header) = header {
            request
                .metadata_mut()
                .insert("accept-language", header.parse().unwrap());
        }
        async move {
            client
                .get_public_service(request)
                .await
                .unwrap()
                .into_inner()
                .display_name
                .unwrap()
                .resolved
                .unwrap()
        }
    };
    let french = read("fr-FR", None).await;
    assert_eq!(french.language_code, "fr");
    assert_eq!(french.direction, TextDirection::Ltr as i32);
    let amazigh = read("zgh", None).await;
    assert_eq!(amazigh.language_code, "ar", "Amazigh falls back to Arabic");
    assert_eq!(amazigh.direction, TextDirection::Rtl as i32);
    let by_header = read("", Some("en;q=0.9, de;q=0.5")).await;
    assert_eq!(by_header.language_code, "en");
    let default = read("de", None).await;
    assert_eq!(default.language_code, "ar", "the chain starts with Arabic");
    catalog.stop().await;
}

#[tokio::test]
async fn agencies_and_the_taxonomy_follow_their_access_rules() {
    let catalog = Catalog::start().await;
    let mut client = catalog.client().await;
    let ministry = catalog.ministry();
    let agency_token = catalog.bm();
    create_agency(
        &mut client,
        &ministry,
        "matnuhpv",
        wire::AgencyKind::Ministry,
    )
    .await
    .unwrap();
    let bm = create_agency(&mut client, &ministry, "bm", wire::AgencyKind::UrbanAgency)
        .await
        .unwrap();
    // Creating agencies and categories is for the ministry.
    let status = create_agency(&mut client, &agency_token, "xx", wire::AgencyKind::Commune)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let status = client
        .create_category(authed(
            CreateCategoryRequest {
                category: Some(Category {
                    display_name: fr("Autre"),
                    ..Category::default()
                }),
                request_id: String::new(),
            },
            &agency_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    // A taken code.
    let status = create_agency(&mut client, &ministry, "bm", wire::AgencyKind::UrbanAgency)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    // Bad agencies.
    let status = client
        .create_agency(authed(
            CreateAgencyRequest {
                agency: Some(Agency {
                    code: "B-M".to_owned(),
                    parent_body: Some(jalia_proto::r#type::v1::AgencyReference {
                        name: "agencies/nowhere".to_owned(),
                        display_name: None,
                    }),
                    ..Agency::default()
                }),
                request_id: String::new(),
            },
            &ministry,
        ))
        .await
        .unwrap_err();
    assert_invalid(
        &status,
        &["agency.code", "agency.display_name.entries", "agency.kind"],
    );
    // The agency renames itself; moving it in the hierarchy is for the ministry.
    let mut renamed = bm.clone();
    renamed.display_name = text(&[
        ("fr", "Agence urbaine de Béni Mellal"),
        ("ar", "الوكالة الحضرية لبني ملال"),
    ]);
    let renamed = client
        .update_agency(authed(
            UpdateAgencyRequest {
                agency: Some(renamed),
                update_mask: mask(&["display_name"]),
            },
            &agency_token,
        ))
        .await
        .unwrap()
        .into_inner();
    let mut moved = renamed.clone();
    moved.parent_body = Some(jalia_proto::r#type::v1::AgencyReference {
        name: "agencies/matnuhpv".to_owned(),
        display_name: None,
    });
    let status = client
        .update_agency(authed(
            UpdateAgencyRequest {
                agency: Some(moved.clone()),
                update_mask: mask(&["parent_body"]),
            },
            &agency_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let moved = client
        .update_agency(authed(
            UpdateAgencyRequest {
                agency: Some(moved),
                update_mask: mask(&["parent_body"]),
            },
            &ministry,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(moved.parent_body.unwrap().name, "agencies/matnuhpv");
    // A cycle is refused.
    let ministry_agency = client
        .get_agency(GetAgencyRequest {
            name: "agencies/matnuhpv".to_owned(),
            language_code: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let status = client
        .update_agency(authed(
            UpdateAgencyRequest {
                agency: Some(Agency {
                    parent_body: Some(jalia_proto::r#type::v1::AgencyReference {
                        name: "agencies/bm".to_owned(),
                        display_name: None,
                    }),
                    ..ministry_agency.clone()
                }),
                update_mask: mask(&["parent_body"]),
            },
            &ministry,
        ))
        .await
        .unwrap_err();
    assert_invalid(&status, &["agency.parent_body.name"]);
    // A stale etag.
    let status = client
        .update_agency(authed(
            UpdateAgencyRequest {
                agency: Some(bm),
                update_mask: mask(&["display_name"]),
            },
            &ministry,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Aborted);
    // Another agency cannot change it.
    let status = client
        .update_agency(authed(
            UpdateAgencyRequest {
                agency: Some(ministry_agency),
                update_mask: mask(&["display_name"]),
            },
            &agency_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    // Categories: get, update with etag.
    let category = create_category(&mut client, &ministry, "Habitat").await;
    let read = client
        .get_category(GetCategoryRequest {
            name: category.name.clone(),
            language_code: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, category);
    let status = client
        .get_category(GetCategoryRequest {
            name: format!("categories/{}", Uuid::now_v7()),
            language_code: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    catalog.stop().await;
}

#[tokio::test]
async fn taxonomy_changes_need_the_ministry_and_the_current_etag() {
    let catalog = Catalog::start().await;
    let mut client = catalog.client().await;
    let ministry = catalog.ministry();
    let life_event = create_life_event(&mut client, &ministry, "Construire une maison").await;
    let read = client
        .get_life_event(wire::GetLifeEventRequest {
            name: life_event.name.clone(),
            language_code: "fr".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        read.display_name.unwrap().resolved.unwrap().text,
        "Construire une maison"
    );
    let mut change = life_event.clone();
    change.display_name = text(&[("fr", "Construire une maison"), ("ar", "بناء منزل")]);
    let update = |life_event: LifeEvent| wire::UpdateLifeEventRequest {
        life_event: Some(life_event),
        update_mask: mask(&["display_name"]),
    };
    let status = client
        .update_life_event(authed(update(change.clone()), &catalog.bm()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    catalog.clock.advance(SignedDuration::from_mins(1));
    let mark = catalog.now();
    catalog.clock.advance(SignedDuration::from_mins(1));
    let updated = client
        .update_life_event(authed(update(change.clone()), &ministry))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(updated.etag, life_event.etag);
    assert_eq!(updated.display_name.as_ref().unwrap().entries.len(), 2);
    let status = client
        .update_life_event(authed(update(change), &ministry))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Aborted);
    create_life_event(&mut client, &ministry, "Acheter un logement").await;
    let changed = client
        .list_life_events(wire::ListLifeEventsRequest {
            updated_after: Some(jalia_proto::convert::timestamp(mark)),
            ..wire::ListLifeEventsRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .life_events;
    assert_eq!(changed.len(), 2, "the updated one and the new one");
    assert_eq!(changed[0].name, life_event.name, "by update time");
    // Categories follow the same rules.
    let category = create_category(&mut client, &ministry, "Habitat").await;
    let mut renamed = category.clone();
    renamed.description = fr("Logement et habitat");
    let status = client
        .update_category(authed(
            wire::UpdateCategoryRequest {
                category: Some(renamed.clone()),
                update_mask: mask(&["description", "etag"]),
            },
            &ministry,
        ))
        .await
        .unwrap_err();
    assert_invalid(&status, &["update_mask"]);
    let updated = client
        .update_category(authed(
            wire::UpdateCategoryRequest {
                category: Some(renamed),
                update_mask: None,
            },
            &ministry,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        updated.description.unwrap().resolved.unwrap().text,
        "Logement et habitat"
    );
    let status = client
        .get_life_event(wire::GetLifeEventRequest {
            name: category.name.clone(),
            language_code: String::new(),
        })
        .await
        .unwrap_err();
    assert_invalid(&status, &["name"]);
    catalog.stop().await;
}
