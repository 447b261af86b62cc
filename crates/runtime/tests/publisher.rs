//! The change-feed publisher against a real NATS JetStream server and a real database
//! (SQLite by default, PostgreSQL when `JALIA_TEST_POSTGRES_URL` is set). The broker is
//! `JALIA_TEST_NATS_URL` (CI sets it to the local server); without it these tests say so
//! and do nothing, since the embedded default never needs a broker.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)] // test helpers fail loudly

use std::time::Duration;

use async_nats::jetstream::{self, stream::Stream};
use jalia_db::sea_orm_migration::prelude::*;
use jalia_db::testing::TestDatabase;
use jalia_db::{CreateChanges, CreateLeases, Cursor, Db, NewChange, record_changes};
use jalia_runtime::publisher::{ChangePublisher, PublisherOptions, stream_name};
use jalia_runtime::{NatsSettings, Shutdown, ShutdownTrigger, system_clock};
use jiff::Timestamp;
use serde_json::Value;
use tokio::task::JoinHandle;

const SERVICE: &str = "events";

struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateChanges), Box::new(CreateLeases)]
    }

    fn migration_table_name() -> DynIden {
        "jalia_publisher_test_migrations".into_iden()
    }
}

/// A broker for this test, with a subject prefix no other test uses, or None when the run
/// has no broker.
struct Broker {
    settings: NatsSettings,
    jetstream: jetstream::Context,
}

impl Broker {
    async fn for_test() -> Option<Self> {
        let Ok(url) = std::env::var("JALIA_TEST_NATS_URL") else {
            eprintln!("JALIA_TEST_NATS_URL is not set: the publisher is not tested in this run");
            return None;
        };
        let client = async_nats::connect(&url)
            .await
            .unwrap_or_else(|err| panic!("JALIA_TEST_NATS_URL={url} cannot be reached: {err}"));
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let settings =
            NatsSettings::parse(Some(&url), Some(&format!("jaliatest.t{}", &unique[..12])))
                .unwrap()
                .unwrap();
        Some(Self {
            settings,
            jetstream: jetstream::new(client),
        })
    }

    fn publisher(&self, db: &Db, holder: &str) -> ChangePublisher {
        ChangePublisher::new(
            self.settings.clone(),
            SERVICE,
            db.clone(),
            system_clock(),
            holder.to_owned(),
        )
        .with_options(PublisherOptions {
            lease_ttl: Duration::from_secs(2),
            lease_retry: Duration::from_millis(100),
            poll_interval: Duration::from_millis(20),
            // Small rounds: a kill lands between a publish and storing the position.
            batch_size: 7,
            max_backoff: Duration::from_millis(500),
        })
    }

    fn stream_name(&self) -> String {
        stream_name(&self.settings, SERVICE)
    }

    async fn stream(&self) -> Option<Stream> {
        self.jetstream.get_stream(self.stream_name()).await.ok()
    }

    async fn message_count(&self) -> u64 {
        match self.stream().await {
            Some(mut stream) => stream.info().await.unwrap().state.messages,
            None => 0,
        }
    }

