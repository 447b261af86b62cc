//! The world a test runs in: a test database, one or more inquiries servers on it, a
//! clock the test sets, the fake catalog, tokens from jalia-testing, and the generated
//! client with a caller's token on every call.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jalia_db::testing::TestDatabase;
use jalia_inquiries::{Application, Config, Reconciler};
use jalia_proto::inquiries::v1::inquiry_service_client::InquiryServiceClient;
use jalia_proto::inquiries::v1::*;
use jalia_proto::r#type::v1::{CivilDate, LocalizedString, LocalizedText};
use jalia_runtime::{Clock, ManualClock, Shutdown, ShutdownTrigger};
use jalia_testing::{DevTokens, authed, channel};
use jiff::Timestamp;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::fake_catalog::{CatalogServer, FakeCatalog};

pub(crate) const ALL_SCOPES: [&str; 4] = [
    "inquiries.submit",
    "inquiries.read",
    "inquiries.handle",
    "inquiries.stats",
];

/// How long the tests' tokens live: the tests move the clock by up to a month.
const TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 86_400);

/// One test's world: a database, one or more inquiries servers on it, a set clock, a
/// fake catalog, and a way to mint tokens.
pub(crate) struct World {
    pub database: TestDatabase,
    pub config: Config,
    pub clock: Arc<ManualClock>,
    pub catalog: FakeCatalog,
    tokens: DevTokens,
    catalog_server: CatalogServer,
    servers: Vec<Running>,
    _dir: tempfile::TempDir,
}

struct Running {
    addr: SocketAddr,
    reconciler: Reconciler,
    trigger: ShutdownTrigger,
    task: tokio::task::JoinHandle<Result<(), jalia_runtime::ServerError>>,
}

/// How the catalog answers when the world starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CatalogAt {
    /// It answers.
    Up,
    /// Every call is UNAVAILABLE, as when it is down: inquiries cannot tell.
    Down,
}

/// 10 August 2025, 10:00 in Béni Mellal: the morning of the meeting at the Wilaya.
pub(crate) fn meeting_day() -> Timestamp {
    local("2025-08-10T10:00:00")
}

/// A wall-clock time in Casablanca (UTC+1 in August).
pub(crate) fn local(wall: &str) -> Timestamp {
    format!("{wall}+01:00").parse().unwrap()
}

impl World {
    pub(crate) async fn start(instances: usize, catalog_at: CatalogAt) -> Self {
        Self::start_with(instances, catalog_at, |_| {}).await
    }

    /// A world whose configuration `configure` changes before any server starts.
    pub(crate) async fn start_with(
        instances: usize,
        catalog_at: CatalogAt,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        let catalog = FakeCatalog::default();
        catalog.set_down(catalog_at == CatalogAt::Down);
        let catalog_server = CatalogServer::start(catalog.clone()).await;
        let database = TestDatabase::new().await;
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::development(dir.path(), database.config().url());
        config.catalog_url = format!("http://{}", catalog_server.addr);
        config.catalog_timeout = Duration::from_secs(2);
        // Rounds run when a test asks for them, not on a timer.
        config.reconcile_interval = Duration::from_secs(3600);
        config.server.auth.max_token_lifetime = TOKEN_LIFETIME;
        configure(&mut config);
        jalia_inquiries::migrate(&config.storage).await.unwrap();
        let mut world = Self {
            tokens: DevTokens::for_auth(&config.server.auth),
            database,
            config,
            clock: ManualClock::new(meeting_day()),
            catalog,
            catalog_server,
            servers: Vec::new(),
            _dir: dir,
        };
        for _ in 0..instances {
            world.add_server().await;
        }
        world
    }

