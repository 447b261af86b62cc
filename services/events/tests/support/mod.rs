//! Typed helpers shared by the events test binaries: an Application on 127.0.0.1:0 over
//! a fresh test database, development tokens, clients, and event fixtures.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use jalia_db::testing::TestDatabase;
use jalia_events::{Application, Config};
use jalia_proto::events::v1 as pb;
use jalia_proto::events::v1::event_service_client::EventServiceClient;
use jalia_proto::r#type::v1 as wire;
use jalia_runtime::auth::{AuthConfig, DevTokenIssuer, TokenClaims};
use jalia_runtime::{SharedClock, Shutdown, ShutdownTrigger};
use tonic::transport::Channel;

pub const ALL_SCOPES: [&str; 3] = ["events.read", "events.write", "events.checkin"];

/// One running instance of the service.
#[derive(Debug)]
pub struct Instance {
    pub addr: SocketAddr,
    pub trigger: ShutdownTrigger,
}

/// Instances sharing one database and one data folder (so one dev signing key).
#[derive(Debug)]
pub struct TestApp {
    pub database: TestDatabase,
    pub instances: Vec<Instance>,
    pub auth: AuthConfig,
    pub dir: tempfile::TempDir,
    pub clock: SharedClock,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for instance in &self.instances {
            instance.trigger.trigger();
        }
    }
}

impl TestApp {
    pub async fn spawn(instances: usize, clock: SharedClock) -> Self {
        Self::spawn_with(instances, clock, false).await
    }

    pub async fn spawn_with(instances: usize, clock: SharedClock, demo: bool) -> Self {
        let database = TestDatabase::new().await;
        let dir = tempfile::tempdir().unwrap();
        let url = database.config().url().to_owned();
        let key = "a shared page token key for every replica of the test";
        let mut running = Vec::new();
        for index in 0..instances {
            let mut config = Config::development(dir.path(), &url);
            config.storage.page_token_key = jalia_runtime::Secret::new(key);
            if index == 0 {
                jalia_events::migrate(&config.storage).await.unwrap();
            }
            let app = Application::build(config, clock.clone()).await.unwrap();
            if demo && index == 0 {
                // Twice: loading the demo again must change nothing.
                app.load_demo().await.unwrap();
                app.load_demo().await.unwrap();
            }
            let addr = app.local_addr();
            let (trigger, shutdown) = Shutdown::manual();
            tokio::spawn(app.run(shutdown));
            running.push(Instance { addr, trigger });
        }
        let auth = jalia_runtime::ServerSettings::development(dir.path()).auth;
        Self {
            database,
            instances: running,
            auth,
            dir,
            clock,
        }
    }

    pub async fn client(&self, instance: usize) -> EventServiceClient<Channel> {
        let channel = tonic::transport::Endpoint::from_shared(format!(
            "http://{}",
            self.instances[instance].addr
        ))
        .unwrap()
        .connect()
        .await
        .unwrap();
        EventServiceClient::new(channel)
    }

    pub fn token(&self, agency: &str, scopes: &[&str]) -> String {
        DevTokenIssuer::from_config(&self.auth)
            .unwrap()
            .mint(&TokenClaims::new(
                &self.auth,
                "desk-app",
                agency,
                scopes,
                // Valid from the service's clock, which a test may have set in the past.
                self.clock.now(),
                Duration::from_secs(24 * 3600),
            ))
            .unwrap()
    }

    pub fn bm(&self) -> String {
        self.token("bm", &ALL_SCOPES)
    }
}

pub fn authed<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

pub fn text(language: &str, value: &str) -> Option<wire::LocalizedText> {
    Some(wire::LocalizedText {
        entries: vec![wire::LocalizedString {
            language_code: language.to_owned(),
            text: value.to_owned(),
        }],
        resolved: None,
    })
}

pub fn at(local: &str) -> Option<wire::ZonedDateTime> {
    Some(wire::ZonedDateTime {
        local_date_time: local.to_owned(),
        time_zone: "Africa/Casablanca".to_owned(),
        ..Default::default()
    })
}

/// A complete in-person event ready to publish, with registration settings.
pub fn event(start: &str, end: &str, capacity: i32, reserved: i32) -> pb::Event {
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

/// Creates and publishes an event of agency `bm`.
pub async fn published(
    client: &mut EventServiceClient<Channel>,
    token: &str,
    event: pb::Event,
) -> pb::Event {
    let created = client
        .create_event(authed(
            pb::CreateEventRequest {
                parent: "agencies/bm".into(),
                event: Some(event),
                request_id: String::new(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner();
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

pub fn attendee(index: usize) -> pb::Attendee {
    pb::Attendee {
        display_name: format!("Participant {index:04}"),
        email: format!("participant.{index:04}@example.org"),
        phone: String::new(),
        residence_region_code: "FR".into(),
        language_code: "fr".into(),
        diaspora: true,
    }
}

pub fn register_request(event: &str, attendee: pb::Attendee) -> pb::RegisterAttendeeRequest {
    pb::RegisterAttendeeRequest {
        parent: event.to_owned(),
        registration: Some(pb::Registration {
            attendee: Some(attendee),
            ..Default::default()
        }),
        request_id: uuid::Uuid::new_v4().to_string(),
    }
}