    /// Waits until the stream holds `count` messages, failing after a generous bound.
    async fn wait_for(&self, count: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        loop {
            let now = self.message_count().await;
            if now >= count {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{now} of {count} messages arrived"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Every message of the stream in its order: (subject, publisher, payload).
    async fn messages(&self) -> Vec<(String, String, Value)> {
        let stream = self.stream().await.expect("the stream exists");
        let count = self.message_count().await;
        let mut messages = Vec::new();
        for sequence in 1..=count {
            let message = stream.get_raw_message(sequence).await.unwrap();
            let publisher = message
                .headers
                .get("Jalia-Publisher")
                .map(|value| value.as_str().to_owned())
                .unwrap_or_default();
            let payload: Value = serde_json::from_slice(&message.payload).unwrap();
            messages.push((message.subject.to_string(), publisher, payload));
        }
        messages
    }

    async fn remove(&self) {
        let _ = self.jetstream.delete_stream(self.stream_name()).await;
    }
}

async fn database() -> TestDatabase {
    let database = TestDatabase::new().await;
    database.db().migrate::<Migrator>().await.unwrap();
    database
}

/// Records `count` changes, spread over agencies, kinds and resources, a few per
/// transaction as use cases do.
async fn record(db: &Db, from: usize, count: usize) {
    const KINDS: [&str; 3] = [
        "event.published",
        "registration.confirmed",
        "registration.promoted",
    ];
    const AGENCIES: [&str; 3] = ["bm", "ahu-rabat", "ccme"];
    let names: Vec<(String, usize)> = (from..from + count)
        .map(|n| {
            (
                format!("agencies/{}/events/e{}", AGENCIES[n % 3], n % 50),
                n,
            )
        })
        .collect();
    for chunk in names.chunks(5) {
        let changes: Vec<NewChange<'_>> = chunk
            .iter()
            .map(|(resource, n)| NewChange {
                kind: KINDS[n % 3],
                resource,
                agency: AGENCIES[n % 3],
                time: Timestamp::now(),
            })
            .collect();
        let tx = db.begin_write().await.unwrap();
        record_changes(&tx, &changes).await.unwrap();
        tx.commit().await.unwrap();
    }
}

/// The outbox's cursors, in order, once all `count` can be delivered.
async fn outbox(db: &Db, count: usize) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let changes = db
            .read_changes(Cursor::START, 100_000)
            .await
            .unwrap()
            .changes;
        if changes.len() >= count {
            return changes
                .iter()
                .map(|change| change.cursor.to_string())
                .collect();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {count} records settled",
            changes.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The stream's messages once the outbox's `count` records arrived, checked to be exactly
/// those records in the outbox's order.
async fn every_record_once_in_order(
    broker: &Broker,
    db: &Db,
    count: usize,
) -> Vec<(String, String, Value)> {
    broker
        .wait_for(<u64 as TryFrom<usize>>::try_from(count).unwrap())
        .await;
    // Give a stray repeat the time to arrive before counting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let messages = broker.messages().await;
    assert_eq!(
        cursors(&messages),
        outbox(db, count).await,
        "every record once, in order"
    );
    messages
}

fn cursors(messages: &[(String, String, Value)]) -> Vec<String> {
    messages
        .iter()
        .map(|(_, _, payload)| payload["cursor"].as_str().unwrap().to_owned())
        .collect()
}

/// Runs of the same publisher, in stream order: ["a", "b"] when "a" published first and
/// "b" everything after.
fn publisher_runs(messages: &[(String, String, Value)]) -> Vec<String> {
    let mut runs: Vec<String> = Vec::new();
    for (_, publisher, _) in messages {
        if runs.last() != Some(publisher) {
            runs.push(publisher.clone());
        }
    }
    runs
}

fn start(publisher: ChangePublisher) -> (ShutdownTrigger, JoinHandle<()>) {
    let (trigger, shutdown): (ShutdownTrigger, Shutdown) = Shutdown::manual();
    (trigger, publisher.spawn(shutdown.wait()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_killed_mid_stream_loses_nothing_and_repeats_nothing() {
    let Some(broker) = Broker::for_test().await else {
        return;
    };
    let database = database().await;
    let db = database.db();
    record(db, 0, 2_000).await;

    let (_never, killed) = start(broker.publisher(db, "replica-a"));
    broker.wait_for(150).await;
    // Killed, not stopped: it gives nothing up, its lease has to lapse.
    killed.abort();
    let _ = killed.await;
    let published_before_kill = broker.message_count().await;
    assert!(
        published_before_kill < 2_000,
        "the publisher finished before it was killed; the test proves nothing"
    );

    record(db, 2_000, 500).await;
    let (stop, survivor) = start(broker.publisher(db, "replica-b"));
    let messages = every_record_once_in_order(&broker, db, 2_500).await;
    assert_eq!(publisher_runs(&messages), ["replica-a", "replica-b"]);
    let first = &messages[0];
    let expected_subject = format!(
        "{}.{SERVICE}.{}.{}",
        broker.settings.subject_prefix,
        first.2["agency"].as_str().unwrap(),
        first.2["kind"].as_str().unwrap()
    );
    assert_eq!(first.0, expected_subject);
    assert!(
        first.2["resource"]
            .as_str()
            .unwrap()
            .starts_with("agencies/")
    );
    assert!(
        first.2["time"]
            .as_str()
            .unwrap()
            .parse::<Timestamp>()
            .is_ok()
    );

    stop.trigger();
    survivor.await.unwrap();
    // Stopped cleanly, it gives the lease up for the next replica.
    let lease = format!("nats:{}", broker.settings.subject_prefix);
    assert_eq!(
        db.lease_holder(&lease, Timestamp::now()).await.unwrap(),
        None
    );
    broker.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_publish_through_one_and_hand_over_on_shutdown() {
    let Some(broker) = Broker::for_test().await else {
        return;
    };
    let database = database().await;
    let db = database.db();
    let other_replica = database.connect_again().await;
    record(db, 0, 200).await;

    let (stop_a, a) = start(broker.publisher(db, "replica-a"));
    let (stop_b, b) = start(broker.publisher(&other_replica, "replica-b"));
    broker.wait_for(200).await;
    record(&other_replica, 200, 100).await;
    broker.wait_for(300).await;
    let messages = broker.messages().await;
    let runs = publisher_runs(&messages);
    assert_eq!(runs.len(), 1, "one replica published everything: {runs:?}");
    let holder = runs[0].clone();

    // The holder stops; the other takes over at once, not after the lease's time.
    let (stop_holder, holder_task, stop_other, other_task) = if holder == "replica-a" {
        (stop_a, a, stop_b, b)
    } else {
        (stop_b, b, stop_a, a)
    };
    stop_holder.trigger();
    holder_task.await.unwrap();
    record(db, 300, 50).await;
    let messages = every_record_once_in_order(&broker, db, 350).await;
    let runs = publisher_runs(&messages);
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[0], holder);
    assert_ne!(runs[1], holder);

    stop_other.trigger();
    other_task.await.unwrap();
    broker.remove().await;
}
