//! The inquiries service end to end: real servers on 127.0.0.1:0 over a test database
//! (SQLite by default, PostgreSQL when JALIA_TEST_POSTGRES_URL is set), the generated
//! client, development tokens, a clock the tests set, and a fake services catalog built
//! from jalia-proto's generated server trait, on its own port.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use jalia_db::Backend;
use jalia_db::testing::{POSTGRES_URL_ENV, TestDatabase};
use jalia_inquiries::{Application, Config, Reconciler};
use jalia_proto::catalog::v1 as catalog;
use jalia_proto::catalog::v1::catalog_service_server::{CatalogService, CatalogServiceServer};
use jalia_proto::inquiries::v1::inquiry_service_client::InquiryServiceClient;
use jalia_proto::inquiries::v1::*;
use jalia_proto::r#type::v1::{CivilDate, LocalizedString, LocalizedText};
use jalia_runtime::auth::{DevTokenIssuer, TokenClaims};
use jalia_runtime::{Clock, ManualClock, Shutdown, ShutdownTrigger};
use jiff::{SignedDuration, Timestamp};
use prost::Message as _;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;
use uuid::Uuid;

const ALL_SCOPES: [&str; 4] = [
    "inquiries.submit",
    "inquiries.read",
    "inquiries.handle",
    "inquiries.stats",
];

// ---- the fake services catalog ---------------------------------------------------------

/// A services catalog that knows a few published services and their processing times,
/// and counts how often it is asked.
#[derive(Clone, Default)]
struct FakeCatalog {
    services: Arc<Mutex<HashMap<String, Option<i64>>>>,
    asked: Arc<AtomicUsize>,
}

impl FakeCatalog {
    /// Publishes a service with a processing time in days (None: it states none).
    fn publish(&self, name: &str, days: Option<i64>) {
        self.services.lock().unwrap().insert(name.to_owned(), days);
    }
}

impl FakeCatalog {
    fn processing_target(
        &self,
        request: Request<catalog::GetProcessingTargetRequest>,
    ) -> Result<tonic::Response<catalog::GetProcessingTargetResponse>, Status> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        let name = request.into_inner().name;
        let known = self.services.lock().unwrap().get(&name).copied();
        match known {
            None => Err(Status::not_found("no published service by this name")),
            Some(days) => Ok(tonic::Response::new(catalog::GetProcessingTargetResponse {
                public_service: name,
                revision: 3,
                processing_time: days.map(|days| prost_types::Duration {
                    seconds: days * 86_400,
                    nanos: 0,
                }),
                illustrative: true,
            })),
        }
    }
}

/// The catalog's trait with GetProcessingTarget answered and every other RPC
/// UNIMPLEMENTED (the macro writes the whole impl, so that `async_trait` sees every
/// method).
macro_rules! fake_catalog_service {
    ($($method:ident($request:ty) -> $response:ty;)*) => {
        #[tonic::async_trait]
        impl CatalogService for FakeCatalog {
            async fn get_processing_target(
                &self,
                request: Request<catalog::GetProcessingTargetRequest>,
            ) -> Result<tonic::Response<catalog::GetProcessingTargetResponse>, Status> {
                self.processing_target(request)
            }

            $(
                async fn $method(
                    &self,
                    _request: Request<$request>,
                ) -> Result<tonic::Response<$response>, Status> {
                    Err(Status::unimplemented("not part of the fake catalog"))
                }
            )*
        }
    };
}

fake_catalog_service! {
    get_agency(catalog::GetAgencyRequest) -> catalog::Agency;
    list_agencies(catalog::ListAgenciesRequest) -> catalog::ListAgenciesResponse;
    create_agency(catalog::CreateAgencyRequest) -> catalog::Agency;
    update_agency(catalog::UpdateAgencyRequest) -> catalog::Agency;
    get_category(catalog::GetCategoryRequest) -> catalog::Category;
    list_categories(catalog::ListCategoriesRequest) -> catalog::ListCategoriesResponse;
    create_category(catalog::CreateCategoryRequest) -> catalog::Category;
    update_category(catalog::UpdateCategoryRequest) -> catalog::Category;
    get_life_event(catalog::GetLifeEventRequest) -> catalog::LifeEvent;
    list_life_events(catalog::ListLifeEventsRequest) -> catalog::ListLifeEventsResponse;
    create_life_event(catalog::CreateLifeEventRequest) -> catalog::LifeEvent;
    update_life_event(catalog::UpdateLifeEventRequest) -> catalog::LifeEvent;
    get_public_service(catalog::GetPublicServiceRequest) -> catalog::PublicService;
    list_public_services(catalog::ListPublicServicesRequest) -> catalog::ListPublicServicesResponse;
    create_public_service(catalog::CreatePublicServiceRequest) -> catalog::PublicService;
    update_public_service(catalog::UpdatePublicServiceRequest) -> catalog::PublicService;
    delete_public_service(catalog::DeletePublicServiceRequest) -> ();
    publish_public_service(catalog::PublishPublicServiceRequest) -> catalog::PublicService;
    retire_public_service(catalog::RetirePublicServiceRequest) -> catalog::PublicService;
    list_public_service_revisions(catalog::ListPublicServiceRevisionsRequest) -> catalog::ListPublicServiceRevisionsResponse;
    get_public_service_revision(catalog::GetPublicServiceRevisionRequest) -> catalog::PublicServiceRevision;
    search_public_services(catalog::SearchPublicServicesRequest) -> catalog::SearchPublicServicesResponse;
}

/// The fake catalog serving on a port of its own.
struct CatalogServer {
    addr: SocketAddr,
    trigger: ShutdownTrigger,
    task: tokio::task::JoinHandle<()>,
}

