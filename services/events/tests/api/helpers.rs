//! What the events API tests share: instances of the service on 127.0.0.1:0 over one
//! fresh test database (SQLite, or PostgreSQL when JALIA_TEST_POSTGRES_URL is set),
//! tokens, clients, and event and attendee fixtures.

use std::time::Duration;

use jalia_db::testing::TestDatabase;
use jalia_events::{Application, Config};
use jalia_proto::events::v1 as pb;
use jalia_proto::events::v1::event_service_client::EventServiceClient;
use jalia_proto::r#type::v1 as wire;
use jalia_runtime::{SharedClock, Shutdown, ShutdownTrigger, system_clock};
use jalia_testing::{DevTokens, authed, channel};
use tonic::transport::Channel;

pub(crate) use jalia_testing::{LogCapture, assert_invalid, assert_status};

/// Every scope of the events service.
pub(crate) const ALL_SCOPES: [&str; 3] = ["events.read", "events.write", "events.checkin"];

/// A client of one instance.
pub(crate) type Client = EventServiceClient<Channel>;

/// Instances of the service sharing one database and one data folder (so one
/// development signing key), stopped when dropped.
pub(crate) struct TestApp {
    _database: TestDatabase,
    triggers: Vec<ShutdownTrigger>,
    addresses: Vec<std::net::SocketAddr>,
    tokens: DevTokens,
    clock: SharedClock,
    _dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for trigger in &self.triggers {
            trigger.trigger();
        }
    }
}

/// How to start the instances.
pub(crate) struct Spawn {
    instances: usize,
    clock: SharedClock,
    demo: bool,
    configure: fn(&mut Config),
}

impl Spawn {
    /// One instance on the system clock, no demo data, default settings.
    pub(crate) fn one() -> Self {
        Self {
            instances: 1,
            clock: system_clock(),
            demo: false,
            configure: |_| {},
        }
    }

    /// `instances` replicas on one database.
    pub(crate) fn replicas(instances: usize) -> Self {
        Self {
            instances,
            ..Self::one()
        }
    }

    /// On a clock the test sets.
    pub(crate) fn on_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// With the demo data loaded (twice: loading again must change nothing).
    pub(crate) fn with_demo(mut self) -> Self {
        self.demo = true;
        self
    }

    /// With settings of its own.
    pub(crate) fn configured(mut self, configure: fn(&mut Config)) -> Self {
        self.configure = configure;
        self
    }

    /// Starts them.
    pub(crate) async fn start(self) -> TestApp {
        let database = TestDatabase::new().await;
        let dir = tempfile::tempdir().unwrap();
        let url = database.config().url().to_owned();
        let mut triggers = Vec::new();
        let mut addresses = Vec::new();
        for index in 0..self.instances {
            let mut config = Config::development(dir.path(), &url);
            config.storage.page_token_key =
                jalia_runtime::Secret::new("a shared page token key for every replica of the test");
            (self.configure)(&mut config);
            if index == 0 {
                jalia_events::migrate(&config.storage).await.unwrap();
            }
            let app = Application::build(config, self.clock.clone())
                .await
                .unwrap();
            if self.demo && index == 0 {
                app.load_demo().await.unwrap();
                app.load_demo().await.unwrap();
            }
            addresses.push(app.local_addr());
            let (trigger, shutdown) = Shutdown::manual();
            tokio::spawn(app.run(shutdown));
            triggers.push(trigger);
        }
        TestApp {
            _database: database,
            triggers,
            addresses,
            tokens: DevTokens::for_data_dir(dir.path()),
            clock: self.clock,
            _dir: dir,
        }
    }
}

impl TestApp {
    /// One instance on the system clock.
    pub(crate) async fn one() -> Self {
        Spawn::one().start().await
    }

    /// A client of instance `index`.
    pub(crate) async fn client(&self, index: usize) -> Client {
        EventServiceClient::new(channel(self.addresses[index]).await)
    }

    /// A token of `subject` acting for `agency` with `scopes`, valid from the service's
    /// clock (which a test may have moved).
    pub(crate) fn token_of(&self, subject: &str, agency: &str, scopes: &[&str]) -> String {
        self.tokens.mint_at(
            subject,
            agency,
            scopes,
            self.clock.now(),
            Duration::from_secs(3600),
        )
    }

    /// A token of the desk application of agency `agency`, with every scope.
    pub(crate) fn token(&self, agency: &str) -> String {
        self.token_of("desk-app", agency, &ALL_SCOPES)
    }

    /// The organiser's token: agency `bm`, every scope.
    pub(crate) fn bm(&self) -> String {
        self.token("bm")
    }
}

/// A one-language text.
pub(crate) fn text(language: &str, value: &str) -> Option<wire::LocalizedText> {
    Some(wire::LocalizedText {
        entries: vec![wire::LocalizedString {
            language_code: language.to_owned(),
            text: value.to_owned(),
        }],
        resolved: None,
    })
}

