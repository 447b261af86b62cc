//! jalia-db against a real database: SQLite by default, PostgreSQL when
//! `JALIA_TEST_POSTGRES_URL` is set (CI runs both).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::sync::Arc;
use std::time::Duration;

use jalia_db::sea_orm::sea_query::{Expr, ExprTrait, Query};
use jalia_db::sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement, TransactionTrait,
};
use jalia_db::testing::{POSTGRES_URL_ENV, TestDatabase};
use jalia_db::{
    Backend, Db, DbConfig, DbError, DbErrorKind, Direction, Fingerprint, IdempotencyError,
    IdempotencyKey, IdempotencyScope, Idempotent, KeyValue, Keyset, PageScope, PageTokenError,
    PageTokens, Prior, TransactionError, Versioned, WriteBatch, WriteSlot, lock_for_update,
    update_versioned,
};
use jalia_model::{AgencyScope, Caller, FieldViolation, PageRequest, RequestId};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use uuid::Uuid;

mod schema {
    use jalia_db::sea_orm_migration::prelude::*;

    pub(crate) struct TestMigrator;

    impl MigratorTrait for TestMigrator {
        fn migrations() -> Vec<Box<dyn MigrationTrait>> {
            vec![
                Box::new(jalia_db::CreateIdempotencyRecords),
                Box::new(CreateTestTables),
                Box::new(jalia_db::CreateIdempotencyRecordsBySubject),
                Box::new(CreateDocuments),
                Box::new(jalia_db::CreateLeases),
            ]
        }

        fn migration_table_name() -> DynIden {
            "jalia_test_migrations".into_iden()
        }
    }

    struct CreateTestTables;

    impl MigrationName for CreateTestTables {
        fn name(&self) -> &str {
            "m20261129_000002_test_tables"
        }
    }

    struct CreateDocuments;

    impl MigrationName for CreateDocuments {
        fn name(&self) -> &str {
            "m20261210_000002_test_documents"
        }
    }

    #[derive(DeriveIden)]
    enum Documents {
        Table,
        Id,
        Rank,
        Title,
        Version,
    }

    #[async_trait::async_trait]
    impl MigrationTrait for CreateDocuments {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .create_table(
                    Table::create()
                        .table(Documents::Table)
                        .col(ColumnDef::new(Documents::Id).uuid().primary_key())
                        .col(ColumnDef::new(Documents::Rank).big_integer().not_null())
                        .col(ColumnDef::new(Documents::Title).string().not_null())
                        .col(ColumnDef::new(Documents::Version).big_integer().not_null())
                        .to_owned(),
                )
                .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .drop_table(Table::drop().table(Documents::Table).to_owned())
                .await
        }
    }

    #[derive(DeriveIden)]
    enum Counters {
        Table,
        Id,
        Value,
    }

    #[derive(DeriveIden)]
    enum Things {
        Table,
        Id,
        Label,
    }

    #[derive(DeriveIden)]
    enum Parts {
        Table,
        Id,
        ThingId,
    }

    #[async_trait::async_trait]
    impl MigrationTrait for CreateTestTables {
        async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            manager
                .create_table(
                    Table::create()
                        .table(Counters::Table)
                        .col(ColumnDef::new(Counters::Id).integer().primary_key())
                        .col(ColumnDef::new(Counters::Value).big_integer().not_null())
                        .to_owned(),
                )
                .await?;
            manager
                .create_table(
                    Table::create()
                        .table(Things::Table)
                        .col(ColumnDef::new(Things::Id).uuid().primary_key())
                        .col(
                            ColumnDef::new(Things::Label)
                                .string()
                                .not_null()
                                .unique_key(),
                        )
                        .to_owned(),
                )
                .await?;
            manager
                .create_table(
                    Table::create()
                        .table(Parts::Table)
                        .col(ColumnDef::new(Parts::Id).uuid().primary_key())
                        .col(ColumnDef::new(Parts::ThingId).uuid().not_null())
                        .foreign_key(
                            ForeignKey::create()
                                .from(Parts::Table, Parts::ThingId)
                                .to(Things::Table, Things::Id),
                        )
                        .to_owned(),
                )
                .await
        }

        async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
            for table in ["parts", "things", "counters"] {
                manager
                    .drop_table(Table::drop().table(table.into_iden()).to_owned())
                    .await?;
            }
            Ok(())
        }
    }
}