impl CatalogServer {
    async fn start(fake: FakeCatalog, addr: SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (trigger, shutdown) = Shutdown::manual();
        let task = tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(CatalogServiceServer::new(fake))
                .serve_with_incoming_shutdown(
                    tokio_stream::wrappers::TcpListenerStream::new(listener),
                    shutdown.wait(),
                )
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

/// A loopback address with nothing listening on it (a catalog that is down).
fn free_address() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

// ---- the world a test runs in ----------------------------------------------------------

/// One test's world: a database, one or more inquiries servers on it, a set clock, a
/// fake catalog, and a way to mint tokens.
struct World {
    database: TestDatabase,
    config: Config,
    clock: Arc<ManualClock>,
    issuer: DevTokenIssuer,
    catalog: FakeCatalog,
    catalog_addr: SocketAddr,
    catalog_server: Option<CatalogServer>,
    servers: Vec<Running>,
    _dir: tempfile::TempDir,
}

struct Running {
    addr: SocketAddr,
    reconciler: Reconciler,
    trigger: ShutdownTrigger,
    task: tokio::task::JoinHandle<Result<(), jalia_runtime::ServerError>>,
}

/// When the catalog starts.
#[derive(PartialEq, Eq)]
enum CatalogAt {
    Up,
    Down,
}

/// 10 August 2025, 10:00 in Béni Mellal: the morning of the meeting at the Wilaya.
fn meeting_day() -> Timestamp {
    local("2025-08-10T10:00:00")
}

/// A wall-clock time in Casablanca (UTC+1 in August).
fn local(wall: &str) -> Timestamp {
    format!("{wall}+01:00").parse().unwrap()
}

impl World {
    async fn start(instances: usize, catalog_at: CatalogAt) -> Self {
        let catalog = FakeCatalog::default();
        let (catalog_addr, catalog_server) = match catalog_at {
            CatalogAt::Up => {
                let server = CatalogServer::start(catalog.clone(), free_address()).await;
                (server.addr, Some(server))
            }
            CatalogAt::Down => (free_address(), None),
        };
        let database = TestDatabase::new().await;
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::development(dir.path(), database.config().url());
        config.catalog_url = format!("http://{catalog_addr}");
        config.catalog_timeout = Duration::from_secs(2);
        // Rounds run when a test asks for them, not on a timer.
        config.reconcile_interval = Duration::from_secs(3600);
        config.server.auth.max_token_lifetime = Duration::from_secs(30 * 86_400); // the tests' span
        jalia_inquiries::migrate(&config.storage).await.unwrap();
        let clock = ManualClock::new(meeting_day());
        let issuer = DevTokenIssuer::from_config(&config.server.auth).unwrap();
        let mut world = Self {
            database,
            config,
            clock,
            issuer,
            catalog,
            catalog_addr,
            catalog_server,
            servers: Vec::new(),
            _dir: dir,
        };
        for _ in 0..instances {
            world.add_server().await;
        }
        world
    }

    async fn add_server(&mut self) {
        let app = Application::build(self.config.clone(), self.clock.clone())
            .await
            .unwrap();
        let addr = app.local_addr();
        let reconciler = app.reconciler();
        let (trigger, shutdown) = Shutdown::manual();
        let task = tokio::spawn(app.run(shutdown));
        self.servers.push(Running {
            addr,
            reconciler,
            trigger,
            task,
        });
    }

    async fn bring_catalog_up(&mut self) {
        assert!(self.catalog_server.is_none());
        self.catalog_server =
            Some(CatalogServer::start(self.catalog.clone(), self.catalog_addr).await);
    }

    async fn take_catalog_down(&mut self) {
        if let Some(server) = self.catalog_server.take() {
            server.stop().await;
        }
    }

    fn set_clock(&self, wall: &str) {
        self.clock.set(local(wall));
    }

    fn reconciler(&self) -> &Reconciler {
        &self.servers[0].reconciler
    }

    fn token(&self, subject: &str, agency: &str) -> String {
        self.issuer
            .mint(&TokenClaims::new(
                &self.config.server.auth,
                subject,
                agency,
                &ALL_SCOPES,
                self.clock.now(),
                Duration::from_secs(30 * 86_400),
            ))
            .unwrap()
    }

    /// A caller of `agency` (`*` for ministry-wide) named `subject`, on server `index`.
    async fn caller_on(&self, index: usize, subject: &str, agency: &str) -> Api {
        Api {
            client: client(self.servers[index].addr).await,
            token: Some(self.token(subject, agency)),
        }
    }

    async fn caller(&self, subject: &str, agency: &str) -> Api {
        self.caller_on(0, subject, agency).await
    }

    /// A caller without a token, as a citizen portal calling LookupInquiry.
    async fn anonymous(&self) -> Api {
        Api {
            client: client(self.servers[0].addr).await,
            token: None,
        }
    }

    async fn stop(mut self) {
        for server in self.servers.drain(..) {
            server.trigger.trigger();
            server.task.await.unwrap().unwrap();
        }
        self.take_catalog_down().await;
    }
}

async fn client(addr: SocketAddr) -> InquiryServiceClient<Channel> {
    InquiryServiceClient::connect(format!("http://{addr}"))
        .await
        .unwrap()
}

/// The generated client with a caller's token on every call.
#[derive(Clone)]
struct Api {
    client: InquiryServiceClient<Channel>,
    token: Option<String>,
}

impl Api {
    fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        if let Some(token) = &self.token {
            request
                .metadata_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        request
    }

    async fn submit(&self, request: SubmitInquiryRequest) -> Result<SubmitInquiryResponse, Status> {
        let request = self.request(request);
        Ok(self
            .client
            .clone()
            .submit_inquiry(request)
            .await?
            .into_inner())
    }

    async fn lookup(&self, reference: &str, code: &str) -> Result<LookupInquiryResponse, Status> {
        let request = self.request(LookupInquiryRequest {
            reference: reference.to_owned(),
            tracking_code: code.to_owned(),
            language_code: "fr".to_owned(),
        });
        Ok(self
            .client
            .clone()
            .lookup_inquiry(request)
            .await?
            .into_inner())
    }

    async fn get(&self, name: &str) -> Result<Inquiry, Status> {
        let request = self.request(GetInquiryRequest {
            name: name.to_owned(),
            language_code: "fr".to_owned(),
        });
        Ok(self.client.clone().get_inquiry(request).await?.into_inner())
    }

    async fn list(&self, request: ListInquiriesRequest) -> Result<ListInquiriesResponse, Status> {
        let request = self.request(request);
        Ok(self
            .client
            .clone()
            .list_inquiries(request)
            .await?
            .into_inner())
    }

    /// Every inquiry matching `request`, page after page.
    async fn list_all(&self, mut request: ListInquiriesRequest) -> Vec<Inquiry> {
        let mut all = Vec::new();
        loop {
            let page = self.list(request.clone()).await.unwrap();
            all.extend(page.inquiries);
            if page.next_page_token.is_empty() {
                return all;
            }
            request.page_token = page.next_page_token;
        }
    }

    async fn update(&self, inquiry: Inquiry, paths: &[&str]) -> Result<Inquiry, Status> {
        let request = self.request(UpdateInquiryRequest {
            inquiry: Some(inquiry),
            update_mask: Some(prost_types::FieldMask {
                paths: paths.iter().map(|path| (*path).to_owned()).collect(),
            }),
        });
        Ok(self
            .client
            .clone()
            .update_inquiry(request)
            .await?
            .into_inner())
    }

    async fn assign(
        &self,
        inquiry: &Inquiry,
        team: &str,
        agent: &str,
        note: &str,
    ) -> Result<Inquiry, Status> {
        let request = self.request(AssignInquiryRequest {
            name: inquiry.name.clone(),
            etag: inquiry.etag.clone(),
            assignment: Some(Assignment {
                team: team.to_owned(),
                agent: agent.to_owned(),
            }),
            note: note.to_owned(),
        });
        Ok(self
            .client
            .clone()
            .assign_inquiry(request)
            .await?
            .into_inner())
    }

    async fn transition(
        &self,
        inquiry: &Inquiry,
        status: InquiryStatus,
        note: &str,
    ) -> Result<Inquiry, Status> {
        self.transition_with(inquiry, status, note, None).await
    }

    async fn transition_with(
        &self,
        inquiry: &Inquiry,
        status: InquiryStatus,
        note: &str,
        referral: Option<Referral>,
    ) -> Result<Inquiry, Status> {
        let request = self.request(TransitionInquiryRequest {
            name: inquiry.name.clone(),
            etag: inquiry.etag.clone(),
            status: status as i32,
            note: note.to_owned(),
            referral,
        });
        Ok(self
            .client
            .clone()
            .transition_inquiry(request)
            .await?
            .into_inner())
    }

    async fn write(
        &self,
        inquiry: &str,
        visibility: MessageVisibility,
        body: &str,
    ) -> Result<InquiryMessage, Status> {
        let request = self.request(AddInquiryMessageRequest {
            parent: inquiry.to_owned(),
            inquiry_message: Some(InquiryMessage {
                visibility: visibility as i32,
                body: body.to_owned(),
                ..Default::default()
            }),
            request_id: Uuid::new_v4().to_string(),
        });
        Ok(self
            .client
            .clone()
            .add_inquiry_message(request)
            .await?
            .into_inner())
    }

    async fn messages(&self, inquiry: &str) -> Result<ListInquiryMessagesResponse, Status> {
        let request = self.request(ListInquiryMessagesRequest {
            parent: inquiry.to_owned(),
            ..Default::default()
        });
        Ok(self
            .client
            .clone()
            .list_inquiry_messages(request)
            .await?
            .into_inner())
    }

    async fn create_category(
        &self,
        parent: &str,
        french_name: &str,
        days: i32,
    ) -> Result<InquiryCategory, Status> {
        self.create_category_with(parent, french_name, days, &Uuid::new_v4().to_string())
            .await
    }

    async fn create_category_with(
        &self,
        parent: &str,
        french_name: &str,
        days: i32,
        request_id: &str,
    ) -> Result<InquiryCategory, Status> {
        let request = self.request(CreateInquiryCategoryRequest {
            parent: parent.to_owned(),
            inquiry_category: Some(InquiryCategory {
                display_name: Some(text("fr", french_name)),
                default_response_days: days,
                ..Default::default()
            }),
            request_id: request_id.to_owned(),
        });
        Ok(self
            .client
            .clone()
            .create_inquiry_category(request)
            .await?
            .into_inner())
    }

    async fn statistics(
        &self,
        parent: &str,
        start: &str,
        end: &str,
    ) -> Result<GetInquiryStatisticsResponse, Status> {
        let request = self.request(GetInquiryStatisticsRequest {
            parent: parent.to_owned(),
            period_start: Some(date(start)),
            period_end: Some(date(end)),
            language_code: "fr".to_owned(),
        });
        Ok(self
            .client
            .clone()
            .get_inquiry_statistics(request)
            .await?
            .into_inner())
    }
}

fn text(language: &str, value: &str) -> LocalizedText {
    LocalizedText {
        entries: vec![LocalizedString {
            language_code: language.to_owned(),
            text: value.to_owned(),
        }],
        resolved: None,
    }
}

fn date(value: &str) -> CivilDate {
    CivilDate {
        date: value.to_owned(),
    }
}

/// A citizen's submission as a desk system sends it. The requester is fictional.
fn submission(category: &InquiryCategory) -> SubmitInquiryRequest {
    SubmitInquiryRequest {
        parent: "agencies/bm".to_owned(),
        inquiry: Some(Inquiry {
            requester: Some(Requester {
                display_name: "Samira Fictive".to_owned(),
                email: "samira.fictive@example.org".to_owned(),
                phone: "+33 6 98 76 54 32".to_owned(),
                country_of_residence: "FR".to_owned(),
                preferred_language_code: "fr".to_owned(),
                diaspora: true,
            }),
            channel: InquiryChannel::EventDesk as i32,
            category: category.name.clone(),
            subject: "Permis de construire depuis la France".to_owned(),
            body: "Comment déposer ma demande de permis de construire sur Rokhas ?".to_owned(),
            ..Default::default()
        }),
        request_id: Uuid::new_v4().to_string(),
    }
}

fn inquiry_mut(request: &mut SubmitInquiryRequest) -> &mut Inquiry {
    request.inquiry.as_mut().unwrap()
}

fn requester_mut(request: &mut SubmitInquiryRequest) -> &mut Requester {
    inquiry_mut(request).requester.as_mut().unwrap()
}

fn service_name() -> String {
    format!("agencies/bm/services/{}", Uuid::now_v7())
}

fn due_date(inquiry: &Inquiry) -> &str {
    &inquiry.due_date.as_ref().unwrap().date
}

fn reason(status: &Status) -> String {
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}

fn violated_fields(status: &Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|bad| {
            bad.field_violations
                .into_iter()
                .map(|violation| violation.field)
                .collect()
        })
        .unwrap_or_default()
}

fn assert_invalid(result: Result<impl std::fmt::Debug, Status>, field: &str) {
    let status = result.expect_err("expected INVALID_ARGUMENT");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let fields = violated_fields(&status);
    assert!(
        fields.iter().any(|f| f == field),
        "expected a violation on {field}, got {fields:?}"
    );
}

fn assert_code(result: Result<impl std::fmt::Debug, Status>, code: Code) -> Status {
    let status = result.expect_err("expected a refusal");
    assert_eq!(status.code(), code, "{status:?}");
    status
}

fn list_of(parent: &str) -> ListInquiriesRequest {
    ListInquiriesRequest {
        parent: parent.to_owned(),
        ..Default::default()
    }
}

// ---- the tests -------------------------------------------------------------------------

#[tokio::test]
async fn the_run_uses_the_backend_it_was_asked_for() {
    let world = World::start(1, CatalogAt::Down).await;
    let postgres = std::env::var(POSTGRES_URL_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty())
        .is_some();
    assert_eq!(
        world.database.backend(),
        if postgres {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    );
    world.stop().await;
}

#[tokio::test]
async fn fifty_concurrent_submissions_on_two_instances_get_fifty_references() {
    let world = World::start(2, CatalogAt::Down).await;
    let desk = world.caller("desk-app", "bm").await;
    let category = desk
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let callers = [
        world.caller_on(0, "desk-app", "bm").await,
        world.caller_on(1, "desk-app", "bm").await,
    ];
    let mut tasks = Vec::new();
    for index in 0..50 {
        let caller = callers[index % 2].clone();
        let request = submission(&category);
        tasks.push(tokio::spawn(async move { caller.submit(request).await }));
    }
    let mut references = BTreeSet::new();
    let mut codes = BTreeSet::new();
    for task in tasks {
        let response = task.await.unwrap().unwrap();
        references.insert(response.inquiry.unwrap().reference);
        codes.insert(response.tracking_code);
    }
    assert_eq!(
        references.len(),
        50,
        "every submission has its own reference"
    );
    assert_eq!(codes.len(), 50);
    let expected: BTreeSet<String> = (1..=50).map(|n| format!("BM-2025-{n:06}")).collect();
    assert_eq!(
        references, expected,
        "a gapless sequence for the agency's year"
    );
    world.stop().await;
}

#[tokio::test]
async fn twenty_concurrent_retries_of_one_request_make_one_inquiry() {
    let world = World::start(2, CatalogAt::Down).await;
    let desk = world.caller("desk-app", "bm").await;
    let category = desk
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let callers = [
        world.caller_on(0, "desk-app", "bm").await,
        world.caller_on(1, "desk-app", "bm").await,
    ];
    let request = submission(&category);
    let mut tasks = Vec::new();
    for index in 0..20 {
        let caller = callers[index % 2].clone();
        let request = request.clone();
        tasks.push(tokio::spawn(async move { caller.submit(request).await }));
    }
    let mut outcomes = BTreeSet::new();
    for task in tasks {
        let response = task.await.unwrap().unwrap();
        let inquiry = response.inquiry.unwrap();
        outcomes.insert((inquiry.name, inquiry.reference, response.tracking_code));
    }
    assert_eq!(
        outcomes.len(),
        1,
        "one inquiry, one reference, one code: {outcomes:?}"
    );
    let listed = desk.list_all(list_of("agencies/bm")).await;
    assert_eq!(listed.len(), 1);

    // The code given on every retry is the one that opens the inquiry.
    let (_, reference, code) = outcomes.into_iter().next().unwrap();
    let seen = world
        .anonymous()
        .await
        .lookup(&reference, &code)
        .await
        .unwrap();
    assert_eq!(seen.reference, reference);

    // The same request_id with another request is refused, and writes nothing.
    let mut other = request.clone();
    inquiry_mut(&mut other).subject = "Une autre question".to_owned();
    assert_invalid(desk.submit(other).await, "request_id");
    assert_eq!(desk.list_all(list_of("agencies/bm")).await.len(), 1);
    world.stop().await;
}

#[tokio::test]
async fn the_building_permit_inquiry_of_10_august_is_replayed_from_its_history() {
    let world = World::start(1, CatalogAt::Down).await;
    let desk = world.caller("desk-app-wilaya", "bm").await;
    let chief = world.caller("chef-guichet-mre", "bm").await;
    let agent = world.caller("agent-urbanisme", "bm").await;
    let category = chief
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();

    // Raised at the desk of the communication meeting at the Wilaya.
    world.set_clock("2025-08-10T11:20:00");
    let mut request = submission(&category);
    inquiry_mut(&mut request).event = format!("agencies/bm/events/{}", Uuid::now_v7());
    let submitted = desk.submit(request).await.unwrap();
    let inquiry = submitted.inquiry.unwrap();
    assert_eq!(inquiry.status(), InquiryStatus::New);
    assert_eq!(inquiry.reference, "BM-2025-000001");
    assert_eq!(due_date(&inquiry), "2025-08-25");
    assert_eq!(submitted.tracking_code.len(), 19, "four groups of four");

    world.set_clock("2025-08-10T15:00:00");
    let inquiry = chief
        .assign(
            &inquiry,
            "guichet-mre",
            "agent-urbanisme",
            "dossier urbanisme",
        )
        .await
        .unwrap();
    assert_eq!(inquiry.status(), InquiryStatus::Assigned);

    world.set_clock("2025-08-11T10:30:00");
    agent
        .write(
            &inquiry.name,
            MessageVisibility::PublicReply,
            "Le dépôt se fait sur Rokhas par votre architecte.",
        )
        .await
        .unwrap();
    world.set_clock("2025-08-11T10:35:00");
    let inquiry = agent.get(&inquiry.name).await.unwrap();
    let inquiry = agent
        .transition(&inquiry, InquiryStatus::Answered, "")
        .await
        .unwrap();

    world.set_clock("2025-08-20T09:00:00");
    let inquiry = agent
        .transition(
            &inquiry,
            InquiryStatus::InProgress,
            "le citoyen demande le montant des frais",
        )
        .await
        .unwrap();
    world.set_clock("2025-08-21T16:00:00");
    agent
        .write(
            &inquiry.name,
            MessageVisibility::PublicReply,
            "Les frais dépendent de la surface construite.",
        )
        .await
        .unwrap();
    let inquiry = agent.get(&inquiry.name).await.unwrap();
    let inquiry = agent
        .transition(&inquiry, InquiryStatus::Answered, "")
        .await
        .unwrap();
    world.set_clock("2025-08-28T12:00:00");
    let inquiry = chief
        .transition(&inquiry, InquiryStatus::Closed, "réponses données")
        .await
        .unwrap();
    assert!(
        inquiry.history.is_empty(),
        "only GetInquiry fills the history"
    );

    let read = chief.get(&inquiry.name).await.unwrap();
    let steps: Vec<(InquiryStatus, InquiryStatus, &str, Timestamp, &str)> = read
        .history
        .iter()
        .map(|change| {
            let at = change.change_time.as_ref().unwrap();
            (
                change.from_status(),
                change.to_status(),
                change.actor.as_str(),
                Timestamp::new(at.seconds, at.nanos).unwrap(),
                change.note.as_str(),
            )
        })
        .collect();
    use InquiryStatus::*;
    assert_eq!(
        steps,
        vec![
            (
                Unspecified,
                New,
                "desk-app-wilaya",
                local("2025-08-10T11:20:00"),
                ""
            ),
            (
                New,
                Assigned,
                "chef-guichet-mre",
                local("2025-08-10T15:00:00"),
                "dossier urbanisme"
            ),
            (
                Assigned,
                Answered,
                "agent-urbanisme",
                local("2025-08-11T10:35:00"),
                ""
            ),
            (
                Answered,
                InProgress,
                "agent-urbanisme",
                local("2025-08-20T09:00:00"),
                "le citoyen demande le montant des frais"
            ),
            (
                InProgress,
                Answered,
                "agent-urbanisme",
                local("2025-08-21T16:00:00"),
                ""
            ),
            (
                Answered,
                Closed,
                "chef-guichet-mre",
                local("2025-08-28T12:00:00"),
                "réponses données"
            ),
        ]
    );
    let assignment = read.history[1].assignment.as_ref().unwrap();
    assert_eq!(
        (assignment.team.as_str(), assignment.agent.as_str()),
        ("guichet-mre", "agent-urbanisme")
    );

    // Replaying the history from nothing gives the inquiry's present state.
    let mut replayed = Unspecified;
    for change in &read.history {
        assert_eq!(change.from_status(), replayed, "history is unbroken");
        replayed = change.to_status();
    }
    assert_eq!(replayed, read.status());
    assert_eq!(read.status(), Closed);
    let first_response = read.first_response_time.as_ref().unwrap();
    assert_eq!(
        Timestamp::new(first_response.seconds, first_response.nanos).unwrap(),
        local("2025-08-11T10:30:00"),
        "the first public reply set the first-response time"
    );
    let updated = read.update_time.as_ref().unwrap();
    assert_eq!(
        Timestamp::new(updated.seconds, updated.nanos).unwrap(),
        local("2025-08-28T12:00:00")
    );

    // The citizen sees both replies and the final status.
    let seen = world
        .anonymous()
        .await
        .lookup(&read.reference, &submitted.tracking_code)
        .await
        .unwrap();
    assert_eq!(seen.status(), Closed);
    assert_eq!(seen.replies.len(), 2);
    world.stop().await;
}

#[tokio::test]
async fn an_unreachable_catalog_flags_the_inquiry_and_the_reconciler_settles_it() {
    let mut world = World::start(1, CatalogAt::Down).await;
    let desk = world.caller("desk-app", "bm").await;
    let category = desk
        .create_category("agencies/bm", "Permis de construire", 10)
        .await
        .unwrap();
    let service = service_name();
    world.catalog.publish(&service, Some(30));

    let mut request = submission(&category);
    inquiry_mut(&mut request).service = service.clone();
    let inquiry = desk.submit(request).await.unwrap().inquiry.unwrap();
    assert!(
        inquiry.due_date_pending,
        "flagged while the catalog is down"
    );
    assert_eq!(inquiry.due_date_source(), DueDateSource::CategoryDefault);
    assert_eq!(due_date(&inquiry), "2025-08-20");

    // Still down: a round settles nothing and changes nothing.
    assert_eq!(world.reconciler().reconcile_once().await.unwrap(), 0);
    assert!(desk.get(&inquiry.name).await.unwrap().due_date_pending);

    world.bring_catalog_up().await;
    world.set_clock("2025-08-12T09:00:00");
    assert_eq!(world.reconciler().reconcile_once().await.unwrap(), 1);
    let settled = desk.get(&inquiry.name).await.unwrap();
    assert!(!settled.due_date_pending);
    assert_eq!(
        settled.due_date_source(),
        DueDateSource::CatalogProcessingTime
    );
    assert_eq!(
        due_date(&settled),
        "2025-09-09",
        "the submission date plus 30 days"
    );
    assert_ne!(settled.etag, inquiry.etag, "the change shows in the etag");
    assert_eq!(world.reconciler().reconcile_once().await.unwrap(), 0);

    // With the catalog up, a linked service sets the due date at once...
    let mut request = submission(&category);
    inquiry_mut(&mut request).service = service.clone();
    let direct = desk.submit(request).await.unwrap().inquiry.unwrap();
    assert!(!direct.due_date_pending);
    assert_eq!(
        direct.due_date_source(),
        DueDateSource::CatalogProcessingTime
    );
    assert_eq!(due_date(&direct), "2025-09-11");

    // ...and a service the catalog does not know is refused, with nothing written.
    let before = desk.list_all(list_of("agencies/bm")).await.len();
    let mut request = submission(&category);
    inquiry_mut(&mut request).service = service_name();
    assert_invalid(desk.submit(request).await, "inquiry.service");
    assert_eq!(desk.list_all(list_of("agencies/bm")).await.len(), before);
    world.stop().await;
}

#[tokio::test]
async fn waiting_on_the_citizen_pauses_the_due_date_and_overdue_follows_the_clock() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent-logement", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Aide directe au logement", 5)
        .await
        .unwrap();
    let inquiry = agent
        .submit(submission(&category))
        .await
        .unwrap()
        .inquiry
        .unwrap();
    assert_eq!(due_date(&inquiry), "2025-08-15");

