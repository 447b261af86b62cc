//! The service as the suite runs it: the backend a run uses, the demo data, and the
//! settings it refuses.

use std::collections::BTreeSet;
use std::time::Duration;

use jalia_db::Backend;
use jalia_db::testing::POSTGRES_URL_ENV;
use jalia_inquiries::{Application, Config};
use jalia_proto::inquiries::v1::*;
use jiff::Timestamp;

use crate::helpers::*;

#[tokio::test]
async fn the_run_uses_the_backend_it_was_asked_for() {
    let world = World::start(1, CatalogAt::Down).await;
    let postgres = std::env::var(POSTGRES_URL_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty())
        .is_some();
    assert_eq!(
        world.database.backend(),
        if postgres {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    );
    world.stop().await;
}

#[tokio::test]
async fn demo_data_loads_twice_without_change() {
    let mut world = World::start(0, CatalogAt::Down).await;
    let app = Application::build(world.config.clone(), world.clock.clone())
        .await
        .unwrap();
    app.load_demo().await.unwrap();
    app.load_demo().await.unwrap();
    drop(app);
    world.add_server().await;
    let ministry = world.caller("ministere", "*").await;
    let inquiries = ministry.list_all(list_of("agencies/bm")).await;
    assert_eq!(inquiries.len(), 4);
    let references: BTreeSet<&str> = inquiries.iter().map(|i| i.reference.as_str()).collect();
    assert_eq!(
        references,
        BTreeSet::from([
            "BM-2025-000001",
            "BM-2025-000002",
            "BM-2025-000003",
            "BM-2025-000004"
        ])
    );
    let permit = &inquiries[0];
    assert_eq!(permit.status(), InquiryStatus::Answered);
    let created = permit.create_time.as_ref().unwrap();
    assert_eq!(
        Timestamp::new(created.seconds, 0).unwrap(),
        local("2025-08-10T11:20:00")
    );
    let read = ministry.get(&permit.name).await.unwrap();
    assert_eq!(read.history.len(), 4);
    // A handler can carry on from the demo state.
    let closed = ministry
        .transition(&read, InquiryStatus::Closed, "")
        .await
        .unwrap();
    assert_eq!(closed.status(), InquiryStatus::Closed);
    world.stop().await;
}

#[test]
fn configuration_names_the_tracking_key_setting() {
    let parse = |extra: &[&str]| {
        let mut argv = vec![
            "inquiries",
            "--mode",
            "production",
            "--jwks-file",
            "/etc/jalia/jwks.json",
            "--page-token-key",
            "0123456789abcdef0123456789abcdef",
            "--database-url",
            "postgres://inquiries@db.internal/inquiries",
        ];
        argv.extend_from_slice(extra);
        let matches = clap::Command::new("inquiries")
            .args(Config::args())
            .try_get_matches_from(argv)
            .unwrap();
        Config::from_matches(&matches)
    };
    let missing = parse(&[]).unwrap_err();
    assert_eq!(
        missing.setting,
        "--tracking-key / JALIA_INQUIRIES_TRACKING_KEY"
    );
    let short = parse(&["--tracking-key", "short"]).unwrap_err();
    assert!(short.problem.contains("32 bytes"));
    let config = parse(&[
        "--tracking-key",
        "fedcba9876543210fedcba9876543210",
        "--catalog-timeout",
        "500ms",
    ])
    .unwrap();
    assert_eq!(config.catalog_timeout, Duration::from_millis(500));
    assert_eq!(config.catalog_url, "http://127.0.0.1:50052");
    assert_eq!(config.reconcile_interval, Duration::from_secs(30));
    assert!(!format!("{config:?}").contains("fedcba9876543210"));
    let bad_url = parse(&[
        "--tracking-key",
        "fedcba9876543210fedcba9876543210",
        "--catalog-url",
        "catalog:50052",
    ])
    .unwrap_err();
    assert_eq!(
        bad_url.setting,
        "--catalog-url / JALIA_INQUIRIES_CATALOG_URL"
    );
}
