//! One API vocabulary: the same condition gets the same code, the same ErrorInfo reason and
//! the same field path in every service, through the gateway. A caller's error handling
//! written against one service works against the others.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use jalia_e2e::{TestSuite, with_token};
use jalia_proto::catalog::v1 as catalog;
use jalia_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use jalia_proto::events::v1 as events;
use jalia_proto::events::v1::event_service_client::EventServiceClient;
use jalia_proto::inquiries::v1 as inquiries;
use jalia_proto::inquiries::v1::inquiry_service_client::InquiryServiceClient;
use jalia_proto::r#type::v1 as wire;
use jalia_runtime::reasons;
use prost_types::FieldMask;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt;

const SCOPES: [&str; 5] = [
    "events.read",
    "events.write",
    "catalog.write",
    "inquiries.read",
    "inquiries.handle",
];
/// An id no resource has: a well-formed UUIDv7.
const NOBODY: &str = "01900000-0000-7000-8000-000000000000";
/// An etag the server never issued for the current version.
const STALE: &str = "\"v999\"";

fn french(value: &str) -> Option<wire::LocalizedText> {
    Some(wire::LocalizedText {
        entries: vec![wire::LocalizedString {
            language_code: "fr".to_owned(),
            text: value.to_owned(),
        }],
        resolved: None,
    })
}

fn casablanca(local: &str) -> Option<wire::ZonedDateTime> {
    Some(wire::ZonedDateTime {
        local_date_time: local.to_owned(),
        time_zone: "Africa/Casablanca".to_owned(),
        ..Default::default()
    })
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|path| (*path).to_owned()).collect(),
    })
}

fn reason(status: &Status) -> String {
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}