    world.set_clock("2025-08-11T09:00:00");
    let inquiry = agent
        .transition(&inquiry, InquiryStatus::InProgress, "")
        .await
        .unwrap();
    world.set_clock("2025-08-11T10:00:00");
    let inquiry = agent
        .transition(
            &inquiry,
            InquiryStatus::WaitingOnCitizen,
            "attestation de non-propriété demandée",
        )
        .await
        .unwrap();

    // Two days began while waiting: the due date has moved by two.
    world.set_clock("2025-08-13T09:00:00");
    let waiting = agent.get(&inquiry.name).await.unwrap();
    assert_eq!(due_date(&waiting), "2025-08-17");
    let paused = waiting.paused_duration.unwrap();
    assert_eq!(paused.seconds, 47 * 3600);
    let inquiry = agent
        .transition(&waiting, InquiryStatus::InProgress, "document reçu")
        .await
        .unwrap();
    assert_eq!(due_date(&inquiry), "2025-08-17");

    let overdue = ListInquiriesRequest {
        overdue: true,
        ..list_of("agencies/bm")
    };
    // Due on the 17th: not overdue until the first instant of the 18th in Casablanca.
    world
        .clock
        .set(local("2025-08-18T00:00:00") - SignedDuration::from_micros(1));
    assert!(agent.list_all(overdue.clone()).await.is_empty());
    let statistics = agent
        .statistics("agencies/bm", "2025-08-01", "2025-08-31")
        .await
        .unwrap();
    assert_eq!(statistics.overdue_count, 0);

