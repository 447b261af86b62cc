//! jalia-db against a real database: SQLite by default, PostgreSQL when
//! `JALIA_TEST_POSTGRES_URL` is set (CI runs both).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::sync::Arc;
use std::time::Duration;

use jalia_db::sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, PaginatorTrait,
    Statement, TransactionTrait,
};
use jalia_db::testing::{POSTGRES_URL_ENV, TestDatabase};
use jalia_db::{
    Backend, Db, DbConfig, DbError, DbErrorKind, Fingerprint, IdempotencyError, IdempotencyKey,
    Idempotent, PageScope, PageTokenError, PageTokens, TransactionError, lock_for_update,
};
use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;

mod schema {
    use jalia_db::sea_orm_migration::prelude::*;

    pub struct TestMigrator;

    impl MigratorTrait for TestMigrator {
        fn migrations() -> Vec<Box<dyn MigrationTrait>> {
            vec![
                Box::new(jalia_db::CreateIdempotencyRecords),
                Box::new(CreateTestTables),
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
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub value: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod thing {
    use jalia_db::sea_orm::entity::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
    #[sea_orm(table_name = "things")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub label: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

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
            "m20261129_000002_test_tables".to_owned()
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
        2
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
