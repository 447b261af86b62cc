//! A hostile caller at the gateway: made-up paths must not grow its metrics, floods are
//! limited at the door before any token is verified, forwarded-for headers are believed
//! only from trusted proxies, and undecodable bytes are the caller's fault.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::net::SocketAddr;

use jalia_e2e::{TestSuite, http_get, raw_statuses, raw_unary_bytes, series};
use jalia_runtime::Shutdown;

/// A gateway of its own in front of the suite's backends, with an admin port.
async fn gateway(
    suite: &TestSuite,
    tune: impl FnOnce(&mut jalia_gateway::Config),
) -> (SocketAddr, SocketAddr) {
    let address = |name: &'static str| async move {
        format!("http://{}", suite.suite.address(name).await.unwrap())
    };
    let mut config = jalia_gateway::Config::development(
        &suite.data.path().canonicalize().unwrap(),
        &address("events").await,
        &address("services-catalog").await,
        &address("inquiries").await,
    )
    .unwrap();
    config.server.admin_listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
    tune(&mut config);
    let gateway = jalia_gateway::Application::build(config, jalia_runtime::system_clock())
        .await
        .unwrap();
    let addresses = (gateway.local_addr(), gateway.admin_addr().unwrap());
    let (trigger, shutdown) = Shutdown::manual();
    tokio::spawn(async move {
        let _running_until_the_test_ends = trigger;
        gateway.run(shutdown).await
    });
    addresses
}

fn bogus_paths(count: usize) -> impl Iterator<Item = String> {
    (0..count).map(|index| match index % 4 {
        0 => format!("/jalia.bogus{index}.v1.Nothing/Get{index}"),
        1 => format!("/jalia.events.v1.EventService/DropTable{index}"),
        2 => format!("/grpc.health.v1.Health/Probe{index}"),
        _ => format!("/not-grpc-at-all-{index}"),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_paths_do_not_grow_the_gateway_metrics() {
    let suite = TestSuite::start(None).await;
    // Not limited at the door here: what is counted is what this test is about.
    let (gateway, admin) = gateway(&suite, |config| {
        config.address_rate = rate(1_000_000, 1_000_000);
    })
    .await;
    // A first round puts every series a made-up path can make in place.
    raw_statuses(gateway, bogus_paths(8), &[]).await;
    let before = series(&http_get(admin, "/metrics").await);

    let answers = raw_statuses(gateway, bogus_paths(10_000), &[]).await;
    assert_eq!(answers.get("12"), Some(&10_000), "{answers:?}");
    let rendered = http_get(admin, "/metrics").await;
    assert_eq!(series(&rendered), before, "series grew with made-up paths");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_bytes_to_get_event_are_invalid_argument() {
    use tonic_types::StatusExt;
    let suite = TestSuite::start(None).await;
    // GetEventRequest's `name` (field 1, a string) that is not UTF-8; then a field cut
    // short; then a varint that never ends.
    for payload in [
        &[0x0a, 0x02, 0xff, 0xfe][..],
        &[0x0a, 0x09, b'a', b'g'],
        &[
            0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ],
    ] {
        let headers = raw_unary_bytes(
            suite.suite.gateway,
            "/jalia.events.v1.EventService/GetEvent",
            payload,
            &[],
        )
        .await;
        let status = tonic::Status::from_header_map(&headers).unwrap();
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
        let info = status.get_details_error_info().unwrap();
        assert_eq!(info.reason, "MALFORMED_REQUEST", "{payload:?}");
    }
}

fn rate(per_second: u32, burst: u32) -> jalia_gateway::RateSettings {
    jalia_gateway::RateSettings {
        per_second: std::num::NonZeroU32::new(per_second).unwrap(),
        burst: std::num::NonZeroU32::new(burst).unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_bad_tokens_is_limited_before_any_is_verified() {
    use tonic_types::StatusExt;
    let suite = TestSuite::start(None).await;
    let (gateway, _) = gateway(&suite, |config| config.address_rate = rate(1, 5)).await;
    let bad_token = [("authorization", "Bearer bad.token.here".to_owned())];
    let answers = raw_statuses(
        gateway,
        (0..50).map(|_| "/jalia.events.v1.EventService/ListEvents".to_owned()),
        &bad_token,
    )
    .await;
    // Each UNAUTHENTICATED answer is a token the verifier checked: the burst, and what the
    // rate refilled while the flood lasted; every other call was refused at the door.
    let verified = answers.get("16").copied().unwrap_or(0);
    let limited = answers.get("8").copied().unwrap_or(0);
    assert_eq!(verified + limited, 50, "{answers:?}");
    assert!(verified <= 10, "{answers:?}");

    let headers = raw_unary_bytes(
        gateway,
        "/jalia.events.v1.EventService/ListEvents",
        &[],
        &bad_token,
    )
    .await;
    let status = tonic::Status::from_header_map(&headers).unwrap();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
    assert_eq!(
        status.get_details_error_info().unwrap().reason,
        "RATE_LIMITED"
    );
    assert!(status.get_details_retry_info().is_some());

    // Health, reflection and made-up paths count against the address too.
    for path in [
        "/grpc.health.v1.Health/Check",
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "/jalia.nothing.v1.Nope/Get",
    ] {
        let headers = raw_unary_bytes(gateway, path, &[], &[]).await;
        assert_eq!(headers.get("grpc-status").unwrap(), "8", "{path}");
    }
}

/// Calls ListEvents once per `x-forwarded-for` value: how many were refused at the door.
async fn limited_among(gateway: SocketAddr, forwarded_for: Vec<String>) -> usize {
    let mut limited = 0;
    for value in forwarded_for {
        let headers = raw_unary_bytes(
            gateway,
            "/jalia.events.v1.EventService/ListEvents",
            &[],
            &[("x-forwarded-for", value)],
        )
        .await;
        if headers.get("grpc-status").unwrap() == "8" {
            limited += 1;
        }
    }
    limited
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let suite = TestSuite::start(None).await;
    let spoofed = || {
        (0..10)
            .map(|i| format!("203.0.113.{i}"))
            .collect::<Vec<_>>()
    };

    // The calls come from 127.0.0.1, which is no trusted proxy: whatever the header says,
    // they all count against that one address.
    let (untrusting, _) = gateway(&suite, |config| {
        config.address_rate = rate(1, 2);
        config.trusted_proxies = jalia_gateway::TrustedProxies::parse("10.0.0.0/8").unwrap();
    })
    .await;
    assert!(limited_among(untrusting, spoofed()).await >= 7);

    // Behind a trusted ingress, each client named by the header has its own budget...
    let (trusting, _) = gateway(&suite, |config| {
        config.address_rate = rate(1, 2);
        config.trusted_proxies = jalia_gateway::TrustedProxies::parse("127.0.0.0/8").unwrap();
    })
    .await;
    assert_eq!(limited_among(trusting, spoofed()).await, 0);
    // ...and the right-most hop is the one believed: what a client writes to the left of
    // it, where the ingress appended its address, changes nothing.
    let prepended = (0..10)
        .map(|i| format!("198.51.100.{i}, 192.0.2.44"))
        .collect();
    assert!(limited_among(trusting, prepended).await >= 7);
}