    world.set_clock("2025-08-18T00:00:00");
    let listed = agent.list_all(overdue.clone()).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, inquiry.name);
    let statistics = agent
        .statistics("agencies/bm", "2025-08-01", "2025-08-31")
        .await
        .unwrap();
    assert_eq!(statistics.overdue_count, 1);

    // Waiting on the citizen is never overdue.
    let waiting = agent
        .transition(&inquiry, InquiryStatus::WaitingOnCitizen, "")
        .await
        .unwrap();
    assert!(agent.list_all(overdue).await.is_empty());
    assert_eq!(waiting.status(), InquiryStatus::WaitingOnCitizen);
    world.stop().await;
}

#[tokio::test]
async fn lookup_cannot_tell_a_wrong_code_from_a_wrong_reference_and_never_shows_notes() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent-urbanisme", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Note de renseignements urbanistiques", 7)
        .await
        .unwrap();
    let submitted = agent.submit(submission(&category)).await.unwrap();
    let inquiry = submitted.inquiry.unwrap();
    agent
        .write(
            &inquiry.name,
            MessageVisibility::InternalNote,
            "NOTE INTERNE: vérifier le titre foncier",
        )
        .await
        .unwrap();
    world.set_clock("2025-08-11T10:00:00");
    agent
        .write(
            &inquiry.name,
            MessageVisibility::PublicReply,
            "La note se demande en ligne avec le plan de situation.",
        )
        .await
        .unwrap();

    let citizen = world.anonymous().await;
    let code = submitted.tracking_code.clone();
    // Case, hyphens and spaces do not matter, and O reads as 0.
    let typed = code.to_lowercase().replace('-', " ").replace('0', "o");
    let seen = citizen
        .lookup(&inquiry.reference.to_lowercase(), &typed)
        .await
        .unwrap();
    assert_eq!(seen.reference, inquiry.reference);
    assert_eq!(seen.status(), InquiryStatus::New);
    assert_eq!(seen.replies.len(), 1);
    assert_eq!(
        seen.replies[0].body,
        "La note se demande en ligne avec le plan de situation."
    );
    let encoded = seen.encode_to_vec();
    assert!(
        !String::from_utf8_lossy(&encoded).contains("NOTE INTERNE"),
        "internal notes never reach the citizen"
    );

    let mut wrong_code = code.clone().into_bytes();
    wrong_code[0] = if wrong_code[0] == b'A' { b'B' } else { b'A' };
    let wrong_code = String::from_utf8(wrong_code).unwrap();
    let wrong_reference = "BM-2025-999999";
    let refusals = [
        citizen
            .lookup(&inquiry.reference, &wrong_code)
            .await
            .unwrap_err(),
        citizen.lookup(wrong_reference, &code).await.unwrap_err(),
        citizen
            .lookup(wrong_reference, &wrong_code)
            .await
            .unwrap_err(),
        citizen
            .lookup(&inquiry.reference, "not a code")
            .await
            .unwrap_err(),
        citizen.lookup("", "").await.unwrap_err(),
    ];
    for refusal in &refusals {
        assert_eq!(refusal.code(), Code::NotFound);
        assert_eq!(refusal.message(), refusals[0].message());
        assert_eq!(refusal.details(), refusals[0].details());
    }
    // A caller with a token is no different.
    let with_token = agent.lookup(&inquiry.reference, &code).await.unwrap();
    assert_eq!(with_token.replies.len(), 1);
    world.stop().await;
}