    pub(crate) async fn add_server(&mut self) {
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

    pub(crate) fn bring_catalog_up(&self) {
        self.catalog.set_down(false);
    }

    /// "Now" as the store keeps instants: microseconds since the epoch.
    pub(crate) fn clock_micros(&self) -> i64 {
        self.clock.now().as_microsecond()
    }

    pub(crate) fn set_clock(&self, wall: &str) {
        self.clock.set(local(wall));
    }

    pub(crate) fn reconciler(&self) -> &Reconciler {
        &self.servers[0].reconciler
    }

    /// The background rounds of server `index`.
    pub(crate) fn reconciler_on(&self, index: usize) -> &Reconciler {
        &self.servers[index].reconciler
    }

    /// A caller of `agency` (`*` for ministry-wide) named `subject`, on server `index`.
    pub(crate) async fn caller_on(&self, index: usize, subject: &str, agency: &str) -> Api {
        let token = self.tokens.mint_at(
            subject,
            agency,
            &ALL_SCOPES,
            self.clock.now(),
            TOKEN_LIFETIME,
        );
        Api {
            client: client(self.servers[index].addr).await,
            token: Some(token),
        }
    }

    pub(crate) async fn caller(&self, subject: &str, agency: &str) -> Api {
        self.caller_on(0, subject, agency).await
    }

    /// A caller of `agency` named `subject` whose token holds only `scopes`.
    pub(crate) async fn caller_scoped(&self, subject: &str, agency: &str, scopes: &[&str]) -> Api {
        let token = self
            .tokens
            .mint_at(subject, agency, scopes, self.clock.now(), TOKEN_LIFETIME);
        Api {
            client: client(self.servers[0].addr).await,
            token: Some(token),
        }
    }

    /// A caller without a token, as a citizen portal calling LookupInquiry.
    pub(crate) async fn anonymous(&self) -> Api {
        Api {
            client: client(self.servers[0].addr).await,
            token: None,
        }
    }

    pub(crate) async fn stop(mut self) {
        for server in self.servers.drain(..) {
            server.trigger.trigger();
            server.task.await.unwrap().unwrap();
        }
        self.catalog_server.stop().await;
    }
}

async fn client(addr: SocketAddr) -> InquiryServiceClient<Channel> {
    InquiryServiceClient::new(channel(addr).await)
}

/// The generated client with a caller's token on every call.
#[derive(Clone)]
pub(crate) struct Api {
    client: InquiryServiceClient<Channel>,
    token: Option<String>,
}

impl Api {
    pub(crate) fn request<T>(&self, message: T) -> Request<T> {
        match &self.token {
            Some(token) => authed(message, token),
            None => Request::new(message),
        }
    }

    /// The generated client, for the calls the helpers below do not wrap.
    pub(crate) fn client(&self) -> InquiryServiceClient<Channel> {
        self.client.clone()
    }

    pub(crate) async fn submit(
        &self,
        request: SubmitInquiryRequest,
    ) -> Result<SubmitInquiryResponse, Status> {
        let request = self.request(request);
        self.client()
            .submit_inquiry(request)
            .await
            .map(Response::into_inner)
    }

    pub(crate) async fn lookup(
        &self,
        reference: &str,
        code: &str,
    ) -> Result<LookupInquiryResponse, Status> {
        let request = self.request(LookupInquiryRequest {
            reference: reference.to_owned(),
            tracking_code: code.to_owned(),
            language_code: "fr".to_owned(),
        });
        self.client()
            .lookup_inquiry(request)
            .await
            .map(Response::into_inner)
    }

    pub(crate) async fn get(&self, name: &str) -> Result<Inquiry, Status> {
        let request = self.request(GetInquiryRequest {
            name: name.to_owned(),
            language_code: "fr".to_owned(),
        });
        self.client()
            .get_inquiry(request)
            .await
            .map(Response::into_inner)
    }

    pub(crate) async fn list(
        &self,
        request: ListInquiriesRequest,
    ) -> Result<ListInquiriesResponse, Status> {
        let request = self.request(request);
        self.client()
            .list_inquiries(request)
            .await
            .map(Response::into_inner)
    }