/// The text a reader was served.
pub(crate) fn served(text: &Option<wire::LocalizedText>) -> String {
    text.as_ref()
        .and_then(|text| text.resolved.as_ref())
        .map(|resolved| resolved.text.clone())
        .unwrap_or_default()
}

/// A local time in Morocco.
pub(crate) fn at(local: &str) -> Option<wire::ZonedDateTime> {
    Some(wire::ZonedDateTime {
        local_date_time: local.to_owned(),
        time_zone: "Africa/Casablanca".to_owned(),
        ..Default::default()
    })
}

/// An instant on the wire from seconds since the epoch.
pub(crate) fn seconds(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

/// A complete in-person event ready to publish, with registration open.
pub(crate) fn event(start: &str, end: &str, capacity: i32, reserved: i32) -> pb::Event {
    pb::Event {
        kind: pb::EventKind::InformationSession as i32,
        title: text("fr", "Permanence d'information pour les Marocains du monde"),
        start: at(start),
        end: at(end),
        attendance_mode: pb::AttendanceMode::InPerson as i32,
        venue: Some(pb::Venue {
            display_name: text("fr", "Siège de l'Agence urbaine de Béni Mellal"),
            address: Some(wire::PostalAddress {
                locality: "Béni Mellal".into(),
                region_code: "MA".into(),
                ..Default::default()
            }),
        }),
        audiences: vec![wire::Audience::Diaspora as i32],
        registration_settings: Some(pb::RegistrationSettings {
            enabled: true,
            capacity,
            reserved_seats: reserved,
            waitlist_enabled: true,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A CreateEvent request of agency `bm`.
pub(crate) fn create(event: pb::Event) -> pb::CreateEventRequest {
    pb::CreateEventRequest {
        parent: "agencies/bm".into(),
        event: Some(event),
        request_id: String::new(),
    }
}

/// Creates a draft of agency `bm`.
pub(crate) async fn draft(client: &mut Client, token: &str, event: pb::Event) -> pb::Event {
    client
        .create_event(authed(create(event), token))
        .await
        .unwrap()
        .into_inner()
}

/// Creates and publishes an event of agency `bm`.
pub(crate) async fn published(client: &mut Client, token: &str, event: pb::Event) -> pb::Event {
    let created = draft(client, token, event).await;
    client
        .publish_event(authed(
            pb::PublishEventRequest {
                name: created.name.clone(),
                etag: created.etag.clone(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

/// Changes the fields of `event` (its name and etag set) that `paths` name, as `token`.
pub(crate) async fn update_fields(
    client: &mut Client,
    token: &str,
    event: pb::Event,
    paths: &[&str],
) -> Result<pb::Event, tonic::Status> {
    client
        .update_event(authed(
            pb::UpdateEventRequest {
                event: Some(event),
                update_mask: Some(prost_types::FieldMask {
                    paths: paths.iter().map(|path| (*path).to_owned()).collect(),
                }),
            },
            token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

/// Reads an event as `token` sees it.
pub(crate) async fn read(client: &mut Client, token: &str, name: &str) -> pb::Event {
    client
        .get_event(authed(
            pb::GetEventRequest {
                name: name.to_owned(),
                language_code: "fr".into(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

/// A person who registers.
pub(crate) fn attendee(index: usize) -> pb::Attendee {
    pb::Attendee {
        display_name: format!("Participant {index:04}"),
        email: format!("participant.{index:04}@example.org"),
        phone: String::new(),
        residence_region_code: "FR".into(),
        language_code: "fr".into(),
        diaspora: true,
    }
}

/// A RegisterAttendee request with a fresh request_id.
pub(crate) fn register_request(event: &str, attendee: pb::Attendee) -> pb::RegisterAttendeeRequest {
    pb::RegisterAttendeeRequest {
        parent: event.to_owned(),
        registration: Some(pb::Registration {
            attendee: Some(attendee),
            ..Default::default()
        }),
        request_id: uuid::Uuid::new_v4().to_string(),
    }
}

/// Registers `attendee` as `token`.
pub(crate) async fn register(
    client: &mut Client,
    token: &str,
    event: &str,
    attendee: pb::Attendee,
) -> Result<pb::Registration, tonic::Status> {
    client
        .register_attendee(authed(register_request(event, attendee), token))
        .await
        .map(tonic::Response::into_inner)
}

/// Every registration of an event, through ListRegistrations' pages.
pub(crate) async fn full_roster(
    client: &mut Client,
    token: &str,
    event: &str,
) -> Vec<pb::Registration> {
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_registrations(authed(
                pb::ListRegistrationsRequest {
                    parent: event.to_owned(),
                    page_size: 70,
                    page_token: page_token.clone(),
                    ..Default::default()
                },
                token,
            ))
            .await
            .unwrap()
            .into_inner();
        all.extend(page.registrations);
        if page.next_page_token.is_empty() {
            return all;
        }
        page_token = page.next_page_token;
    }
}

/// The registration status on the wire.
pub(crate) fn status_of(registration: &pb::Registration) -> pb::RegistrationStatus {
    pb::RegistrationStatus::try_from(registration.status).unwrap()
}