#[tokio::test]
async fn another_agency_gets_not_found_on_read_reply_assign_and_transition() {
    let world = World::start(1, CatalogAt::Down).await;
    let bm = world.caller("agent-bm", "bm").await;
    let other = world.caller("agent-khouribga", "khouribga").await;
    let ministry = world.caller("ministere-dashboard", "*").await;
    let category = bm
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let inquiry = bm
        .submit(submission(&category))
        .await
        .unwrap()
        .inquiry
        .unwrap();

    assert_code(other.get(&inquiry.name).await, Code::NotFound);
    assert_code(
        other
            .write(&inquiry.name, MessageVisibility::PublicReply, "réponse")
            .await,
        Code::NotFound,
    );
    assert_code(
        other
            .assign(&inquiry, "guichet", "agent-khouribga", "")
            .await,
        Code::NotFound,
    );
    assert_code(
        other
            .transition(&inquiry, InquiryStatus::InProgress, "")
            .await,
        Code::NotFound,
    );
    let mut change = inquiry.clone();
    change.priority = InquiryPriority::High as i32;
    assert_code(other.update(change, &["priority"]).await, Code::NotFound);
    assert_code(other.messages(&inquiry.name).await, Code::NotFound);
    // The same, named under the caller's own agency.
    let disguised = inquiry.name.replace("agencies/bm/", "agencies/khouribga/");
    assert_code(other.get(&disguised).await, Code::NotFound);
    assert_code(
        other.list(list_of("agencies/bm")).await,
        Code::PermissionDenied,
    );
    assert!(other.list_all(list_of("agencies/-")).await.is_empty());
    let mut foreign = submission(&category);
    foreign.parent = "agencies/bm".to_owned();
    assert_code(other.submit(foreign).await, Code::PermissionDenied);

    // Nothing changed, and the owner and the ministry read it.
    let read = bm.get(&inquiry.name).await.unwrap();
    assert_eq!(read.etag, inquiry.etag);
    assert_eq!(read.status(), InquiryStatus::New);
    assert!(
        bm.messages(&inquiry.name)
            .await
            .unwrap()
            .inquiry_messages
            .is_empty()
    );
    assert_eq!(
        ministry.get(&inquiry.name).await.unwrap().name,
        inquiry.name
    );
    assert_eq!(ministry.list_all(list_of("agencies/-")).await.len(), 1);
    world.stop().await;
}

/// The process-wide log capture: every event of every target at TRACE, as text.
#[derive(Clone, Default)]
struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogCapture {
    type Writer = LogCapture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl LogCapture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn trace_everything() -> &'static LogCapture {
    static CAPTURE: OnceLock<LogCapture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        use tracing_subscriber::util::SubscriberInitExt;
        let capture = LogCapture::default();
        tracing_subscriber::fmt()
            .with_writer(capture.clone())
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
            .with_ansi(false)
            .finish()
            .try_init()
            .expect("no other subscriber may be installed in this test binary");
        capture
    })
}

#[tokio::test]
async fn logs_at_trace_for_every_target_hold_no_personal_data() {
    let capture = trace_everything();
    let mut world = World::start(1, CatalogAt::Down).await;
    let desk = world.caller("desk-app", "bm").await;
    let agent = world.caller("agent-logement", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Aide directe au logement", 10)
        .await
        .unwrap();
    let service = service_name();
    world.catalog.publish(&service, Some(20));

    const NAME: &str = "Rachida Imaginaire";
    const EMAIL: &str = "rachida.imaginaire@example.net";
    const PHONE: &str = "+33 7 81 92 03 64";
    const PHONE_E164: &str = "+33781920364";
    const SUBJECT: &str = "Logement principal prochain achat";
    const BODY: &str = "Suis-je admissible au soutien direct pour mon premier appartement";
    const NOTE: &str = "Rappeler la requérante mardi matin";
    const REPLY: &str = "Vous êtes admissible sous conditions de ressources";
    const INTERNAL: &str = "Dossier complet pour la commission";
    const REFERRAL_NOTE: &str = "Transmis avec le numéro de la requérante";

    let mut request = submission(&category);
    {
        let requester = requester_mut(&mut request);
        requester.display_name = NAME.to_owned();
        requester.email = EMAIL.to_owned();
        requester.phone = PHONE.to_owned();
    }
    inquiry_mut(&mut request).subject = SUBJECT.to_owned();
    inquiry_mut(&mut request).body = BODY.to_owned();
    inquiry_mut(&mut request).service = service.clone();
    let submitted = desk.submit(request.clone()).await.unwrap();
    let _replayed = desk.submit(request.clone()).await.unwrap();
    let inquiry = submitted.inquiry.unwrap();
    // A refused submission, whose violations must not quote what was sent either.
    let mut bad = request.clone();
    bad.request_id = Uuid::new_v4().to_string();
    requester_mut(&mut bad).email = "rachida.imaginaire-at-example.net".to_owned();
    assert_invalid(desk.submit(bad).await, "inquiry.requester.email");

    let inquiry = agent
        .assign(&inquiry, "guichet-mre", "agent-logement", NOTE)
        .await
        .unwrap();
    agent
        .write(&inquiry.name, MessageVisibility::InternalNote, INTERNAL)
        .await
        .unwrap();
    agent
        .write(&inquiry.name, MessageVisibility::PublicReply, REPLY)
        .await
        .unwrap();
    let inquiry = agent.get(&inquiry.name).await.unwrap();
    let inquiry = agent
        .transition(&inquiry, InquiryStatus::Answered, NOTE)
        .await
        .unwrap();
    let inquiry = agent
        .transition(&inquiry, InquiryStatus::InProgress, NOTE)
        .await
        .unwrap();
    let inquiry = agent
        .transition_with(
            &inquiry,
            InquiryStatus::Referred,
            REFERRAL_NOTE,
            Some(Referral {
                administration: "Direction régionale de l'habitat".to_owned(),
                external_reference: String::new(),
            }),
        )
        .await
        .unwrap();
    let _ = agent.get(&inquiry.name).await.unwrap();
    let _ = agent.messages(&inquiry.name).await.unwrap();
    let _ = agent.list_all(list_of("agencies/bm")).await;
    let _ = world
        .anonymous()
        .await
        .lookup(&inquiry.reference, &submitted.tracking_code)
        .await
        .unwrap();
    world.bring_catalog_up().await;
    world.reconciler().reconcile_once().await.unwrap();
    let _ = agent
        .statistics("agencies/bm", "2025-08-01", "2025-08-31")
        .await
        .unwrap();
    world.stop().await;

    let logs = capture.text();
    assert!(
        logs.contains(&inquiry.name.rsplit('/').next().unwrap().to_owned())
            && logs.contains("inquiry submitted")
            && logs.contains("due date settled from the catalog"),
        "the capture saw the inquiry's life"
    );
    for secret in [
        NAME,
        EMAIL,
        "rachida.imaginaire",
        PHONE,
        PHONE_E164,
        "781920364",
        SUBJECT,
        BODY,
        NOTE,
        REPLY,
        INTERNAL,
        REFERRAL_NOTE,
        &submitted.tracking_code,
        &submitted.tracking_code.replace('-', ""),
    ] {
        assert!(
            !logs.contains(secret),
            "the logs hold personal data: {secret}"
        );
    }
}

#[tokio::test]
async fn bad_input_is_refused_field_by_field_and_writes_nothing() {
    let world = World::start(1, CatalogAt::Up).await;
    let desk = world.caller("desk-app", "bm").await;
    let category = desk
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let valid = submission(&category);

    let mut no_contact = valid.clone();
    requester_mut(&mut no_contact).email.clear();
    requester_mut(&mut no_contact).phone.clear();
    assert_invalid(desk.submit(no_contact).await, "inquiry.requester");

    let mut bad_email = valid.clone();
    requester_mut(&mut bad_email).email = "samira.fictive@".to_owned();
    assert_invalid(desk.submit(bad_email).await, "inquiry.requester.email");

    let mut bad_phone = valid.clone();
    requester_mut(&mut bad_phone).phone = "06 12".to_owned();
    assert_invalid(desk.submit(bad_phone).await, "inquiry.requester.phone");

    let mut long_body = valid.clone();
    inquiry_mut(&mut long_body).body = "é".repeat(10_001);
    assert_invalid(desk.submit(long_body).await, "inquiry.body");

    let mut unknown_category = valid.clone();
    inquiry_mut(&mut unknown_category).category =
        format!("agencies/bm/inquiryCategories/{}", Uuid::now_v7());
    assert_invalid(desk.submit(unknown_category).await, "inquiry.category");

    let mut several = valid.clone();
    requester_mut(&mut several).email = "nope".to_owned();
    inquiry_mut(&mut several).subject.clear();
    inquiry_mut(&mut several).channel = 0;
    let status = desk.submit(several).await.unwrap_err();
    let fields = violated_fields(&status);
    for field in [
        "inquiry.requester.email",
        "inquiry.subject",
        "inquiry.channel",
    ] {
        assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
    }

    let mut bad_request_id = valid.clone();
    bad_request_id.request_id = "twelve".to_owned();
    assert_invalid(desk.submit(bad_request_id).await, "request_id");

    // Every refusal above used the valid request's request_id: none of them stored
    // anything, so the valid request goes through now with it.
    assert!(desk.list_all(list_of("agencies/bm")).await.is_empty());
    let inquiry = desk.submit(valid.clone()).await.unwrap().inquiry.unwrap();

    // Transitions out of order: refused by state, the inquiry unchanged.
    let status = assert_code(
        desk.transition(&inquiry, InquiryStatus::WaitingOnCitizen, "")
            .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&status), "TRANSITION_NOT_ALLOWED");
    let status = assert_code(
        desk.transition(&inquiry, InquiryStatus::Answered, "").await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&status), "NO_PUBLIC_REPLY");
    let status = assert_code(
        desk.transition(&inquiry, InquiryStatus::New, "").await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&status), "TRANSITION_NOT_ALLOWED");
    assert_invalid(
        desk.transition(&inquiry, InquiryStatus::Assigned, "").await,
        "status",
    );
    assert_invalid(
        desk.transition(&inquiry, InquiryStatus::Unspecified, "")
            .await,
        "status",
    );
    assert_invalid(
        desk.transition(&inquiry, InquiryStatus::Referred, "").await,
        "referral",
    );
    assert_invalid(
        desk.transition_with(
            &inquiry,
            InquiryStatus::Closed,
            "",
            Some(Referral {
                administration: "Commune de Béni Mellal".to_owned(),
                external_reference: String::new(),
            }),
        )
        .await,
        "referral",
    );
    assert_invalid(
        desk.transition(&inquiry, InquiryStatus::InProgress, &"x".repeat(2_001))
            .await,
        "note",
    );
    assert_invalid(desk.assign(&inquiry, "", "", "").await, "assignment");
    let mut no_etag = inquiry.clone();
    no_etag.etag.clear();
    assert_invalid(
        desk.transition(&no_etag, InquiryStatus::InProgress, "")
            .await,
        "etag",
    );
    assert_invalid(
        desk.write(&inquiry.name, MessageVisibility::Unspecified, "texte")
            .await,
        "inquiry_message.visibility",
    );
    assert_invalid(
        desk.write(&inquiry.name, MessageVisibility::PublicReply, "  ")
            .await,
        "inquiry_message.body",
    );
    let read = desk.get(&inquiry.name).await.unwrap();
    assert_eq!(read.etag, inquiry.etag);
    assert_eq!(read.history.len(), 1);
    assert!(
        desk.messages(&inquiry.name)
            .await
            .unwrap()
            .inquiry_messages
            .is_empty()
    );

    // A stale etag is ABORTED.
    let moved = desk
        .transition(&inquiry, InquiryStatus::InProgress, "")
        .await
        .unwrap();
    let status = assert_code(
        desk.transition(&inquiry, InquiryStatus::Closed, "").await,
        Code::Aborted,
    );
    assert_eq!(reason(&status), "STALE_ETAG");
    assert_eq!(desk.get(&moved.name).await.unwrap().etag, moved.etag);
    world.stop().await;
}