mod counter {
    use jalia_db::sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "counters")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub value: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod thing {
    use jalia_db::sea_orm::entity::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
    #[sea_orm(table_name = "things")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub label: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod document {
    use jalia_db::sea_orm::entity::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
    #[sea_orm(table_name = "documents")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub rank: i64,
        pub title: String,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use schema::TestMigrator;

/// A domain error as a service would have one: its own refusals beside database errors.
#[derive(Debug, thiserror::Error)]
enum TestError {
    #[error("refused by the domain")]
    Refused,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Idempotency(#[from] IdempotencyError),
    #[error("invalid {}: {}", .0.field, .0.description)]
    Invalid(FieldViolation),
}

impl From<FieldViolation> for TestError {
    fn from(violation: FieldViolation) -> Self {
        Self::Invalid(violation)
    }
}

impl From<jalia_db::sea_orm::DbErr> for TestError {
    fn from(err: jalia_db::sea_orm::DbErr) -> Self {
        Self::Db(err.into())
    }
}

impl TransactionError for TestError {
    fn as_db_error(&self) -> Option<&DbError> {
        match self {
            Self::Db(err) => Some(err),
            _ => None,
        }
    }
}

async fn migrated() -> TestDatabase {
    let database = TestDatabase::new().await;
    database.db().migrate::<TestMigrator>().await.unwrap();
    database
}

async fn insert_thing(tx: &DatabaseTransaction, label: &str) -> Result<thing::Model, TestError> {
    let model = thing::Model {
        id: Uuid::now_v7(),
        label: label.to_owned(),
    };
    thing::Entity::insert(thing::ActiveModel {
        id: Set(model.id),
        label: Set(model.label.clone()),
    })
    .exec_without_returning(tx)
    .await?;
    Ok(model)
}

#[tokio::test]
async fn the_run_uses_the_backend_it_was_asked_for() {
    let database = TestDatabase::new().await;
    let version = database
        .db()
        .connection()
        .query_one_raw(Statement::from_string(
            database.db().connection().get_database_backend(),
            match database.backend() {
                Backend::Postgres => "SELECT version() AS v",
                Backend::Sqlite => "SELECT sqlite_version() AS v",
            },
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<String>("", "v")
        .unwrap();
    match std::env::var(POSTGRES_URL_ENV)
        .ok()
        .filter(|url| !url.is_empty())
    {
        Some(_) => {
            assert_eq!(database.backend(), Backend::Postgres);
            assert!(version.starts_with("PostgreSQL"), "server said {version}");
        }
        None => {
            assert_eq!(database.backend(), Backend::Sqlite);
            assert!(version.starts_with('3'), "sqlite said {version}");
        }
    }
}

/// `.cargo/config.toml` builds SQLite with its query planner stability guarantee: without
/// it, every statement with a bound `LIMIT` is compiled again on each run (issue #15).
#[tokio::test]
async fn sqlite_is_built_to_keep_its_plans_whatever_is_bound() {
    let db = Db::connect(&DbConfig::new("sqlite::memory:").unwrap())
        .await
        .unwrap();
    let options: Vec<String> = db
        .connection()
        .query_all_raw(Statement::from_string(
            db.connection().get_database_backend(),
            "PRAGMA compile_options",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect();
    assert!(
        options.iter().any(|option| option == "ENABLE_QPSG"),
        "{options:?}"
    );
}

#[tokio::test]
async fn an_unreachable_postgres_url_is_an_error_not_a_skip() {
    let err = TestDatabase::for_run(Some("postgres://postgres@127.0.0.1:1/test"))
        .await
        .unwrap_err();
    match err {
        jalia_db::testing::TestDbError::Db(db) => assert_eq!(db.kind(), DbErrorKind::Unavailable),
        other => panic!("expected an unavailable database, got {other}"),
    }
}

#[tokio::test]
async fn concurrent_increments_from_two_instances_are_exact() {
    let database = migrated().await;
    let first = database.db().clone();
    let second = database.connect_again().await;
    counter::Entity::insert(counter::ActiveModel {
        id: Set(1),
        value: Set(0),
    })
    .exec_without_returning(first.connection())
    .await
    .unwrap();

    let mut tasks = Vec::new();
    for index in 0..100 {
        let db = if index % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tasks.push(tokio::spawn(async move {
            db.write(&db.backend(), |tx, backend| {
                Box::pin(async move {
                    let current = lock_for_update(counter::Entity::find_by_id(1), *backend)
                        .one(tx)
                        .await?
                        .ok_or(TestError::Refused)?;
                    counter::Entity::update(counter::ActiveModel {
                        id: Set(1),
                        value: Set(current.value + 1),
                    })
                    .exec(tx)
                    .await?;
                    Ok::<_, TestError>(())
                })
            })
            .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let total = counter::Entity::find_by_id(1)
        .one(first.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(total.value, 100);
}

#[tokio::test]
async fn a_refused_write_leaves_nothing_behind() {
    let database = migrated().await;
    let outcome = database
        .db()
        .write("half-written", |tx, label| {
            Box::pin(async move {
                insert_thing(tx, label).await?;
                Err::<(), _>(TestError::Refused)
            })
        })
        .await;
    assert!(matches!(outcome, Err(TestError::Refused)));
    let count = thing::Entity::find()
        .count(database.db().connection())
        .await
        .unwrap();
    assert_eq!(count, 0);
}

fn create_key(agency: &str, request_id: Uuid) -> IdempotencyKey {
    IdempotencyKey {
        agency: agency.to_owned(),
        subject: "desk-app".to_owned(),
        method: "/jalia.test.v1.TestService/CreateThing".to_owned(),
        request_id,
    }
}

#[tokio::test]
async fn concurrent_retries_of_one_request_id_create_once() {
    let database = migrated().await;
    let instances = [database.db().clone(), database.connect_again().await];
    let request_id = Uuid::new_v4();
    let now = Timestamp::now();

    let mut tasks = Vec::new();
    for index in 0..20 {
        let db = instances[index % 2].clone();
        tasks.push(tokio::spawn(async move {
            db.idempotent(
                &create_key("bm", request_id),
                Fingerprint::of(b"label=permit desk"),
                now,
                "permit desk",
                |tx, label| Box::pin(insert_thing(tx, label)),
            )
            .await
        }));
    }
    let mut created = 0;
    let mut results = Vec::new();
    for task in tasks {
        match task.await.unwrap().unwrap() {
            Idempotent::Created(model) => {
                created += 1;
                results.push(model);
            }
            Idempotent::Replayed(model) => results.push(model),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(results.len(), 20);
    assert!(results.iter().all(|model| model == &results[0]));
    let stored = thing::Entity::find()
        .all(database.db().connection())
        .await
        .unwrap();
    assert_eq!(stored, vec![results[0].clone()]);

    // The same request_id with another body is refused, and writes nothing.
    let reused = database
        .db()
        .idempotent(
            &create_key("bm", request_id),
            Fingerprint::of(b"label=other"),
            now,
            "other",
            |tx, label| Box::pin(insert_thing(tx, label)),
        )
        .await;
    assert!(matches!(
        reused,
        Err(TestError::Idempotency(IdempotencyError::Mismatch))
    ));

    // Another agency's request_id is its own.
    let other_agency = database
        .db()
        .idempotent(
            &create_key("rabat", request_id),
            Fingerprint::of(b"label=permit desk"),
            now,
            "rabat desk",
            |tx, label| Box::pin(insert_thing(tx, label)),
        )
        .await
        .unwrap();
    assert!(matches!(other_agency, Idempotent::Created(_)));
    assert_eq!(
        thing::Entity::find()
            .count(database.db().connection())
            .await
            .unwrap(),
        2
    );
}

#[tokio::test]
async fn a_failed_idempotent_create_can_be_retried() {
    let database = migrated().await;
    let key = create_key("bm", Uuid::new_v4());
    let fingerprint = Fingerprint::of(b"desk");
    let failed = database
        .db()
        .idempotent(&key, fingerprint, Timestamp::now(), "desk", |_, _| {
            Box::pin(async { Err::<thing::Model, _>(TestError::Refused) })
        })
        .await;
    assert!(matches!(failed, Err(TestError::Refused)));
    let retried = database
        .db()
        .idempotent(&key, fingerprint, Timestamp::now(), "desk", |tx, label| {
            Box::pin(insert_thing(tx, label))
        })
        .await
        .unwrap();
    assert!(matches!(retried, Idempotent::Created(_)));
}

#[tokio::test]
async fn old_idempotency_records_are_purged() {
    let database = migrated().await;
    let created_at = Timestamp::from_second(1_754_820_000).unwrap();
    database
        .db()
        .idempotent(
            &create_key("bm", Uuid::new_v4()),
            Fingerprint::of(b"old"),
            created_at,
            "old",
            |tx, label| Box::pin(insert_thing(tx, label)),
        )
        .await
        .unwrap();
    let within = created_at + SignedDuration::from_hours(24);
    assert_eq!(
        database
            .db()
            .purge_idempotency_records(within - jalia_db::IDEMPOTENCY_RETENTION)
            .await
            .unwrap(),
        0
    );
    let later = created_at + SignedDuration::from_hours(8 * 24);
    assert_eq!(
        database
            .db()
            .purge_idempotency_records(later - jalia_db::IDEMPOTENCY_RETENTION)
            .await
            .unwrap(),
        1
    );
}

const LIST: &str = "/jalia.events.v1.EventService/ListEvents";
const KEY: &[u8] = b"an example shared key of 32+ bytes, never a real one";

#[tokio::test]
async fn page_tokens_are_bound_authenticated_and_expiring() {
    // Built from the shared key, as each replica does at start.
    let minting = PageTokens::new(KEY, Duration::from_secs(600)).unwrap();
    let other_replica = PageTokens::new(KEY, Duration::from_secs(600)).unwrap();
    let scope = PageScope {
        method: LIST,
        caller_agency: "bm",
        query: b"status=published",
    };
    let now = Timestamp::now();
    let cursor = (1_754_820_000_000_000_i64, Uuid::now_v7());
    let token = minting.mint(&scope, &cursor, now);

    assert_eq!(
        other_replica
            .open::<(i64, Uuid)>(&token, &scope, now)
            .unwrap(),
        cursor
    );

    let mut tampered = token.clone().into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert!(matches!(
        other_replica.open::<(i64, Uuid)>(&tampered, &scope, now),
        Err(PageTokenError::Mismatch | PageTokenError::Malformed)
    ));
    assert_eq!(
        other_replica.open::<(i64, Uuid)>("not a token", &scope, now),
        Err(PageTokenError::Malformed)
    );

    let other_filter = PageScope {
        query: b"status=draft",
        ..scope
    };
    assert_eq!(
        other_replica.open::<(i64, Uuid)>(&token, &other_filter, now),
        Err(PageTokenError::Mismatch)
    );
    let other_agency = PageScope {
        caller_agency: "rabat",
        ..scope
    };
    assert_eq!(
        other_replica.open::<(i64, Uuid)>(&token, &other_agency, now),
        Err(PageTokenError::Mismatch)
    );
    let other_method = PageScope {
        method: "/jalia.catalog.v1.CatalogService/ListPublicServices",
        ..scope
    };
    assert_eq!(
        other_replica.open::<(i64, Uuid)>(&token, &other_method, now),
        Err(PageTokenError::Mismatch)
    );

    let later = now + SignedDuration::from_secs(601);
    assert_eq!(
        other_replica.open::<(i64, Uuid)>(&token, &scope, later),
        Err(PageTokenError::Expired)
    );

    let foreign = PageTokens::new(
        b"another deployment's key, also 32+ bytes",
        Duration::from_secs(600),
    )
    .unwrap();
    assert_eq!(
        foreign.open::<(i64, Uuid)>(&token, &scope, now),
        Err(PageTokenError::Mismatch)
    );
    assert!(PageTokens::new(b"short", Duration::from_secs(600)).is_err());
}

#[tokio::test]
async fn concurrent_migration_runs_leave_one_schema() {
    let database = TestDatabase::new().await;
    let first = database.db().clone();
    let second = database.connect_again().await;
    let (a, b) = tokio::join!(
        first.migrate::<TestMigrator>(),
        second.migrate::<TestMigrator>()
    );
    a.unwrap();
    b.unwrap();
    let applied = first.applied_migrations::<TestMigrator>().await.unwrap();
    assert_eq!(
        applied,
        vec![
            "m20261129_000001_jalia_idempotency".to_owned(),
            "m20261129_000002_test_tables".to_owned(),
            "m20261210_000001_jalia_idempotency_records".to_owned(),
            "m20261210_000002_test_documents".to_owned(),
            "m20261214_000001_jalia_leases".to_owned(),
        ]
    );
    // A third run is a no-op, and the schema works.
    first.migrate::<TestMigrator>().await.unwrap();
    assert_eq!(
        first
            .applied_migrations::<TestMigrator>()
            .await
            .unwrap()
            .len(),
        5
    );
    counter::Entity::insert(counter::ActiveModel {
        id: Set(7),
        value: Set(1),
    })
    .exec_without_returning(second.connection())
    .await
    .unwrap();
}

fn kind_of(result: Result<impl std::fmt::Debug, jalia_db::sea_orm::DbErr>) -> DbErrorKind {
    DbError::from(result.unwrap_err()).kind()
}

#[tokio::test]
async fn errors_are_classified_the_same_on_every_backend() {
    let database = migrated().await;
    let conn = database.db().connection();

    let thing_id = Uuid::now_v7();
    let thing = || thing::ActiveModel {
        id: Set(thing_id),
        label: Set("once".to_owned()),
    };
    thing::Entity::insert(thing())
        .exec_without_returning(conn)
        .await
        .unwrap();
    assert_eq!(
        kind_of(
            thing::Entity::insert(thing())
                .exec_without_returning(conn)
                .await
        ),
        DbErrorKind::UniqueViolation
    );

    let backend = conn.get_database_backend();
    let orphan = Statement::from_sql_and_values(
        backend,
        match backend {
            DbBackend::Postgres => "INSERT INTO parts (id, thing_id) VALUES ($1, $2)",
            _ => "INSERT INTO parts (id, thing_id) VALUES (?, ?)",
        },
        [Uuid::now_v7().into(), Uuid::now_v7().into()],
    );
    assert_eq!(
        kind_of(conn.execute_raw(orphan).await),
        DbErrorKind::ForeignKeyViolation
    );

    let unreachable = DbConfig::new("postgres://postgres@127.0.0.1:1/test").unwrap();
    assert_eq!(
        Db::connect(&unreachable).await.unwrap_err().kind(),
        DbErrorKind::Unavailable
    );

    assert_eq!(conflict_kind(&database).await, DbErrorKind::Conflict);
}

/// Makes two transactions collide the way each backend reports it.
async fn conflict_kind(database: &TestDatabase) -> DbErrorKind {
    let db = database.db();
    counter::Entity::insert(counter::ActiveModel {
        id: Set(2),
        value: Set(0),
    })
    .exec_without_returning(db.connection())
    .await
    .unwrap();
    match db.backend() {
        Backend::Postgres => {
            // A snapshot transaction updating a row changed since its snapshot.
            let stale = db
                .connection()
                .begin_with_config(
                    Some(jalia_db::sea_orm::IsolationLevel::RepeatableRead),
                    None,
                )
                .await
                .unwrap();
            counter::Entity::find_by_id(2).one(&stale).await.unwrap();
            counter::Entity::update(counter::ActiveModel {
                id: Set(2),
                value: Set(1),
            })
            .exec(db.connection())
            .await
            .unwrap();
            let kind = kind_of(
                counter::Entity::update(counter::ActiveModel {
                    id: Set(2),
                    value: Set(2),
                })
                .exec(&stale)
                .await,
            );
            stale.rollback().await.unwrap();
            kind
        }
        Backend::Sqlite => {
            // A second writer that will not wait for the write lock.
            let mut impatient = database.config().clone();
            impatient.busy_timeout = Duration::ZERO;
            let impatient = Db::connect(&impatient).await.unwrap();
            let holder = db.begin_write().await.unwrap();
            let kind = impatient.begin_write().await.unwrap_err().kind();
            holder.rollback().await.unwrap();
            kind
        }
    }
}

#[tokio::test]
async fn the_write_helper_rides_out_lock_contention() {
    let database = migrated().await;
    let db = Arc::new(database.db().clone());
    counter::Entity::insert(counter::ActiveModel {
        id: Set(3),
        value: Set(0),
    })
    .exec_without_returning(db.connection())
    .await
    .unwrap();
    // Writers that update without locking first still all land, because conflicts
    // (SQLite busy, PostgreSQL deadlock or serialization failure) are retried.
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            db.write(&(), |tx, ()| {
                Box::pin(async move {
                    tx.execute_unprepared("UPDATE counters SET value = value + 1 WHERE id = 3")
                        .await?;
                    Ok::<_, TestError>(())
                })
            })
            .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let total = counter::Entity::find_by_id(3)
        .one(db.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(total.value, 20);
}

#[test]
fn config_debug_hides_the_password() {
    let config = DbConfig::new("postgres://jalia:s3cret-pass@db.internal:5432/events").unwrap();
    let printed = format!("{config:?}");
    assert!(!printed.contains("s3cret-pass"), "{printed}");
    assert!(printed.contains("db.internal"));
    assert!(DbConfig::new("mysql://root@localhost/x").is_err());
}

// ---- create_once: one caller's request_ids, one fingerprint rule ---------------------------

const CREATE_DOCUMENT: &str = "/jalia.test.v1.TestService/CreateDocument";

fn caller(subject: &str, agency: &str) -> Caller {
    Caller {
        subject: subject.to_owned(),
        agency: AgencyScope::parse(agency).unwrap(),
        scopes: Default::default(),
    }
}

/// What a caller asks for; the id is drawn afresh by every try, so it is no part of the
/// fingerprint.
#[derive(Debug, Serialize)]
struct NewDocument {
    title: String,
    rank: i64,
    #[serde(skip)]
    id: Uuid,
}

impl NewDocument {
    fn new(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            rank: 1,
            id: Uuid::now_v7(),
        }
    }
}

async fn insert_document(
    tx: &DatabaseTransaction,
    command: &NewDocument,
) -> Result<document::Model, TestError> {
    let model = document::Model {
        id: command.id,
        rank: command.rank,
        title: command.title.clone(),
        version: 1,
    };
    document::Entity::insert(document::ActiveModel {
        id: Set(model.id),
        rank: Set(model.rank),
        title: Set(model.title.clone()),
        version: Set(model.version),
    })
    .exec_without_returning(tx)
    .await?;
    Ok(model)
}

async fn create_document(
    db: &Db,
    caller: &Caller,
    request_id: Option<RequestId>,
    command: &NewDocument,
) -> Result<jalia_db::Idempotent<document::Model>, TestError> {
    db.create_once(
        request_id,
        &IdempotencyScope::new(caller, CREATE_DOCUMENT),
        command,
        Timestamp::now(),
        |tx, command| Box::pin(insert_document(tx, command)),
    )
    .await
}

async fn count_rows(db: &Db, table: &str) -> i64 {
    db.connection()
        .query_one_raw(Statement::from_string(
            db.connection().get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap()
}

#[tokio::test]
async fn two_systems_of_one_agency_do_not_share_request_ids() {
    let database = migrated().await;
    let db = database.db();
    let portal = caller("diaspora-portal", "bm");
    let desk = caller("desk-app", "bm");
    let request_id = RequestId::from(Uuid::new_v4());

    let first = create_document(
        db,
        &portal,
        Some(request_id),
        &NewDocument::new("Permanence"),
    )
    .await
    .unwrap();
    let other_system =
        create_document(db, &desk, Some(request_id), &NewDocument::new("Permanence"))
            .await
            .unwrap();
    assert!(first.is_created());
    assert!(
        other_system.is_created(),
        "another subject's request_id is its own"
    );
    assert_ne!(first.clone().into_inner().id, other_system.into_inner().id);
    assert_eq!(count_rows(db, "jalia_idempotency_records").await, 2);

    // The portal's retry (a new try draws a new id) gets its first result back.
    let retry = create_document(
        db,
        &portal,
        Some(request_id),
        &NewDocument::new("Permanence"),
    )
    .await
    .unwrap();
    assert_eq!(retry, jalia_db::Idempotent::Replayed(first.into_inner()));
    assert_eq!(count_rows(db, "documents").await, 2);
    assert_eq!(count_rows(db, "jalia_idempotency_records").await, 2);
}

#[tokio::test]
async fn a_reused_request_id_is_a_request_id_violation_and_none_is_a_plain_create() {
    let database = migrated().await;
    let db = database.db();
    let portal = caller("diaspora-portal", "bm");
    let request_id = RequestId::from(Uuid::new_v4());
    create_document(
        db,
        &portal,
        Some(request_id),
        &NewDocument::new("Permanence"),
    )
    .await
    .unwrap();
    let reused = create_document(db, &portal, Some(request_id), &NewDocument::new("Atelier"))
        .await
        .unwrap_err();
    match reused {
        TestError::Invalid(violation) => assert_eq!(violation.field, "request_id"),
        other => panic!("expected a request_id violation, got {other}"),
    }
    assert_eq!(count_rows(db, "documents").await, 1);

    for _ in 0..2 {
        let plain = create_document(db, &portal, None, &NewDocument::new("Permanence"))
            .await
            .unwrap();
        assert!(plain.is_created());
    }
    assert_eq!(count_rows(db, "documents").await, 3);
    assert_eq!(count_rows(db, "jalia_idempotency_records").await, 1);
}

#[tokio::test]
async fn purging_empties_both_idempotency_tables() {
    let database = migrated().await;
    let db = database.db();
    let long_ago = Timestamp::from_second(1_754_820_000).unwrap();
    let backend = db.connection().get_database_backend();
    db.connection()
        .execute_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                DbBackend::Postgres => {
                    "INSERT INTO jalia_idempotency (agency, method, request_id, fingerprint, \
                     response, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
                }
                _ => {
                    "INSERT INTO jalia_idempotency (agency, method, request_id, fingerprint, \
                     response, created_at) VALUES (?, ?, ?, ?, ?, ?)"
                }
            },
            [
                "bm".into(),
                CREATE_DOCUMENT.into(),
                Uuid::new_v4().into(),
                vec![0_u8; 32].into(),
                Vec::<u8>::new().into(),
                jalia_db::to_micros(long_ago).into(),
            ],
        ))
        .await
        .unwrap();
    db.create_once(
        Some(RequestId::from(Uuid::new_v4())),
        &IdempotencyScope::new(&caller("desk-app", "bm"), CREATE_DOCUMENT),
        &NewDocument::new("Permanence"),
        long_ago,
        |tx, command| Box::pin(insert_document(tx, command)),
    )
    .await
    .unwrap();
    let cutoff = long_ago + SignedDuration::from_hours(1);
    assert_eq!(db.purge_idempotency_records(cutoff).await.unwrap(), 2);
    assert_eq!(count_rows(db, "jalia_idempotency").await, 0);
    assert_eq!(count_rows(db, "jalia_idempotency_records").await, 0);
}

// ---- paging: the pager and keyset positions ----------------------------------------------

const LIST_DOCUMENTS: &str = "/jalia.test.v1.TestService/ListDocuments";

#[derive(Debug, Serialize)]
struct DocumentQuery {
    newest_first: bool,
}

async fn list_documents(
    db: &Db,
    tokens: &PageTokens,
    caller: &Caller,
    query: &DocumentQuery,
    page: &PageRequest,
) -> Result<jalia_model::Page<document::Model>, TestError> {
    let pager = tokens.pager(LIST_DOCUMENTS, Some(caller), query, page, Timestamp::now())?;
    let after: Option<(i64, Uuid)> = pager.cursor()?;
    let direction = if query.newest_first {
        Direction::Descending
    } else {
        Direction::Ascending
    };
    let keyset = Keyset::new([document::Column::Rank, document::Column::Id], direction);
    let rows = keyset
        .apply(
            document::Entity::find(),
            after.map(|(rank, id)| [KeyValue::from(rank), KeyValue::from(id)]),
        )
        .limit(pager.fetch_limit())
        .all(db.connection())
        .await?;
    Ok(pager.page(rows, |last| (last.rank, last.id)))
}

#[tokio::test]
async fn lists_page_through_keyset_positions_the_same_on_both_backends() {
    let database = migrated().await;
    let db = database.db();
    let tokens = PageTokens::new(KEY, Duration::from_secs(600)).unwrap();
    let reader = caller("desk-app", "bm");
    let mut stored = Vec::new();
    for (index, rank) in [3_i64, 1, 3, 2, 1, 3, 2].into_iter().enumerate() {
        let command = NewDocument {
            title: format!("document {index}"),
            rank,
            id: Uuid::new_v4(),
        };
        stored.push(
            create_document(db, &reader, None, &command)
                .await
                .unwrap()
                .into_inner(),
        );
    }
    for newest_first in [false, true] {
        let query = DocumentQuery { newest_first };
        let mut expected = stored.clone();
        expected.sort_by_key(|document| (document.rank, document.id));
        if newest_first {
            expected.reverse();
        }
        let mut served = Vec::new();
        let mut page = PageRequest::first(2);
        loop {
            let listed = list_documents(db, &tokens, &reader, &query, &page)
                .await
                .unwrap();
            assert!(listed.items.len() <= 2);
            served.extend(listed.items);
            match listed.next_page_token {
                Some(token) => page.token = Some(token),
                None => break,
            }
        }
        assert_eq!(served, expected, "newest_first: {newest_first}");
    }

    // A token is refused, as one violation on page_token, by another query or caller.
    let first = list_documents(
        db,
        &tokens,
        &reader,
        &DocumentQuery {
            newest_first: false,
        },
        &PageRequest::first(2),
    )
    .await
    .unwrap();
    let next = PageRequest {
        size: 2,
        token: first.next_page_token,
    };
    for (query, who) in [
        (DocumentQuery { newest_first: true }, reader.clone()),
        (
            DocumentQuery {
                newest_first: false,
            },
            caller("desk-app", "rabat"),
        ),
    ] {
        match list_documents(db, &tokens, &who, &query, &next).await {
            Err(TestError::Invalid(violation)) => {
                assert_eq!(violation.field, "page_token");
                assert!(violation.description.contains("does not belong"));
            }
            other => panic!("expected a page_token violation, got {other:?}"),
        }
    }
    let forged = PageRequest {
        size: 2,
        token: Some("x".repeat(100_000)),
    };
    match list_documents(
        db,
        &tokens,
        &reader,
        &DocumentQuery {
            newest_first: false,
        },
        &forged,
    )
    .await
    {
        Err(TestError::Invalid(violation)) => {
            assert_eq!(
                violation,
                FieldViolation::new("page_token", "is not a page token")
            );
        }
        other => panic!("expected a page_token violation, got {other:?}"),
    }
}

// ---- versioned updates -------------------------------------------------------------------

fn retitled(id: Uuid, title: &str) -> document::ActiveModel {
    document::ActiveModel {
        id: Set(id),
        title: Set(title.to_owned()),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_versioned_update_writes_only_at_the_version_read() {
    let database = migrated().await;
    let db = database.db();
    let created = create_document(db, &caller("desk-app", "bm"), None, &NewDocument::new("v1"))
        .await
        .unwrap()
        .into_inner();
    let id = created.id;
    let saved = update_versioned(
        db.connection(),
        retitled(id, "v2"),
        document::Column::Id.eq(id),
        document::Column::Version,
        1,
    )
    .await
    .unwrap();
    assert_eq!(saved, Versioned::Saved);
    let stale = update_versioned(
        db.connection(),
        retitled(id, "lost"),
        document::Column::Id.eq(id),
        document::Column::Version,
        1,
    )
    .await
    .unwrap();
    assert_eq!(stale, Versioned::Stale);
    assert_eq!(stale.saved_or("STALE_ETAG"), Err("STALE_ETAG"));
    let stored = document::Entity::find_by_id(id)
        .one(db.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.title.as_str(), stored.version, stored.rank),
        ("v2", 2, 1)
    );

    // Of writers that all read version 2, exactly one wins, on either backend.
    let mut tasks = Vec::new();
    for writer in 0..10 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            db.write(&writer, |tx, writer| {
                Box::pin(async move {
                    let outcome = update_versioned(
                        tx,
                        retitled(id, &format!("writer {writer}")),
                        document::Column::Id.eq(id),
                        document::Column::Version,
                        2,
                    )
                    .await?;
                    Ok::<_, TestError>(outcome)
                })
            })
            .await
            .unwrap()
        }));
    }
    let mut saved = 0;
    for task in tasks {
        if task.await.unwrap() == Versioned::Saved {
            saved += 1;
        }
    }
    assert_eq!(saved, 1);
    let stored = document::Entity::find_by_id(id)
        .one(db.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.version, 3);
}

// ---- connecting ------------------------------------------------------------------------

#[tokio::test]
async fn a_sqlite_file_in_a_missing_folder_is_created_with_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".jalia").join("nested").join("events.db");
    let config = DbConfig::new(format!("sqlite://{}?mode=rwc", file.display())).unwrap();
    let db = Db::connect(&config).await.unwrap();
    db.ping().await.unwrap();
    assert!(file.is_file(), "{} was not created", file.display());
    db.close().await.unwrap();
}

#[tokio::test]
async fn a_sqlite_files_log_reaches_the_database_file_without_a_writer_checkpointing_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checkpointed.db");
    let config = DbConfig::new(format!("sqlite://{}?mode=rwc", file.display())).unwrap();
    let db = Db::connect(&config).await.unwrap();
    let conn = db.connection();
    conn.execute_unprepared("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        .await
        .unwrap();
    // About 300 pages: under the 1,000 at which a writer would checkpoint by SQLite's
    // default, so only the checkpoint task can move them into the database file.
    conn.execute_unprepared(
        "INSERT INTO blobs WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
         WHERE i < 600) SELECT i, randomblob(2000) FROM n",
    )
    .await
    .unwrap();
    let written = 600 * 2000;
    let mut size = 0;
    for _ in 0..100 {
        size = std::fs::metadata(&file).unwrap().len();
        if size >= written {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        size >= written,
        "the database file holds {size} bytes 5 s after {written} were committed"
    );
    let rows: i64 = conn
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT count(*) AS n FROM blobs",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();
    assert_eq!(rows, 600);
    db.close().await.unwrap();
}

#[tokio::test]
async fn a_sqlite_files_write_transactions_run_on_one_connection_apart_from_the_reads() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one_writer.db");
    let config = DbConfig::new(format!("sqlite://{}?mode=rwc", file.display()))
        .unwrap()
        .with_max_connections(2)
        .unwrap();
    let db = Db::connect(&config).await.unwrap();
    // A temporary table belongs to the connection that made it: the writer's marks it.
    let tx = db.begin_write().await.unwrap();
    tx.execute_unprepared("CREATE TEMP TABLE made_by_the_writer (x INTEGER)")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let marker = "SELECT count(*) AS n FROM temp.made_by_the_writer";
    for round in 0..3 {
        // Readers hold every connection of the read pool meanwhile.
        let mut readers = Vec::new();
        for _ in 0..2 {
            let reader = db.connection().begin().await.unwrap();
            reader.execute_unprepared("SELECT 1").await.unwrap();
            readers.push(reader);
        }
        let tx = tokio::time::timeout(Duration::from_secs(2), db.begin_write())
            .await
            .expect("a write begins while readers hold the read pool")
            .unwrap();
        tx.execute_unprepared("INSERT INTO made_by_the_writer VALUES (1)")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        for reader in readers {
            let seen = reader
                .query_one_raw(Statement::from_string(DbBackend::Sqlite, marker))
                .await;
            assert!(
                seen.is_err(),
                "round {round}: a reader shares the writer's connection"
            );
            reader.rollback().await.unwrap();
        }
    }
    let written: i64 = db
        .write(&(), |tx, ()| {
            Box::pin(async move {
                let row = tx
                    .query_one_raw(Statement::from_string(DbBackend::Sqlite, marker))
                    .await?
                    .ok_or_else(|| DbError::other("no count"))?;
                Ok::<_, DbError>(row.try_get::<i64>("", "n")?)
            })
        })
        .await
        .unwrap();
    assert_eq!(written, 3, "every write ran where the marker is");
    db.close().await.unwrap();
}

// ---- leases ------------------------------------------------------------------------------

/// A moment `seconds` after a fixed start, for lease tests that move time by hand.
fn lease_time(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + seconds).unwrap()
}

/// Whether `holder` takes or renews the publisher's lease (10 s) at `seconds`.
async fn takes(db: &Db, name: &str, holder: &str, seconds: i64) -> bool {
    db.acquire_lease(name, holder, lease_time(seconds), Duration::from_secs(10))
        .await
        .unwrap()
}

async fn holder_at(db: &Db, seconds: i64) -> Option<String> {
    db.lease_holder("publisher", lease_time(seconds))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_lease_has_one_holder_until_it_lapses_or_is_released() {
    let database = migrated().await;
    let db = database.db();

    assert!(takes(db, "publisher", "a", 0).await);
    assert!(!takes(db, "publisher", "b", 1).await);
    assert_eq!(holder_at(db, 1).await.as_deref(), Some("a"));
    // Another name is another lease.
    assert!(takes(db, "purger", "b", 1).await);

    // The holder renews; the renewal counts from its own time.
    assert!(takes(db, "publisher", "a", 9).await);
    assert!(!takes(db, "publisher", "b", 12).await);

    // Lapsed: the next replica takes it, and the old holder can no longer renew.
    assert!(takes(db, "publisher", "b", 19).await);
    assert!(!takes(db, "publisher", "a", 20).await);
    assert_eq!(holder_at(db, 20).await.as_deref(), Some("b"));
    assert_eq!(holder_at(db, 40).await, None);

    // Released by a replica that does not hold it: nothing happens.
    db.release_lease("publisher", "a").await.unwrap();
    assert!(!takes(db, "publisher", "a", 21).await);
    // Released by its holder: free at once.
    db.release_lease("publisher", "b").await.unwrap();
    assert_eq!(holder_at(db, 21).await, None);
    assert!(takes(db, "publisher", "a", 21).await);
}

#[tokio::test]
async fn replicas_racing_for_a_free_lease_get_one_holder() {
    let database = migrated().await;
    let other = database.connect_again().await;
    let now = Timestamp::now();
    let ttl = Duration::from_secs(10);
    let mut tasks = Vec::new();
    for replica in 0..8 {
        let db = if replica % 2 == 0 {
            database.db().clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            db.acquire_lease("publisher", &format!("replica-{replica}"), now, ttl)
                .await
                .unwrap()
        }));
    }
    let mut holders = 0;
    for task in tasks {
        if task.await.unwrap() {
            holders += 1;
        }
    }
    assert_eq!(holders, 1);
}

/// A thing and a part of it, as two statements of one batch of writes.
fn thing_with_part(batch: &mut WriteBatch, label: &str) -> (WriteSlot, WriteSlot) {
    let backend = batch.backend();
    let id = Uuid::now_v7();
    let thing = thing::Entity::insert(thing::ActiveModel {
        id: Set(id),
        label: Set(label.to_owned()),
    });
    let thing = batch.add(thing.build(backend));
    let part = Query::insert()
        .into_table("parts")
        .columns(["id", "thing_id"])
        .values_panic([Uuid::now_v7().into(), id.into()])
        .to_owned();
    let part = batch.add(backend.build(&part));
    (thing, part)
}

#[tokio::test]
async fn a_write_batch_counts_each_statements_rows_and_a_child_may_go_with_its_parent() {
    let database = migrated().await;
    let db = database.db();
    for id in [1, 2, 3] {
        counter::Entity::insert(counter::ActiveModel {
            id: Set(id),
            value: Set(10),
        })
        .exec_without_returning(db.connection())
        .await
        .unwrap();
    }
    db.write(&(), |tx, ()| {
        Box::pin(async move { insert_thing(tx, "taken").await.map(drop) })
    })
    .await
    .unwrap();

    let written = db
        .write(&(), |tx, ()| {
            Box::pin(async move {
                let mut batch = WriteBatch::new(tx.get_database_backend());
                let (thing, part) = thing_with_part(&mut batch, "fresh");
                let taken = thing::Entity::insert(thing::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    label: Set("taken".to_owned()),
                })
                .on_conflict_do_nothing_on([thing::Column::Label]);
                let taken = batch.add(taken.build(batch.backend()));
                let bumped = counter::Entity::update_many()
                    .col_expr(
                        counter::Column::Value,
                        Expr::col(counter::Column::Value).add(1),
                    )
                    .filter(counter::Column::Id.is_in([1, 3]));
                let bumped = batch.add(bumped.build(batch.backend()));
                let written = batch.execute(tx).await?;
                Ok::<_, TestError>([thing, part, taken, bumped].map(|slot| written.rows(slot)))
            })
        })
        .await
        .unwrap();

    assert_eq!(written, [1, 1, 0, 2], "rows written by each statement");
    assert_eq!(count_rows(db, "things").await, 2);
    assert_eq!(count_rows(db, "parts").await, 1);
    let values: Vec<i64> = counter::Entity::find()
        .order_by_asc(counter::Column::Id)
        .all(db.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|counter| counter.value)
        .collect();
    assert_eq!(values, [11, 10, 11]);
}

#[tokio::test]
async fn a_write_batch_with_a_failing_statement_leaves_nothing_behind() {
    let database = migrated().await;
    let db = database.db();
    db.write(&(), |tx, ()| {
        Box::pin(async move { insert_thing(tx, "taken").await.map(drop) })
    })
    .await
    .unwrap();

    let failed = db
        .write(&(), |tx, ()| {
            Box::pin(async move {
                let mut batch = WriteBatch::new(tx.get_database_backend());
                thing_with_part(&mut batch, "fresh");
                thing_with_part(&mut batch, "taken");
                batch.execute(tx).await?;
                Ok::<_, TestError>(())
            })
        })
        .await;

    let Err(TestError::Db(err)) = failed else {
        panic!("a unique label taken twice must fail the batch, got {failed:?}");
    };
    assert_eq!(err.kind(), DbErrorKind::UniqueViolation, "{err}");
    assert_eq!(
        count_rows(db, "things").await,
        1,
        "only the thing there before"
    );
    assert_eq!(count_rows(db, "parts").await, 0);
}

#[tokio::test]
async fn prior_results_answer_each_claim_in_order_among_many_records_of_its_caller() {
    let database = migrated().await;
    let db = database.db();
    let recorded: Vec<(IdempotencyKey, Fingerprint, String)> = (0..300)
        .map(|n| {
            (
                create_key("bm", Uuid::new_v4()),
                Fingerprint::of(format!("thing {n}").as_bytes()),
                format!("thing {n}"),
            )
        })
        .collect();
    let other_caller = IdempotencyKey {
        subject: "portal".to_owned(),
        ..recorded[7].0.clone()
    };
    let input = (recorded.as_slice(), &other_caller);
    db.write(&input, |tx, (recorded, other_caller)| {
        Box::pin(async move {
            let now = Timestamp::now();
            jalia_db::record_results(tx, recorded, now).await?;
            let theirs = [(
                (*other_caller).clone(),
                Fingerprint::of(b"theirs"),
                "theirs".to_owned(),
            )];
            jalia_db::record_results(tx, &theirs, now).await?;
            Ok::<_, TestError>(())
        })
    })
    .await
    .unwrap();

    let claims = [
        (create_key("bm", Uuid::new_v4()), Fingerprint::of(b"new")),
        (recorded[250].0.clone(), recorded[250].1),
        (recorded[7].0.clone(), Fingerprint::of(b"another request")),
        (other_caller, Fingerprint::of(b"theirs")),
        (create_key("rabat", recorded[3].0.request_id), recorded[3].1),
        (recorded[3].0.clone(), recorded[3].1),
    ];
    let priors = jalia_db::prior_results::<String>(db.connection(), &claims)
        .await
        .unwrap();

    assert_eq!(
        priors,
        [
            Prior::Fresh,
            Prior::Replay("thing 250".to_owned()),
            Prior::Mismatch,
            Prior::Replay("theirs".to_owned()),
            Prior::Fresh,
            Prior::Replay("thing 3".to_owned()),
        ],
        "one answer per claim, in order; a key is the whole of agency, caller, method and request_id"
    );
}