fn fields(status: &Status) -> Vec<String> {
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

/// The three services' answers to one condition, by service.
struct Answers {
    condition: &'static str,
    answers: Vec<(&'static str, Status)>,
}

impl Answers {
    fn new(condition: &'static str) -> Self {
        Self {
            condition,
            answers: Vec::new(),
        }
    }

    fn add<T: std::fmt::Debug>(&mut self, service: &'static str, answer: Result<T, Status>) {
        match answer {
            Ok(value) => panic!("{}: {service} accepted the call: {value:?}", self.condition),
            Err(status) => self.answers.push((service, status)),
        }
    }

    fn all_say(&self, code: Code, reason_expected: &str) {
        for (service, status) in &self.answers {
            assert_eq!(
                (status.code(), reason(status).as_str()),
                (code, reason_expected),
                "{}: {service} answered {status:?}",
                self.condition
            );
        }
        assert_eq!(self.answers.len(), 3, "{}: every service", self.condition);
    }

    fn all_name_field(&self, field: &str) {
        self.all_say(Code::InvalidArgument, reasons::INVALID_ARGUMENT);
        for (service, status) in &self.answers {
            assert_eq!(
                fields(status),
                [field],
                "{}: {service} answered {status:?}",
                self.condition
            );
        }
    }
}

struct Clients {
    events: EventServiceClient<Channel>,
    catalog: CatalogServiceClient<Channel>,
    inquiries: InquiryServiceClient<Channel>,
    token: String,
}

impl Clients {
    async fn new(suite: &TestSuite) -> Self {
        let channel = suite.gateway().await;
        Self {
            events: EventServiceClient::new(channel.clone()),
            catalog: CatalogServiceClient::new(channel.clone()),
            inquiries: InquiryServiceClient::new(channel),
            token: suite.token("vocabulary-check", "bm", &SCOPES),
        }
    }

    fn authed<T>(&self, message: T) -> tonic::Request<T> {
        with_token(message, &self.token)
    }

    async fn create_event(
        &mut self,
        parent: &str,
        request_id: &str,
    ) -> Result<events::Event, Status> {
        let request = self.authed(events::CreateEventRequest {
            parent: parent.to_owned(),
            event: Some(events::Event {
                kind: events::EventKind::InformationSession as i32,
                title: french("Permanence d'information"),
                start: casablanca("2027-03-15T09:00:00"),
                end: casablanca("2027-03-15T12:00:00"),
                ..Default::default()
            }),
            request_id: request_id.to_owned(),
        });
        self.events
            .create_event(request)
            .await
            .map(tonic::Response::into_inner)
    }

    async fn create_service(
        &mut self,
        parent: &str,
        request_id: &str,
    ) -> Result<catalog::PublicService, Status> {
        let request = self.authed(catalog::CreatePublicServiceRequest {
            parent: parent.to_owned(),
            public_service: Some(catalog::PublicService {
                display_name: french("Note de renseignements urbanistiques"),
                ..Default::default()
            }),
            request_id: request_id.to_owned(),
        });
        self.catalog
            .create_public_service(request)
            .await
            .map(tonic::Response::into_inner)
    }

    async fn create_category(
        &mut self,
        parent: &str,
        request_id: &str,
        name: &str,
    ) -> Result<inquiries::InquiryCategory, Status> {
        let request = self.authed(inquiries::CreateInquiryCategoryRequest {
            parent: parent.to_owned(),
            inquiry_category: Some(inquiries::InquiryCategory {
                display_name: french(name),
                default_response_days: 10,
                ..Default::default()
            }),
            request_id: request_id.to_owned(),
        });
        self.inquiries
            .create_inquiry_category(request)
            .await
            .map(tonic::Response::into_inner)
    }

    /// Renames one resource of each service, with the etag and mask given.
    async fn renames(
        &mut self,
        condition: &'static str,
        owned: &Owned,
        etag: Option<&str>,
        paths: &[&str],
    ) -> Answers {
        let mut answers = Answers::new(condition);
        let mut event = owned.event.clone();
        event.title = french("Permanence renommée");
        if let Some(etag) = etag {
            event.etag = etag.to_owned();
        }
        let request = self.authed(events::UpdateEventRequest {
            event: Some(event),
            update_mask: mask(paths),
        });
        answers.add("events", self.events.update_event(request).await);

        let mut service = owned.service.clone();
        service.display_name = french("Note renommée");
        if let Some(etag) = etag {
            service.etag = etag.to_owned();
        }
        let paths_here: Vec<&str> = paths
            .iter()
            .map(|path| {
                if *path == "title" {
                    "display_name"
                } else {
                    *path
                }
            })
            .collect();
        let request = self.authed(catalog::UpdatePublicServiceRequest {
            public_service: Some(service),
            update_mask: mask(&paths_here),
        });
        answers.add(
            "services-catalog",
            self.catalog.update_public_service(request).await,
        );

        let mut category = owned.category.clone();
        category.display_name = french("Catégorie renommée");
        if let Some(etag) = etag {
            category.etag = etag.to_owned();
        }
        let request = self.authed(inquiries::UpdateInquiryCategoryRequest {
            inquiry_category: Some(category),
            update_mask: mask(&paths_here),
        });
        answers.add(
            "inquiries",
            self.inquiries.update_inquiry_category(request).await,
        );
        answers
    }
}

/// One fresh resource of each service, owned by agency `bm`.
struct Owned {
    event: events::Event,
    service: catalog::PublicService,
    category: inquiries::InquiryCategory,
}

#[tokio::test]
async fn the_same_condition_gets_the_same_code_reason_and_field_in_every_service() {
    let suite = TestSuite::start(None).await;
    let mut clients = Clients::new(&suite).await;
    let owned = Owned {
        event: clients.create_event("agencies/bm", "").await.unwrap(),
        service: clients.create_service("agencies/bm", "").await.unwrap(),
        category: clients
            .create_category("agencies/bm", "", "Vocabulaire commun")
            .await
            .unwrap(),
    };

    let mut missing = Answers::new("a resource that does not exist");
    let request = clients.authed(events::GetEventRequest {
        name: format!("agencies/bm/events/{NOBODY}"),
        language_code: String::new(),
    });
    missing.add("events", clients.events.get_event(request).await);
    let request = clients.authed(catalog::GetPublicServiceRequest {
        name: format!("agencies/bm/services/{NOBODY}"),
        ..Default::default()
    });
    missing.add(
        "services-catalog",
        clients.catalog.get_public_service(request).await,
    );
    let request = clients.authed(inquiries::GetInquiryRequest {
        name: format!("agencies/bm/inquiries/{NOBODY}"),
        ..Default::default()
    });
    missing.add("inquiries", clients.inquiries.get_inquiry(request).await);
    missing.all_say(Code::NotFound, reasons::NOT_FOUND);

    let mut foreign = Answers::new("a create under another agency");
    foreign.add("events", clients.create_event("agencies/ma", "").await);
    foreign.add(
        "services-catalog",
        clients.create_service("agencies/ma", "").await,
    );
    foreign.add(
        "inquiries",
        clients.create_category("agencies/ma", "", "Ailleurs").await,
    );
    foreign.all_say(Code::PermissionDenied, reasons::OTHER_AGENCY);

    let mut malformed = Answers::new("a request_id that is not a UUID");
    malformed.add(
        "events",
        clients.create_event("agencies/bm", "not-a-uuid").await,
    );
    malformed.add(
        "services-catalog",
        clients.create_service("agencies/bm", "not-a-uuid").await,
    );
    malformed.add(
        "inquiries",
        clients
            .create_category("agencies/bm", "not-a-uuid", "Identifiant")
            .await,
    );
    malformed.all_name_field("request_id");

    clients
        .renames("a stale etag", &owned, Some(STALE), &["title"])
        .await
        .all_say(Code::Aborted, reasons::STALE_ETAG);

    clients
        .renames(
            "an unknown update_mask path",
            &owned,
            None,
            &["no_such_field"],
        )
        .await
        .all_name_field("update_mask.paths[0]");
}