#[tokio::test]
async fn concurrent_transitions_with_one_etag_let_exactly_one_win() {
    let world = World::start(2, CatalogAt::Down).await;
    let first = world.caller_on(0, "agent-a", "bm").await;
    let second = world.caller_on(1, "agent-b", "bm").await;
    let category = first
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let inquiry = first
        .submit(submission(&category))
        .await
        .unwrap()
        .inquiry
        .unwrap();
    let mut tasks = Vec::new();
    for index in 0..10 {
        let caller = if index % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let inquiry = inquiry.clone();
        tasks.push(tokio::spawn(async move {
            caller
                .transition(&inquiry, InquiryStatus::InProgress, "")
                .await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => won += 1,
            Err(status) => assert_eq!(status.code(), Code::Aborted, "{status:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(first.get(&inquiry.name).await.unwrap().history.len(), 2);
    world.stop().await;
}

#[tokio::test]
async fn lists_filter_and_page_by_keyset() {
    let world = World::start(1, CatalogAt::Up).await;
    let desk = world.caller("desk-app", "bm").await;
    let agent = world.caller("agent-urbanisme", "bm").await;
    let permit = desk
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let housing = desk
        .create_category("agencies/bm", "Aide directe au logement", 5)
        .await
        .unwrap();
    let service = service_name();
    world.catalog.publish(&service, Some(3));
    let event = format!("agencies/bm/events/{}", Uuid::now_v7());

    let mut names = Vec::new();
    for index in 0..7 {
        world.clock.advance(SignedDuration::from_mins(10));
        let mut request = submission(if index % 2 == 0 { &permit } else { &housing });
        if index == 3 {
            inquiry_mut(&mut request).service = service.clone();
        }
        if index == 4 {
            inquiry_mut(&mut request).event = event.clone();
            inquiry_mut(&mut request).channel = InquiryChannel::Consulate as i32;
        }
        names.push(desk.submit(request).await.unwrap().inquiry.unwrap().name);
    }
    let all = agent
        .list_all(ListInquiriesRequest {
            page_size: 3,
            ..list_of("agencies/bm")
        })
        .await;
    assert_eq!(
        all.iter().map(|i| i.name.clone()).collect::<Vec<_>>(),
        names,
        "creation order, across pages of three"
    );
    assert!(all.iter().all(|inquiry| inquiry.history.is_empty()));

    let since = agent.get(&names[6]).await.unwrap().update_time;
    world.clock.advance(SignedDuration::from_mins(1));
    let first = agent.get(&names[0]).await.unwrap();
    agent
        .assign(&first, "guichet-mre", "agent-urbanisme", "")
        .await
        .unwrap();
    let second = agent.get(&names[1]).await.unwrap();
    agent.assign(&second, "guichet-mre", "", "").await.unwrap();

    let mine = agent
        .list_all(ListInquiriesRequest {
            mine: true,
            ..list_of("agencies/bm")
        })
        .await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].name, names[0]);
    let team_unassigned = agent
        .list_all(ListInquiriesRequest {
            team: "guichet-mre".to_owned(),
            unassigned: true,
            ..list_of("agencies/bm")
        })
        .await;
    assert_eq!(team_unassigned.len(), 1);
    assert_eq!(team_unassigned[0].name, names[1]);
    let by_status = agent
        .list_all(ListInquiriesRequest {
            statuses: vec![InquiryStatus::Assigned as i32],
            ..list_of("agencies/bm")
        })
        .await;
    assert_eq!(by_status.len(), 2);
    let by_category = agent
        .list_all(ListInquiriesRequest {
            category: housing.name.clone(),
            ..list_of("agencies/bm")
        })
        .await;
    assert_eq!(by_category.len(), 3);
    let by_service = agent
        .list_all(ListInquiriesRequest {
            service: service.clone(),
            ..list_of("agencies/bm")
        })
        .await;
    assert_eq!(by_service.len(), 1);
    assert_eq!(by_service[0].name, names[3]);
    let by_event = agent
        .list_all(ListInquiriesRequest {
            event: event.clone(),
            channel: InquiryChannel::Consulate as i32,
            ..list_of("agencies/bm")
        })
        .await;
    assert_eq!(by_event.len(), 1);
    assert_eq!(by_event[0].name, names[4]);

    // Due-date order: the service's 3 days first, then 5-day housing, then 15-day permits.
    let by_due = agent
        .list_all(ListInquiriesRequest {
            order: InquiryOrder::DueDate as i32,
            page_size: 2,
            ..list_of("agencies/bm")
        })
        .await;
    let due_dates: Vec<&str> = by_due.iter().map(due_date).collect();
    let mut sorted = due_dates.clone();
    sorted.sort_unstable();
    assert_eq!(due_dates, sorted);
    assert_eq!(by_due[0].name, names[3]);
    assert_eq!(by_due.len(), 7);

    // Changes since the last submission: only what was assigned after it.
    let changed = agent
        .list_all(ListInquiriesRequest {
            updated_after: since,
            ..list_of("agencies/bm")
        })
        .await;
    assert_eq!(changed.len(), 2);

    // Page tokens are bound to their query, and cannot be forged.
    let page = agent
        .list(ListInquiriesRequest {
            page_size: 2,
            ..list_of("agencies/bm")
        })
        .await
        .unwrap();
    assert!(!page.next_page_token.is_empty());
    assert_invalid(
        agent
            .list(ListInquiriesRequest {
                page_size: 2,
                page_token: page.next_page_token.clone(),
                overdue: true,
                ..list_of("agencies/bm")
            })
            .await,
        "page_token",
    );
    let mut forged = page.next_page_token.clone();
    forged.replace_range(4..6, if &forged[4..6] == "AA" { "BB" } else { "AA" });
    assert_invalid(
        agent
            .list(ListInquiriesRequest {
                page_size: 2,
                page_token: forged,
                ..list_of("agencies/bm")
            })
            .await,
        "page_token",
    );
    let ministry = world.caller("ministere", "*").await;
    assert_invalid(
        ministry
            .list(ListInquiriesRequest {
                page_size: 2,
                page_token: page.next_page_token.clone(),
                ..list_of("agencies/bm")
            })
            .await,
        "page_token",
    );
    assert_invalid(
        agent
            .list(ListInquiriesRequest {
                page_size: -1,
                ..list_of("agencies/bm")
            })
            .await,
        "page_size",
    );
    assert_invalid(
        agent
            .list(ListInquiriesRequest {
                agent: "agent-urbanisme".to_owned(),
                mine: true,
                ..list_of("agencies/bm")
            })
            .await,
        "agent",
    );
    assert_invalid(agent.list(list_of("bm")).await, "parent");
    let huge = agent
        .list(ListInquiriesRequest {
            page_size: 10_000,
            ..list_of("agencies/bm")
        })
        .await
        .unwrap();
    assert_eq!(
        huge.inquiries.len(),
        7,
        "a page size above 500 is clamped, not refused"
    );
    world.stop().await;
}

#[tokio::test]
async fn statistics_count_by_status_category_and_channel_with_the_median_first_response() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent", "bm").await;
    let permit = agent
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let housing = agent
        .create_category("agencies/bm", "Aide directe au logement", 2)
        .await
        .unwrap();

    // Three inquiries on 10 August, answered after 1 h, 3 h and (late) 4 days.
    let mut inquiries = Vec::new();
    for (category, channel) in [
        (&permit, InquiryChannel::EventDesk),
        (&permit, InquiryChannel::Phone),
        (&housing, InquiryChannel::EventDesk),
    ] {
        let mut request = submission(category);
        inquiry_mut(&mut request).channel = channel as i32;
        inquiries.push(agent.submit(request).await.unwrap().inquiry.unwrap());
    }
    for (inquiry, answered_at) in inquiries.iter().zip([
        "2025-08-10T11:00:00",
        "2025-08-10T13:00:00",
        "2025-08-14T10:00:00",
    ]) {
        world.set_clock(answered_at);
        agent
            .write(&inquiry.name, MessageVisibility::PublicReply, "réponse")
            .await
            .unwrap();
        let current = agent.get(&inquiry.name).await.unwrap();
        agent
            .transition(&current, InquiryStatus::Answered, "")
            .await
            .unwrap();
    }
    let current = agent.get(&inquiries[1].name).await.unwrap();
    agent
        .transition(&current, InquiryStatus::Closed, "")
        .await
        .unwrap();
    // One in September, outside the period.
    world.set_clock("2025-09-02T10:00:00");
    agent.submit(submission(&permit)).await.unwrap();

    let statistics = agent
        .statistics("agencies/bm", "2025-08-01", "2025-08-31")
        .await
        .unwrap();
    assert_eq!(statistics.total_count, 3);
    let statuses: Vec<(i32, i64)> = statistics
        .status_counts
        .iter()
        .map(|c| (c.status, c.count))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (InquiryStatus::Answered as i32, 2),
            (InquiryStatus::Closed as i32, 1)
        ]
    );
    let categories: HashMap<String, (i64, String)> = statistics
        .category_counts
        .iter()
        .map(|c| {
            (
                c.category.clone(),
                (
                    c.count,
                    c.display_name
                        .as_ref()
                        .unwrap()
                        .resolved
                        .as_ref()
                        .unwrap()
                        .text
                        .clone(),
                ),
            )
        })
        .collect();
    assert_eq!(
        categories[&permit.name],
        (2, "Permis de construire".to_owned())
    );
    assert_eq!(categories[&housing.name].0, 1);
    let channels: Vec<(i32, i64)> = statistics
        .channel_counts
        .iter()
        .map(|c| (c.channel, c.count))
        .collect();
    assert_eq!(
        channels,
        vec![
            (InquiryChannel::EventDesk as i32, 2),
            (InquiryChannel::Phone as i32, 1)
        ]
    );
    assert_eq!(statistics.answered_count, 3);
    assert_eq!(
        statistics.answered_on_time_count, 2,
        "the housing one was due on the 12th"
    );
    assert!((statistics.answered_on_time_share.unwrap() - 2.0 / 3.0).abs() < 1e-9);
    let median = statistics.median_first_response_duration.unwrap();
    assert_eq!((median.seconds, median.nanos), (3 * 3600, 0));
    assert_eq!(statistics.overdue_count, 0);

    // A ministry-wide caller sees every agency; an agency caller not another's.
    let ministry = world.caller("ministere", "*").await;
    let all = ministry
        .statistics("agencies/-", "2025-08-01", "2025-09-30")
        .await
        .unwrap();
    assert_eq!(all.total_count, 4);
    let other = world.caller("agent", "khouribga").await;
    assert_code(
        other
            .statistics("agencies/bm", "2025-08-01", "2025-08-31")
            .await,
        Code::PermissionDenied,
    );
    assert_eq!(
        other
            .statistics("agencies/-", "2025-08-01", "2025-08-31")
            .await
            .unwrap()
            .total_count,
        0
    );
    let empty = agent
        .statistics("agencies/bm", "2024-01-01", "2024-12-31")
        .await
        .unwrap();
    assert_eq!(empty.total_count, 0);
    assert!(empty.answered_on_time_share.is_none());
    assert!(empty.median_first_response_duration.is_none());
    assert_invalid(
        agent
            .statistics("agencies/bm", "2025-08-31", "2025-08-01")
            .await,
        "period_end",
    );
    world.stop().await;
}

