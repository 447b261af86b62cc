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
    let (gateway, admin) = gateway(&suite, |_| {}).await;
    // A first round puts every series a made-up path can make in place.
    raw_statuses(gateway, bogus_paths(8), &[]).await;
    let before = series(&http_get(admin, "/metrics").await);

    let answers = raw_statuses(gateway, bogus_paths(10_000), &[]).await;
    assert_eq!(answers.values().sum::<usize>(), 10_000);
    assert!(
        answers.keys().all(|code| code == "12" || code == "8"),
        "only UNIMPLEMENTED (or RESOURCE_EXHAUSTED at the door): {answers:?}"
    );
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
