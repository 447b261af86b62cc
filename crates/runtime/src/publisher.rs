//! The change-feed publisher (ARCHITECTURE.md §5): for deployments that run a NATS
//! JetStream broker, each service also sends its outbox's records there, at least once and
//! in the outbox's order.
//!
//! One replica publishes at a time: it holds a lease in the service's database, renews it
//! while it works, and gives it up when it stops. It reads the outbox after its stored
//! position, publishes each record and waits for the stream's acknowledgement before the
//! next one, then stores the new position. A replica that dies between a publish and storing
//! its position leaves records that the next holder publishes again; each message carries
//! its cursor as `Nats-Msg-Id`, so the stream drops those repeats within its duplicate
//! window, and since no record is published before the one ahead of it was acknowledged,
//! the stream keeps the outbox's order even while a stale holder is still sending.
//!
//! Subjects are `<prefix>.<service>.<agency>.<kind>` (`jalia.events.bm.registration.promoted`)
//! in a stream per service (`JALIA_EVENTS`, subjects `jalia.events.>`), created when
//! missing. The payload is the record as `WatchChanges` gives it: cursor, kind, resource
//! name, agency and time, and nothing personal.

use std::future::Future;
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, stream};
use jalia_db::{
    Change, ChangeFeedError, ChangeStart, Cursor, Db, DbError, advance_change_position,
};
use serde::Serialize;
use tokio::task::JoinHandle;

use crate::clock::SharedClock;
use crate::config::{NatsSettings, is_subject_token};
use crate::server::{Shutdown, ShutdownTrigger};

/// How long the stream recognises a repeated message id: longer than a replica takes to
/// lose its lease and another to take over.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(10 * 60);

/// The timings of a publisher; [`PublisherOptions::default`] suits production.
#[derive(Debug, Clone, Copy)]
pub struct PublisherOptions {
    /// How long the lease lasts without renewal: after a holder dies, how long until
    /// another replica takes over.
    pub lease_ttl: Duration,
    /// How often a replica without the lease asks for it.
    pub lease_retry: Duration,
    /// How often the holder looks for new records while there are none.
    pub poll_interval: Duration,
    /// Records read and published per round.
    pub batch_size: u64,
    /// The longest pause after a failure (broker or database), doubling from a tenth of a
    /// second.
    pub max_backoff: Duration,
}