#[tokio::test]
async fn categories_are_idempotent_unique_by_name_and_guarded_by_etag() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent", "bm").await;
    let request_id = Uuid::new_v4().to_string();
    let created = agent
        .create_category_with("agencies/bm", "Permis de construire", 15, &request_id)
        .await
        .unwrap();
    let again = agent
        .create_category_with("agencies/bm", "Permis de construire", 15, &request_id)
        .await
        .unwrap();
    assert_eq!(created.name, again.name);
    assert_invalid(
        agent
            .create_category_with("agencies/bm", "Permis de construire", 20, &request_id)
            .await,
        "request_id",
    );
    let status = assert_code(
        agent
            .create_category("agencies/bm", "  permis DE construire ", 10)
            .await,
        Code::AlreadyExists,
    );
    assert_eq!(reason(&status), "CATEGORY_NAME_TAKEN");
    assert_invalid(
        agent.create_category("agencies/bm", "Logement", 0).await,
        "inquiry_category.default_response_days",
    );
    assert_invalid(
        agent.create_category("agencies/bm", " ", 10).await,
        "inquiry_category.display_name.entries",
    );
    assert_code(
        agent
            .create_category("agencies/rabat", "Logement", 10)
            .await,
        Code::PermissionDenied,
    );
    // Another agency may use the same name.
    let rabat = world.caller("agent", "rabat").await;
    rabat
        .create_category("agencies/rabat", "Permis de construire", 30)
        .await
        .unwrap();

    let update = |category: InquiryCategory, paths: &[&str]| {
        let request = agent.request(UpdateInquiryCategoryRequest {
            inquiry_category: Some(category),
            update_mask: Some(prost_types::FieldMask {
                paths: paths.iter().map(|p| (*p).to_owned()).collect(),
            }),
        });
        let mut client = agent.client.clone();
        async move {
            client
                .update_inquiry_category(request)
                .await
                .map(tonic::Response::into_inner)
        }
    };
    let mut change = created.clone();
    change.default_response_days = 20;
    let updated = update(change.clone(), &["default_response_days"])
        .await
        .unwrap();
    assert_eq!(updated.default_response_days, 20);
    assert_ne!(updated.etag, created.etag);
    assert_code(
        update(change.clone(), &["default_response_days"]).await,
        Code::Aborted,
    );
    assert_invalid(
        update(updated.clone(), &["name"]).await,
        "update_mask.paths[0]",
    );
    // An empty mask changes what the request sets (AIP-134), and nothing else.
    let only_days = InquiryCategory {
        name: updated.name.clone(),
        etag: updated.etag.clone(),
        default_response_days: 25,
        ..Default::default()
    };
    let updated = update(only_days, &[]).await.unwrap();
    assert_eq!(updated.default_response_days, 25);
    assert_eq!(
        updated.display_name.as_ref().unwrap().entries[0].text,
        "Permis de construire"
    );
    let nothing = InquiryCategory {
        name: updated.name.clone(),
        etag: updated.etag.clone(),
        ..Default::default()
    };
    assert_invalid(update(nothing, &[]).await, "update_mask");
    let mut foreign = updated.clone();
    foreign.name = foreign.name.replace("agencies/bm/", "agencies/rabat/");
    assert_code(
        update(foreign, &["default_response_days"]).await,
        Code::NotFound,
    );

    let request = agent.request(ListInquiryCategoriesRequest {
        parent: "agencies/-".to_owned(),
        page_size: 1,
        ..Default::default()
    });
    let page = agent
        .client
        .clone()
        .list_inquiry_categories(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.inquiry_categories.len(), 1);
    assert!(!page.next_page_token.is_empty());
    world.stop().await;
}

