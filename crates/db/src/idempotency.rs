//! Idempotent creates (DESIGN §2): the first result of a request_id is stored, scoped to
//! the caller's agency and the method; a retry gets that stored result back, even when
//! the retries race; the same request_id with a different request is refused.
//!
//! The claim row is inserted in the same write transaction as the create. On PostgreSQL a
//! concurrent retry's insert waits on the first one's uncommitted row and then sees it
//! committed; on SQLite the IMMEDIATE transactions already run one at a time.

use jiff::{SignedDuration, Timestamp};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::connect::Db;
use crate::error::{DbError, TransactionError};
use crate::time::to_micros;
use crate::write::WriteFuture;

/// How long a stored result is kept at least.
pub const RETENTION: SignedDuration = SignedDuration::from_hours(7 * 24);

/// Which request a record answers: one agency, one method, one request_id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// The caller's agency code (`*` for ministry-wide callers).
    pub agency: String,
    /// The full gRPC method, e.g. `/jalia.events.v1.EventService/CreateEvent`.
    pub method: String,
    /// The caller's request_id.
    pub request_id: Uuid,
}

/// A digest of the request's meaningful content (everything but the request_id), so a
/// reused request_id with another request can be told apart from a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// Digests the request's canonical bytes (e.g. its protobuf encoding with the
    /// request_id cleared).
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }
}

/// Why an idempotent create did not run.
#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    /// The request_id was used before for a different request.
    #[error("request_id was already used for a different request")]
    Mismatch,
    /// The stored result no longer decodes into the response type.
    #[error("stored idempotent result does not decode: {0}")]
    Corrupt(#[from] serde_json::Error),
}

pub(crate) mod record {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "jalia_idempotency")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub agency: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub method: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub request_id: Uuid,
        pub fingerprint: Vec<u8>,
        pub response: Vec<u8>,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The outcome of an idempotent create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idempotent<T> {
    /// This call did the work.
    Created(T),
    /// An earlier call with the same request_id did; this is its stored result.
    Replayed(T),
}

impl<T> Idempotent<T> {
    /// The result, whichever call produced it.
    pub fn into_inner(self) -> T {
        match self {
            Self::Created(value) | Self::Replayed(value) => value,
        }
    }
}

impl Db {
    /// Runs `body` once per idempotency key: within one write transaction it claims the
    /// key, runs the body, and stores the body's result; a later call with the same key
    /// and fingerprint returns the stored result without running the body, and one with
    /// another fingerprint fails with [`IdempotencyError::Mismatch`] (through `E`).
    pub async fn idempotent<I, T, E, F>(
        &self,
        key: &IdempotencyKey,
        fingerprint: Fingerprint,
        now: Timestamp,
        input: &I,
        body: F,
    ) -> Result<Idempotent<T>, E>
    where
        I: Sync + ?Sized,
        T: Serialize + DeserializeOwned + Send,
        E: TransactionError + From<IdempotencyError> + Send,
        F: for<'c> Fn(&'c sea_orm::DatabaseTransaction, &'c I) -> WriteFuture<'c, T, E> + Sync,
    {
        let context = (key, fingerprint, now, input, &body);
        self.write(&context, |tx, (key, fingerprint, now, input, body)| {
            Box::pin(async move {
                if let Some(stored) = claim::<T, E>(tx, key, *fingerprint, *now).await? {
                    return Ok(Idempotent::Replayed(stored));
                }
                let value = body(tx, input).await?;
                let encoded = serde_json::to_vec(&value).map_err(IdempotencyError::from)?;
                record::Entity::update_many()
                    .col_expr(record::Column::Response, encoded.into())
                    .filter(key_filter(key))
                    .exec(tx)
                    .await
                    .map_err(DbError::from)?;
                Ok(Idempotent::Created(value))
            })
        })
        .await
    }

    /// Deletes records older than `cutoff` (at most [`RETENTION`] before now).
    pub async fn purge_idempotency_records(&self, cutoff: Timestamp) -> Result<u64, DbError> {
        let result = record::Entity::delete_many()
            .filter(record::Column::CreatedAt.lt(to_micros(cutoff)))
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected)
    }
}

fn key_filter(key: &IdempotencyKey) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(record::Column::Agency.eq(key.agency.as_str()))
        .add(record::Column::Method.eq(key.method.as_str()))
        .add(record::Column::RequestId.eq(key.request_id))
}

/// Inserts the claim, or reads the stored result of an earlier claim.
async fn claim<T, E>(
    tx: &sea_orm::DatabaseTransaction,
    key: &IdempotencyKey,
    fingerprint: Fingerprint,
    now: Timestamp,
) -> Result<Option<T>, E>
where
    T: DeserializeOwned,
    E: From<DbError> + From<IdempotencyError>,
{
    let claim = record::ActiveModel {
        agency: Set(key.agency.clone()),
        method: Set(key.method.clone()),
        request_id: Set(key.request_id),
        fingerprint: Set(fingerprint.0.to_vec()),
        response: Set(Vec::new()),
        created_at: Set(to_micros(now)),
    };
    let inserted = record::Entity::insert(claim)
        .on_conflict_do_nothing_on([
            record::Column::Agency,
            record::Column::Method,
            record::Column::RequestId,
        ])
        .exec_without_returning(tx)
        .await
        .map_err(DbError::from)?;
    if matches!(inserted, sea_orm::TryInsertResult::Inserted(rows) if rows > 0) {
        return Ok(None);
    }
    let stored = record::Entity::find()
        .filter(key_filter(key))
        .one(tx)
        .await
        .map_err(DbError::from)?
        .ok_or_else(|| DbError::other("idempotency claim neither inserted nor found"))?;
    if stored.fingerprint != fingerprint.0 {
        return Err(IdempotencyError::Mismatch.into());
    }
    Ok(Some(
        serde_json::from_slice(&stored.response).map_err(IdempotencyError::from)?,
    ))
}