impl Default for PublisherOptions {
    fn default() -> Self {
        Self {
            lease_ttl: Duration::from_secs(15),
            lease_retry: Duration::from_secs(5),
            poll_interval: Duration::from_millis(250),
            batch_size: 200,
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// Publishes one service's outbox to NATS JetStream.
#[derive(Debug)]
pub struct ChangePublisher {
    settings: NatsSettings,
    service: &'static str,
    db: Db,
    clock: SharedClock,
    holder: String,
    options: PublisherOptions,
}

/// Why a publishing round stopped.
#[derive(Debug, thiserror::Error)]
enum PublishError {
    #[error("database: {0}")]
    Db(#[from] DbError),
    #[error("broker: {0}")]
    Broker(String),
}

/// The record as it is published.
#[derive(Serialize)]
struct Message<'a> {
    cursor: String,
    kind: &'a str,
    resource: &'a str,
    agency: &'a str,
    time: String,
}

impl ChangePublisher {
    /// A publisher of `service`'s outbox (its short name: `events`, `catalog`, ...), which
    /// must be a subject token. `holder` names this replica in the lease (the pod's name
    /// and something unique to the process).
    pub fn new(
        settings: NatsSettings,
        service: &'static str,
        db: Db,
        clock: SharedClock,
        holder: String,
    ) -> Self {
        Self {
            settings,
            service,
            db,
            clock,
            holder,
            options: PublisherOptions::default(),
        }
    }

    /// The same publisher with other timings (tests shorten them).
    pub fn with_options(mut self, options: PublisherOptions) -> Self {
        self.options = options;
        self
    }

    /// The publisher a service's settings ask for, if any, holding the lease under this
    /// replica's name.
    pub fn configured(
        settings: Option<&NatsSettings>,
        service: &'static str,
        db: &Db,
        clock: &SharedClock,
    ) -> Option<Self> {
        settings.map(|settings| {
            Self::new(
                settings.clone(),
                service,
                db.clone(),
                clock.clone(),
                replica_name(),
            )
        })
    }

    /// Starts publishing in the background until `stop` completes, then gives the lease
    /// up.
    pub fn spawn(self, stop: impl Future<Output = ()> + Send + 'static) -> JoinHandle<()> {
        tokio::spawn(self.run(stop))
    }

    /// The lease's name, and the name of the stored position: tied to the subject prefix,
    /// so that a deployment moved to another prefix publishes its history there too.
    fn job_name(&self) -> String {
        format!("nats:{}", self.settings.subject_prefix)
    }

    async fn run(self, stop: impl Future<Output = ()>) {
        let mut backoff = Backoff::new(self.options.max_backoff);
        tokio::pin!(stop);
        loop {
            let outcome = tokio::select! {
                () = &mut stop => break,
                outcome = self.lead() => outcome,
            };
            let pause = match outcome {
                Ok(()) => {
                    backoff.reset();
                    self.options.lease_retry
                }
                Err(err) => {
                    tracing::warn!(service = self.service, error = %err, "change publishing paused");
                    backoff.next()
                }
            };
            tokio::select! {
                () = &mut stop => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
        if let Err(err) = self.db.release_lease(&self.job_name(), &self.holder).await {
            tracing::warn!(service = self.service, error = %err, "could not give up the publisher lease");
        }
    }

    /// Takes the lease and publishes for as long as it holds it. Ok when another replica
    /// has it (or took it over).
    async fn lead(&self) -> Result<(), PublishError> {
        let job = self.job_name();
        if !self.renew(&job).await? {
            return Ok(());
        }
        tracing::info!(service = self.service, "publishing the change feed to nats");
        let client = async_nats::ConnectOptions::new()
            .name(format!("jalia-{}", self.service))
            .connect(self.settings.url.expose())
            .await
            .map_err(|err| PublishError::Broker(err.to_string()))?;
        let jetstream = jetstream::new(client);
        jetstream
            .get_or_create_stream(stream::Config {
                name: stream_name(&self.settings, self.service),
                subjects: vec![format!(
                    "{}.{}.>",
                    self.settings.subject_prefix, self.service
                )],
                duplicate_window: DUPLICATE_WINDOW,
                ..stream::Config::default()
            })
            .await
            .map_err(|err| PublishError::Broker(err.to_string()))?;
        let mut position = self.start_position(&job).await?;
        let mut renewed = tokio::time::Instant::now();
        let renew_every = self.options.lease_ttl / 3;
        loop {
            if renewed.elapsed() >= renew_every {
                if !self.renew(&job).await? {
                    tracing::info!(
                        service = self.service,
                        "another replica publishes the change feed now"
                    );
                    return Ok(());
                }
                renewed = tokio::time::Instant::now();
            }
            let batch = self
                .db
                .read_changes(position, self.options.batch_size)
                .await?;
            if batch.changes.is_empty() {
                tokio::time::sleep(self.options.poll_interval).await;
                continue;
            }
            for change in &batch.changes {
                self.publish(&jetstream, change).await?;
            }
            self.store_position(&job, batch.position).await?;
            metrics::counter!("jalia_changes_published_total", "service" => self.service)
                .increment(u64::try_from(batch.changes.len()).unwrap_or(u64::MAX));
            position = batch.position;
        }
    }

    async fn renew(&self, job: &str) -> Result<bool, DbError> {
        self.db
            .acquire_lease(job, &self.holder, self.clock.now(), self.options.lease_ttl)
            .await
    }

    /// Where publishing resumes: after the stored position, or from the oldest record kept
    /// when nothing was published yet. Records purged before they were published cannot be
    /// sent any more; that is said, and publishing goes on from the oldest one kept.
    async fn start_position(&self, job: &str) -> Result<Cursor, DbError> {
        let stored = self.db.change_position(job).await?;
        let start = stored.map_or(ChangeStart::Oldest, ChangeStart::After);
        match self.db.change_start(start).await {
            Ok(cursor) => Ok(cursor),
            Err(ChangeFeedError::Db(err)) => Err(err),
            Err(ChangeFeedError::Expired) => {
                tracing::error!(
                    service = self.service,
                    "change records were purged before they were published; resuming from the oldest kept"
                );
                match self.db.change_start(ChangeStart::Oldest).await {
                    Ok(cursor) => Ok(cursor),
                    Err(ChangeFeedError::Db(err)) => Err(err),
                    // The oldest record kept is never behind the retention.
                    Err(ChangeFeedError::Expired) => Ok(Cursor::START),
                }
            }
        }
    }

    /// Stores how far publishing got; the position only ever moves forward.
    async fn store_position(&self, job: &str, position: Cursor) -> Result<(), DbError> {
        self.db
            .write(&(job, position), |tx, (job, position)| {
                Box::pin(advance_change_position(tx, job, *position))
            })
            .await
    }

    async fn publish(
        &self,
        jetstream: &jetstream::Context,
        change: &Change,
    ) -> Result<(), PublishError> {
        let cursor = change.cursor.to_string();
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", format!("{}:{cursor}", self.service).as_str());
        headers.insert("Jalia-Publisher", self.holder.as_str());
        let payload = serde_json::to_vec(&Message {
            cursor,
            kind: &change.kind,
            resource: &change.resource,
            agency: &change.agency,
            time: change.time.to_string(),
        })
        .map_err(|err| PublishError::Broker(err.to_string()))?;
        let subject = format!(
            "{}.{}.{}.{}",
            self.settings.subject_prefix,
            self.service,
            subject_tokens(&change.agency),
            subject_tokens(&change.kind),
        );
        let ack = jetstream
            .publish_with_headers(subject, headers, payload.into())
            .await
            .map_err(|err| PublishError::Broker(err.to_string()))?
            .await
            .map_err(|err| PublishError::Broker(err.to_string()))?;
        if ack.duplicate {
            tracing::debug!(service = self.service, "change already in the stream");
        }
        Ok(())
    }
}

/// A service's publisher while it runs, if it has one.
#[derive(Debug)]
pub struct Publishing {
    running: Option<(ShutdownTrigger, JoinHandle<()>)>,
}

impl Publishing {
    /// Starts `publisher`, if there is one, until `shutdown` fires or [`Publishing::stop`].
    pub fn start(publisher: Option<ChangePublisher>, shutdown: Shutdown) -> Self {
        let running = publisher.map(|publisher| {
            let (trigger, stopped) = Shutdown::manual();
            let task = publisher.spawn(async move {
                tokio::select! {
                    () = shutdown.wait() => {}
                    () = stopped.wait() => {}
                }
            });
            (trigger, task)
        });
        Self { running }
    }

    /// Stops publishing and waits until the lease is given up.
    pub async fn stop(self) {
        if let Some((trigger, task)) = self.running {
            trigger.trigger();
            if let Err(err) = task.await {
                tracing::warn!(error = %err, "the change publisher ended abnormally");
            }
        }
    }
}

/// This replica's name in a lease: the host's (a pod's name on Kubernetes) and a part
/// unique to the process, so that a restarted pod is a new holder.
fn replica_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|host| !host.trim().is_empty())
        .unwrap_or_else(|| "jalia".to_owned());
    let unique = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}", &unique[..8])
}

/// The stream of `service`'s changes, named after the prefix and the service
/// (`JALIA_EVENTS`).
pub fn stream_name(settings: &NatsSettings, service: &str) -> String {
    format!("{}_{service}", settings.subject_prefix)
        .replace(['.', '-'], "_")
        .to_ascii_uppercase()
}

/// `value` as subject tokens: its dots separate tokens, and anything a subject cannot
/// carry becomes `_`, so a stored value can never widen or break a subject.
fn subject_tokens(value: &str) -> String {
    value
        .split('.')
        .map(|token| {
            if is_subject_token(token) {
                token.to_owned()
            } else if token.is_empty() {
                "_".to_owned()
            } else {
                token
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Doubling pauses after failures, up to a ceiling.
struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(100);

    fn new(max: Duration) -> Self {
        Self {
            next: Self::FIRST,
            max,
        }
    }

    fn next(&mut self) -> Duration {
        let pause = self.next;
        self.next = (self.next * 2).min(self.max);
        pause
    }

    fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_tokens_keep_dots_and_replace_what_a_subject_cannot_carry() {
        assert_eq!(
            subject_tokens("registration.promoted"),
            "registration.promoted"
        );
        assert_eq!(subject_tokens("bm"), "bm");
        assert_eq!(subject_tokens("a b.>.*"), "a_b._._");
        assert_eq!(subject_tokens("a..b"), "a._.b");
    }

    #[test]
    fn backoff_doubles_to_its_ceiling_and_resets() {
        let mut backoff = Backoff::new(Duration::from_millis(500));
        let pauses: Vec<_> = (0..5).map(|_| backoff.next().as_millis()).collect();
        assert_eq!(pauses, [100, 200, 400, 500, 500]);
        backoff.reset();
        assert_eq!(backoff.next().as_millis(), 100);
    }
}