#[tokio::test]
async fn update_recomputes_the_due_date_and_raises_the_priority() {
    let world = World::start(1, CatalogAt::Up).await;
    let agent = world.caller("agent", "bm").await;
    let permit = agent
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let housing = agent
        .create_category("agencies/bm", "Aide directe au logement", 5)
        .await
        .unwrap();
    let service = service_name();
    world.catalog.publish(&service, Some(30));

    // The end of the summer stay is before the due date: HIGH from the start.
    let mut request = submission(&permit);
    inquiry_mut(&mut request).answer_before = Some(date("2025-08-20"));
    let inquiry = agent.submit(request).await.unwrap().inquiry.unwrap();
    assert_eq!(inquiry.priority(), InquiryPriority::High);
    assert_eq!(inquiry.answer_before.as_ref().unwrap().date, "2025-08-20");

    let plain = agent
        .submit(submission(&permit))
        .await
        .unwrap()
        .inquiry
        .unwrap();
    assert_eq!(plain.priority(), InquiryPriority::Normal);
    let mut change = plain.clone();
    change.category = housing.name.clone();
    let moved = agent.update(change, &["category"]).await.unwrap();
    assert_eq!(due_date(&moved), "2025-08-15");
    let mut change = moved.clone();
    change.service = service.clone();
    let linked = agent.update(change, &["service"]).await.unwrap();
    assert_eq!(due_date(&linked), "2025-09-09");
    assert_eq!(
        linked.due_date_source(),
        DueDateSource::CatalogProcessingTime
    );
    let mut change = linked.clone();
    change.answer_before = Some(date("2025-08-31"));
    let urgent = agent.update(change, &["answer_before"]).await.unwrap();
    assert_eq!(urgent.priority(), InquiryPriority::High);
    let mut change = urgent.clone();
    change.service.clear();
    change.priority = InquiryPriority::Normal as i32;
    let unlinked = agent
        .update(change, &["service", "priority"])
        .await
        .unwrap();
    assert_eq!(due_date(&unlinked), "2025-08-15");
    assert_eq!(unlinked.priority(), InquiryPriority::Normal);
    assert_eq!(unlinked.service, "");

    assert_invalid(
        agent.update(unlinked.clone(), &["subject"]).await,
        "update_mask.paths[0]",
    );
    // An empty mask changes what the request sets (AIP-134), and nothing else.
    let only_priority = Inquiry {
        name: unlinked.name.clone(),
        etag: unlinked.etag.clone(),
        priority: InquiryPriority::High as i32,
        ..Default::default()
    };
    let raised = agent.update(only_priority, &[]).await.unwrap();
    assert_eq!(raised.priority(), InquiryPriority::High);
    assert_eq!(raised.category, unlinked.category);
    assert_eq!(raised.answer_before, unlinked.answer_before);
    let nothing = Inquiry {
        name: raised.name.clone(),
        etag: raised.etag.clone(),
        ..Default::default()
    };
    assert_invalid(agent.update(nothing, &[]).await, "update_mask");
    let unlinked = raised;
    let mut no_category = unlinked.clone();
    no_category.category.clear();
    assert_invalid(
        agent.update(no_category, &["category"]).await,
        "inquiry.category",
    );
    let mut unknown = unlinked.clone();
    unknown.service = service_name();
    assert_invalid(agent.update(unknown, &["service"]).await, "inquiry.service");
    assert_code(
        agent.update(linked.clone(), &["priority"]).await,
        Code::Aborted,
    );

    let closed = agent
        .transition(&unlinked, InquiryStatus::Closed, "")
        .await
        .unwrap();
    let status = assert_code(
        agent.update(closed.clone(), &["priority"]).await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&status), "INQUIRY_CLOSED");
    let status = assert_code(
        agent
            .write(&closed.name, MessageVisibility::PublicReply, "réponse")
            .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&status), "INQUIRY_CLOSED");
    agent
        .write(&closed.name, MessageVisibility::InternalNote, "archivé")
        .await
        .unwrap();
    world.stop().await;
}

#[tokio::test]
async fn messages_are_idempotent_and_listed_oldest_first() {
    let world = World::start(1, CatalogAt::Down).await;
    let agent = world.caller("agent", "bm").await;
    let category = agent
        .create_category("agencies/bm", "Permis de construire", 15)
        .await
        .unwrap();
    let inquiry = agent
        .submit(submission(&category))
        .await
        .unwrap()
        .inquiry
        .unwrap();
    let request = AddInquiryMessageRequest {
        parent: inquiry.name.clone(),
        inquiry_message: Some(InquiryMessage {
            visibility: MessageVisibility::PublicReply as i32,
            body: "Première réponse".to_owned(),
            ..Default::default()
        }),
        request_id: Uuid::new_v4().to_string(),
    };
    let first = agent
        .client
        .clone()
        .add_inquiry_message(agent.request(request.clone()))
        .await
        .unwrap()
        .into_inner();
    let retried = agent
        .client
        .clone()
        .add_inquiry_message(agent.request(request.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, retried);
    assert!(
        first
            .name
            .starts_with(&format!("{}/messages/", inquiry.name))
    );
    assert_eq!(first.author, "agent");
    for index in 0..3 {
        world.clock.advance(SignedDuration::from_mins(1));
        agent
            .write(
                &inquiry.name,
                MessageVisibility::InternalNote,
                &format!("note {index}"),
            )
            .await
            .unwrap();
    }
    let listed = agent
        .messages(&inquiry.name)
        .await
        .unwrap()
        .inquiry_messages;
    assert_eq!(listed.len(), 4);
    assert_eq!(listed[0], first);
    assert_eq!(listed[3].body, "note 2");
    let read = agent.get(&inquiry.name).await.unwrap();
    assert_eq!(
        read.first_response_time, first.create_time,
        "the first public reply sets the first response"
    );
    assert_ne!(
        read.etag, inquiry.etag,
        "a message changes the inquiry's etag"
    );
    world.stop().await;
}

#[tokio::test]
async fn demo_data_loads_twice_without_change() {
    let mut world = World::start(0, CatalogAt::Down).await;
    let app = Application::build(world.config.clone(), world.clock.clone())
        .await
        .unwrap();
    app.load_demo().await.unwrap();
    app.load_demo().await.unwrap();
    drop(app);
    world.add_server().await;
    let ministry = world.caller("ministere", "*").await;
    let inquiries = ministry.list_all(list_of("agencies/bm")).await;
    assert_eq!(inquiries.len(), 3);
    let references: BTreeSet<&str> = inquiries.iter().map(|i| i.reference.as_str()).collect();
    assert_eq!(
        references,
        BTreeSet::from(["BM-2025-000001", "BM-2025-000002", "BM-2025-000003"])
    );
    let permit = &inquiries[0];
    assert_eq!(permit.status(), InquiryStatus::Answered);
    let created = permit.create_time.as_ref().unwrap();
    assert_eq!(
        Timestamp::new(created.seconds, 0).unwrap(),
        local("2025-08-10T11:20:00")
    );
    let read = ministry.get(&permit.name).await.unwrap();
    assert_eq!(read.history.len(), 4);
    // A handler can carry on from the demo state.
    let closed = ministry
        .transition(&read, InquiryStatus::Closed, "")
        .await
        .unwrap();
    assert_eq!(closed.status(), InquiryStatus::Closed);
    world.stop().await;
}

#[test]
fn configuration_names_the_tracking_key_setting() {
    let parse = |extra: &[&str]| {
        let mut argv = vec![
            "inquiries",
            "--mode",
            "production",
            "--jwks-file",
            "/etc/jalia/jwks.json",
            "--page-token-key",
            "0123456789abcdef0123456789abcdef",
            "--database-url",
            "postgres://inquiries@db.internal/inquiries",
        ];
        argv.extend_from_slice(extra);
        let matches = clap::Command::new("inquiries")
            .args(Config::args())
            .try_get_matches_from(argv)
            .unwrap();
        Config::from_matches(&matches)
    };
    let missing = parse(&[]).unwrap_err();
    assert_eq!(
        missing.setting,
        "--tracking-key / JALIA_INQUIRIES_TRACKING_KEY"
    );
    let short = parse(&["--tracking-key", "short"]).unwrap_err();
    assert!(short.problem.contains("32 bytes"));
    let config = parse(&[
        "--tracking-key",
        "fedcba9876543210fedcba9876543210",
        "--catalog-timeout",
        "500ms",
    ])
    .unwrap();
    assert_eq!(config.catalog_timeout, Duration::from_millis(500));
    assert_eq!(config.catalog_url, "http://127.0.0.1:50052");
    assert_eq!(config.reconcile_interval, Duration::from_secs(30));
    assert!(!format!("{config:?}").contains("fedcba9876543210"));
    let bad_url = parse(&[
        "--tracking-key",
        "fedcba9876543210fedcba9876543210",
        "--catalog-url",
        "catalog:50052",
    ])
    .unwrap_err();
    assert_eq!(
        bad_url.setting,
        "--catalog-url / JALIA_INQUIRIES_CATALOG_URL"
    );
}

#[tokio::test]
async fn a_requester_needs_only_one_of_email_and_phone() {
    let world = World::start(1, CatalogAt::Down).await;
    let desk = world.caller("desk-app", "bm").await;
    let category = desk
        .create_category("agencies/bm", "Aide au logement", 30)
        .await
        .unwrap();
    let mut only_email = submission(&category);
    requester_mut(&mut only_email).phone.clear();
    desk.submit(only_email).await.unwrap();
    let mut only_phone = submission(&category);
    requester_mut(&mut only_phone).email.clear();
    desk.submit(only_phone).await.unwrap();
    let mut neither = submission(&category);
    requester_mut(&mut neither).email.clear();
    requester_mut(&mut neither).phone.clear();
    assert_invalid(desk.submit(neither).await, "inquiry.requester");
}
