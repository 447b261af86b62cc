//! The catalog over gRPC: a real server on 127.0.0.1:0 with the generated client and
//! development tokens, on SQLite by default and on PostgreSQL when
//! `JALIA_TEST_POSTGRES_URL` is set (CI runs both). One file per part of the contract.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod agencies;
mod bad_input;
mod changes;
mod content;
mod helpers;
mod idempotency;
mod lifecycle;
mod pages;
mod revisions;
mod search;

use jalia_db::sea_orm::{ConnectionTrait, Statement};

use crate::helpers::*;

#[tokio::test]
async fn the_run_uses_the_backend_it_was_asked_for() {
    let catalog = Catalog::start().await;
    let expected = match std::env::var(POSTGRES_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    assert_eq!(catalog.database.backend(), expected);
    let db = catalog.database.db();
    let applied = db
        .connection()
        .query_one_raw(Statement::from_string(
            db.backend().into(),
            "SELECT COUNT(*) AS applied FROM jalia_catalog_migrations",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "applied")
        .unwrap();
    assert!(applied > 0, "the catalog's migrations ran on {expected:?}");
    catalog.stop().await;
}