    /// Every inquiry matching `request`, page after page.
    pub(crate) async fn list_all(&self, mut request: ListInquiriesRequest) -> Vec<Inquiry> {
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

    pub(crate) async fn update(&self, inquiry: Inquiry, paths: &[&str]) -> Result<Inquiry, Status> {
        let request = self.request(UpdateInquiryRequest {
            inquiry: Some(inquiry),
            update_mask: Some(mask(paths)),
        });
        self.client()
            .update_inquiry(request)
            .await
            .map(Response::into_inner)
    }

    pub(crate) async fn assign(
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
        self.client()
            .assign_inquiry(request)
            .await
            .map(Response::into_inner)
    }

    pub(crate) async fn transition(
        &self,
        inquiry: &Inquiry,
        status: InquiryStatus,
        note: &str,
    ) -> Result<Inquiry, Status> {
        self.transition_with(inquiry, status, note, None).await
    }

    pub(crate) async fn transition_with(
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
        self.client()
            .transition_inquiry(request)
            .await
            .map(Response::into_inner)
    }

    pub(crate) async fn write(
        &self,
        inquiry: &str,
        visibility: MessageVisibility,
        body: &str,
    ) -> Result<InquiryMessage, Status> {
        self.add_message(message(inquiry, visibility, body)).await
    }

    pub(crate) async fn add_message(
        &self,
        request: AddInquiryMessageRequest,
    ) -> Result<InquiryMessage, Status> {
        let request = self.request(request);
        self.client()
            .add_inquiry_message(request)
            .await
            .map(Response::into_inner)
    }

    pub(crate) async fn messages(
        &self,
        inquiry: &str,
    ) -> Result<ListInquiryMessagesResponse, Status> {
        let request = self.request(ListInquiryMessagesRequest {
            parent: inquiry.to_owned(),
            ..Default::default()
        });
        self.client()
            .list_inquiry_messages(request)
            .await
            .map(Response::into_inner)
    }

    pub(crate) async fn create_category(
        &self,
        parent: &str,
        french_name: &str,
        days: i32,
    ) -> Result<InquiryCategory, Status> {
        self.create_category_with(parent, french_name, days, &Uuid::new_v4().to_string())
            .await
    }

    pub(crate) async fn create_category_with(
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
        self.client()
            .create_inquiry_category(request)
            .await
            .map(Response::into_inner)
    }

    pub(crate) async fn update_category(
        &self,
        category: InquiryCategory,
        paths: &[&str],
    ) -> Result<InquiryCategory, Status> {
        let request = self.request(UpdateInquiryCategoryRequest {
            inquiry_category: Some(category),
            update_mask: Some(mask(paths)),
        });
        self.client()
            .update_inquiry_category(request)
            .await
            .map(Response::into_inner)
    }

    pub(crate) async fn statistics(
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
        self.client()
            .get_inquiry_statistics(request)
            .await
            .map(Response::into_inner)
    }
}

pub(crate) fn text(language: &str, value: &str) -> LocalizedText {
    LocalizedText {
        entries: vec![LocalizedString {
            language_code: language.to_owned(),
            text: value.to_owned(),
        }],
        resolved: None,
    }
}

pub(crate) fn date(value: &str) -> CivilDate {
    CivilDate {
        date: value.to_owned(),
    }
}

fn mask(paths: &[&str]) -> prost_types::FieldMask {
    prost_types::FieldMask {
        paths: paths.iter().map(|path| (*path).to_owned()).collect(),
    }
}

/// A citizen's submission as a desk system sends it, with a request_id. The requester
/// is fictional.
pub(crate) fn submission(category: &InquiryCategory) -> SubmitInquiryRequest {
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
        attachments: Vec::new(),
    }
}

/// A message on `inquiry`, with a request_id.
pub(crate) fn message(
    inquiry: &str,
    visibility: MessageVisibility,
    body: &str,
) -> AddInquiryMessageRequest {
    AddInquiryMessageRequest {
        parent: inquiry.to_owned(),
        inquiry_message: Some(InquiryMessage {
            visibility: visibility as i32,
            body: body.to_owned(),
            ..Default::default()
        }),
        request_id: Uuid::new_v4().to_string(),
        attachments: Vec::new(),
    }
}

pub(crate) fn inquiry_mut(request: &mut SubmitInquiryRequest) -> &mut Inquiry {
    request.inquiry.as_mut().unwrap()
}

pub(crate) fn requester_mut(request: &mut SubmitInquiryRequest) -> &mut Requester {
    inquiry_mut(request).requester.as_mut().unwrap()
}

pub(crate) fn service_name() -> String {
    format!("agencies/bm/services/{}", Uuid::now_v7())
}

pub(crate) fn due_date(inquiry: &Inquiry) -> &str {
    &inquiry.due_date.as_ref().unwrap().date
}

pub(crate) fn list_of(parent: &str) -> ListInquiriesRequest {
    ListInquiriesRequest {
        parent: parent.to_owned(),
        ..Default::default()
    }
}

/// An instant of the wire.
pub(crate) fn instant(timestamp: &prost_types::Timestamp) -> Timestamp {
    Timestamp::new(timestamp.seconds, timestamp.nanos).unwrap()
}
