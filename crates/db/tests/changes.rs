//! The change outbox against a real database: SQLite by default, PostgreSQL when
//! `JALIA_TEST_POSTGRES_URL` is set (CI runs both).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::time::Duration;

use futures_util::StreamExt;
use jalia_db::sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use jalia_db::sea_orm_migration::prelude::*;
use jalia_db::testing::TestDatabase;
use jalia_db::{
    Backend, Change, ChangeFeedError, ChangeFilter, ChangeStart, CreateChanges, Cursor, Db,
    FeedItem, FeedStartError, MalformedCursor, NewChange, WatchOptions, record_change,
    record_changes,
};
use jalia_model::{AgencyCode, AgencyFilter, WatchQuery};
use jiff::{SignedDuration, Timestamp};

struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateChanges)]
    }

    fn migration_table_name() -> DynIden {
        "jalia_changes_test_migrations".into_iden()
    }
}

async fn database() -> TestDatabase {
    let database = TestDatabase::new().await;
    database.db().migrate::<Migrator>().await.unwrap();
    database
}

fn change<'a>(kind: &'a str, resource: &'a str, agency: &'a str) -> NewChange<'a> {
    NewChange {
        kind,
        resource,
        agency,
        time: Timestamp::now(),
    }
}

async fn record(db: &Db, kind: &str, resource: &str, agency: &str) {
    let tx = db.begin_write().await.unwrap();
    record_change(&tx, &change(kind, resource, agency))
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// The `count` changes after `after`, once they can all be delivered: on PostgreSQL a
/// record waits until every older transaction in the cluster (other tests' included) ends.
async fn settled(db: &Db, after: Cursor, count: usize) -> Vec<Change> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let changes = db.read_changes(after, 100).await.unwrap().changes;
        if changes.len() >= count || tokio::time::Instant::now() > deadline {
            return changes;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn resources_after(db: &Db, after: Cursor, count: usize) -> Vec<String> {
    let changes = settled(db, after, count).await;
    changes.into_iter().map(|c| c.resource).collect()
}

#[test]
fn cursors_round_trip_and_refuse_what_was_never_issued() {
    let cursor: Cursor = "12.345".parse().unwrap();
    assert_eq!(cursor.to_string(), "12.345");
    for bad in [
        "",
        "12",
        "12.",
        ".3",
        "a.1",
        "1.-2",
        "+1.2",
        "1.2.3",
        "99999999999999999999.1",
    ] {
        assert_eq!(bad.parse::<Cursor>(), Err(MalformedCursor), "{bad:?}");
    }
    assert_eq!(ChangeStart::parse("", false), Ok(ChangeStart::Now));
    assert_eq!(ChangeStart::parse("", true), Ok(ChangeStart::Oldest));
    assert_eq!(
        ChangeStart::parse("0.7", true),
        Ok(ChangeStart::After("0.7".parse().unwrap()))
    );
    assert_eq!(ChangeStart::parse("x", false), Err(MalformedCursor));
}

#[tokio::test]
async fn changes_are_read_in_commit_order_from_a_cursor() {
    let database = database().await;
    let db = database.db();
    let start = db.change_start(ChangeStart::Now).await.unwrap();
    record(db, "a.created", "agencies/bm/as/1", "bm").await;
    record(db, "a.created", "agencies/cbm/as/2", "cbm").await;
    record(db, "a.changed", "agencies/bm/as/1", "bm").await;

    assert_eq!(settled(db, start, 3).await.len(), 3);
    let batch = db.read_changes(start, 2).await.unwrap();
    assert_eq!(batch.changes.len(), 2);
    assert_eq!(batch.position, batch.changes[1].cursor);
    assert_eq!(
        resources_after(db, batch.position, 1).await,
        ["agencies/bm/as/1"]
    );
    assert_eq!(
        resources_after(db, start, 3).await,
        ["agencies/bm/as/1", "agencies/cbm/as/2", "agencies/bm/as/1"]
    );
    // "Now" starts after what has committed; the oldest start sees everything kept.
    let now = db.change_start(ChangeStart::Now).await.unwrap();
    assert!(db.read_changes(now, 100).await.unwrap().changes.is_empty());
    let oldest = db.change_start(ChangeStart::Oldest).await.unwrap();
    assert_eq!(resources_after(db, oldest, 3).await.len(), 3);
}

#[tokio::test]
async fn a_rolled_back_change_is_never_delivered() {
    let database = database().await;
    let db = database.db();
    let tx = db.begin_write().await.unwrap();
    record_change(&tx, &change("a.created", "agencies/bm/as/9", "bm"))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    record(db, "a.created", "agencies/bm/as/10", "bm").await;
    assert_eq!(
        resources_after(db, Cursor::START, 1).await,
        ["agencies/bm/as/10"]
    );
    // Nothing else arrives after it.
    assert!(
        db.read_changes(Cursor::START, 100)
            .await
            .unwrap()
            .changes
            .len()
            == 1
    );
}

#[tokio::test]
async fn a_purged_cursor_is_expired_and_later_ones_still_resume() {
    let database = database().await;
    let db = database.db();
    let old = Timestamp::now() - SignedDuration::from_hours(24 * 40);
    for n in 0..5 {
        let tx = db.begin_write().await.unwrap();
        let resource = format!("agencies/bm/as/{n}");
        record_change(
            &tx,
            &NewChange {
                time: old,
                ..change("a.created", &resource, "bm")
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    record(db, "a.created", "agencies/bm/as/new", "bm").await;
    let all = settled(db, Cursor::START, 6).await;
    assert_eq!(all.len(), 6);
    let cutoff = Timestamp::now() - SignedDuration::from_hours(24 * 30);

    // Bounded batches: 2, 2, 1, then nothing.
    let mut deleted = Vec::new();
    loop {
        let n = db.purge_changes(cutoff, 2).await.unwrap();
        if n == 0 {
            break;
        }
        deleted.push(n);
    }
    assert_eq!(deleted, [2, 2, 1]);
    assert!(matches!(
        db.change_start(ChangeStart::After(all[1].cursor)).await,
        Err(ChangeFeedError::Expired)
    ));
    let resumed = db
        .change_start(ChangeStart::After(all[4].cursor))
        .await
        .unwrap();
    assert_eq!(
        resources_after(db, resumed, 1).await,
        ["agencies/bm/as/new"]
    );
    let oldest = db.change_start(ChangeStart::Oldest).await.unwrap();
    assert_eq!(oldest, all[4].cursor);
}

/// The case the transaction horizon exists for: a transaction that took its id first
/// inserts its record last and commits last. A reader must not pass it by.
#[tokio::test]
async fn a_change_committing_late_is_not_skipped() {
    let database = database().await;
    let db = database.db();
    if database.backend() != Backend::Postgres {
        // SQLite has one writer: two write transactions cannot be open at once.
        return;
    }
    let early: DatabaseTransaction = db.begin_write().await.unwrap();
    early
        .execute_unprepared("SELECT pg_current_xact_id()")
        .await
        .unwrap();
    let late = db.connection().begin().await.unwrap();
    record_change(&late, &change("a.created", "agencies/bm/as/late", "bm"))
        .await
        .unwrap();
    late.commit().await.unwrap();

    // The committed record waits behind the open transaction's id.
    let batch = db.read_changes(Cursor::START, 100).await.unwrap();
    assert!(batch.changes.is_empty(), "{batch:?}");
    let head = db.change_start(ChangeStart::Now).await.unwrap();

    record_change(&early, &change("a.created", "agencies/bm/as/early", "bm"))
        .await
        .unwrap();
    early.commit().await.unwrap();
    // Both arrive, the earlier transaction's first although its id is higher.
    let changes = settled(db, head, 2).await;
    let resources: Vec<_> = changes.iter().map(|c| c.resource.as_str()).collect();
    assert_eq!(resources, ["agencies/bm/as/early", "agencies/bm/as/late"]);
    assert!(changes[0].cursor < changes[1].cursor);
}

#[tokio::test]
async fn a_watch_streams_history_then_live_changes_filtered_with_heartbeats() {
    let database = database().await;
    let db = database.db().clone();
    record(&db, "a.created", "agencies/bm/as/1", "bm").await;
    record(&db, "a.created", "agencies/cbm/as/2", "cbm").await;
    let filter = ChangeFilter {
        agency: Some("bm".to_owned()),
        kinds: vec!["a.created".to_owned()],
    };
    let options = WatchOptions {
        poll_interval: Duration::from_millis(20),
        heartbeat_interval: Duration::from_millis(200),
        ..WatchOptions::within(Some(tokio::time::Instant::now() + Duration::from_secs(30)))
    };
    let mut watch = Box::pin(db.watch_changes(Cursor::START, filter, options));
    let first = loop {
        match watch.next().await.unwrap().unwrap() {
            FeedItem::Heartbeat(_) => continue,
            FeedItem::Change(change) => break change,
        }
    };
    assert_eq!(first.resource, "agencies/bm/as/1");

    // Idle: heartbeats carry the position past the other agency's change.
    loop {
        match watch.next().await.unwrap().unwrap() {
            FeedItem::Heartbeat(position) if position > first.cursor => break,
            FeedItem::Heartbeat(_) => continue,
            FeedItem::Change(change) => panic!("filtered out, yet sent: {change:?}"),
        }
    }

    record(&db, "a.changed", "agencies/bm/as/1", "bm").await;
    record(&db, "a.created", "agencies/bm/as/3", "bm").await;
    let live = loop {
        match watch.next().await.unwrap().unwrap() {
            FeedItem::Heartbeat(_) => continue,
            FeedItem::Change(change) => break change,
        }
    };
    assert_eq!(live.resource, "agencies/bm/as/3");
    assert_eq!(live.kind, "a.created");
}

#[tokio::test]
async fn a_watch_ends_with_a_heartbeat_at_its_end() {
    let database = database().await;
    let db = database.db().clone();
    record(&db, "a.created", "agencies/bm/as/1", "bm").await;
    let options = WatchOptions {
        ends_at: tokio::time::Instant::now(),
        ..WatchOptions::within(None)
    };
    let items: Vec<_> = db
        .watch_changes(Cursor::START, ChangeFilter::default(), options)
        .collect()
        .await;
    let items: Vec<_> = items.into_iter().map(Result::unwrap).collect();
    let [FeedItem::Heartbeat(position)] = items.as_slice() else {
        panic!("expected one heartbeat, got {items:?}");
    };
    assert_eq!(*position, Cursor::START);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Created,
    Changed,
}

fn kind_of(stored: &str) -> Option<Kind> {
    match stored {
        "a.created" => Some(Kind::Created),
        "a.changed" => Some(Kind::Changed),
        _ => None,
    }
}

fn query(agencies: AgencyFilter, kinds: Vec<Kind>) -> WatchQuery<Kind> {
    WatchQuery {
        agencies,
        kinds,
        cursor: String::new(),
        from_oldest: true,
    }
}

/// The typed changes a feed delivers up to the heartbeat that reaches `last`.
async fn typed_up_to(db: &Db, query: WatchQuery<Kind>, last: Cursor) -> Vec<(Kind, String)> {
    let options = WatchOptions {
        poll_interval: Duration::from_millis(20),
        heartbeat_interval: Duration::from_millis(50),
        ..WatchOptions::within(Some(tokio::time::Instant::now() + Duration::from_secs(30)))
    };
    let mut feed = Box::pin(db.watch_feed(query, kind_of, options).await.unwrap());
    let mut delivered = Vec::new();
    loop {
        match feed.next().await.unwrap().unwrap() {
            jalia_model::FeedItem::Change(change) => {
                delivered.push((change.kind, change.resource));
            }
            jalia_model::FeedItem::Heartbeat { cursor } if cursor == last.to_string() => {
                return delivered;
            }
            jalia_model::FeedItem::Heartbeat { .. } => {}
        }
    }
}

#[tokio::test]
async fn a_typed_feed_reads_its_kinds_back_filters_them_and_skips_what_it_cannot_read() {
    let database = database().await;
    let db = database.db().clone();
    record(&db, "a.created", "agencies/bm/as/1", "bm").await;
    record(&db, "a.renamed", "agencies/bm/as/1", "bm").await;
    record(&db, "a.created", "agencies/BM/as/2", "BM").await;
    record(&db, "a.changed", "agencies/cbm/as/3", "cbm").await;
    record(&db, "a.changed", "agencies/bm/as/1", "bm").await;
    let all = settled(&db, Cursor::START, 5).await;
    let last = all[4].cursor;

    let everything = typed_up_to(&db, query(AgencyFilter::All, Vec::new()), last).await;
    assert_eq!(
        everything,
        [
            (Kind::Created, "agencies/bm/as/1".to_owned()),
            (Kind::Changed, "agencies/cbm/as/3".to_owned()),
            (Kind::Changed, "agencies/bm/as/1".to_owned()),
        ]
    );
    let bm = AgencyFilter::One(AgencyCode::parse("bm").unwrap());
    let changed = typed_up_to(&db, query(bm, vec![Kind::Changed]), last).await;
    assert_eq!(changed, [(Kind::Changed, "agencies/bm/as/1".to_owned())]);
}

#[tokio::test]
async fn a_typed_feed_refuses_a_cursor_it_never_issued() {
    let database = database().await;
    let malformed = WatchQuery {
        cursor: "12".to_owned(),
        ..query(AgencyFilter::All, Vec::new())
    };
    let started = database
        .db()
        .watch_feed(malformed, kind_of, WatchOptions::within(None))
        .await;
    assert!(matches!(
        started,
        Err(FeedStartError::Cursor(MalformedCursor))
    ));
}

#[tokio::test]
async fn a_purge_takes_every_old_record_batch_after_batch() {
    let database = database().await;
    let db = database.db();
    let old = Timestamp::now() - SignedDuration::from_hours(24 * 40);
    let resources: Vec<String> = (0..1_201).map(|n| format!("agencies/bm/as/{n}")).collect();
    let changes: Vec<NewChange<'_>> = resources
        .iter()
        .map(|resource| NewChange {
            time: old,
            ..change("a.created", resource, "bm")
        })
        .collect();
    let tx = db.begin_write().await.unwrap();
    record_changes(&tx, &changes).await.unwrap();
    tx.commit().await.unwrap();
    record(db, "a.created", "agencies/bm/as/new", "bm").await;
    let cutoff = Timestamp::now() - SignedDuration::from_hours(24 * 30);

    assert_eq!(db.purge_changes_older_than(cutoff).await.unwrap(), 1_201);
    assert_eq!(
        resources_after(db, Cursor::START, 1).await,
        ["agencies/bm/as/new"]
    );
    assert_eq!(db.purge_changes_older_than(cutoff).await.unwrap(), 0);
}
