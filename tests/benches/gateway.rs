//! The gateway's cost: GetEvent straight to the events backend, through the gateway, and
//! through nginx `grpc_pass` (Debian's nginx-light) in front of the same backend, at 1, 16
//! and 64 calls in flight, measured in one run. The figure that matters is each proxy's
//! added latency and lost throughput relative to the direct calls of the same run, the
//! three paths taking turns in rounds.
//!
//! Run: `cargo bench -p jalia-e2e --bench gateway` (needs `nginx` on the PATH). CI only
//! compiles it.
// Statistics over sample counts and durations: float casts are how percentiles and
// rates are computed, and the counts stay far below where f64 rounds.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark fails loudly
#![allow(clippy::print_stdout)] // and reports on stdout

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use jalia_e2e::{TestSuite, channel};
use jalia_proto::events::v1 as pb;
use jalia_proto::events::v1::event_service_client::EventServiceClient;

const LEVELS: [usize; 3] = [1, 16, 64];
const CALLS: usize = 6_000;
/// Each path's calls are made in this many rounds, the three paths taking turns, so that
/// the machine's load drifting during the run weighs on all three alike.
const ROUNDS: usize = 6;

struct Figures {
    throughput: f64,
    p50: Duration,
    p99: Duration,
}

/// What one path measured over its rounds.
#[derive(Default)]
struct Samples {
    latencies: Vec<Duration>,
    busy: Duration,
}

impl Samples {
    fn figures(mut self) -> Figures {
        self.latencies.sort();
        let latencies = &self.latencies;
        let at =
            |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
        Figures {
            throughput: latencies.len() as f64 / self.busy.as_secs_f64(),
            p50: at(0.50),
            p99: at(0.99),
        }
    }
}

async fn client(address: SocketAddr, name: &str) -> EventServiceClient<tonic::transport::Channel> {
    let client = EventServiceClient::new(channel(address).await);
    // Warm the connection and the backend's caches.
    for _ in 0..200 {
        client.clone().get_event(request(name)).await.unwrap();
    }
    client
}

/// One round: `calls` calls, `in_flight` at a time, added to `samples`.
async fn measure(
    client: &EventServiceClient<tonic::transport::Channel>,
    name: &str,
    in_flight: usize,
    calls: usize,
    samples: &mut Samples,
) {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..in_flight {
        let next = next.clone();
        let mut client = client.clone();
        let name = name.to_owned();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < calls {
                let begun = Instant::now();
                client.get_event(request(&name)).await.unwrap();
                latencies.push(begun.elapsed());
            }
            latencies
        }));
    }
    for worker in workers {
        samples.latencies.extend(worker.await.unwrap());
    }
    samples.busy += started.elapsed();
}

fn request(name: &str) -> pb::GetEventRequest {
    pb::GetEventRequest {
        name: name.to_owned(),
        language_code: "fr".to_owned(),
    }
}

/// nginx in front of the backend, one worker, keep-alive to the upstream.
fn nginx(backend: SocketAddr, dir: &std::path::Path) -> (Child, SocketAddr) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let config = format!(
        "worker_processes 1;\n\
         daemon off;\n\
         pid {dir}/nginx.pid;\n\
         error_log {dir}/error.log warn;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n\
           access_log off;\n\
           client_body_temp_path {dir}/body;\n\
           proxy_temp_path {dir}/proxy;\n\
           fastcgi_temp_path {dir}/fastcgi;\n\
           uwsgi_temp_path {dir}/uwsgi;\n\
           scgi_temp_path {dir}/scgi;\n\
           keepalive_requests 100000000;\n\
           upstream events {{ server {backend}; keepalive 64; keepalive_requests 100000000; }}\n\
           server {{\n\
             listen {address} http2;\n\
             location / {{ grpc_pass grpc://events; }}\n\
           }}\n\
         }}\n",
        dir = dir.display()
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, config).unwrap();
    let child = Command::new("nginx")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("nginx on the PATH (Debian: nginx-light)");
    (child, address)
}

async fn until_listening(address: SocketAddr) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(address).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nginx never listened on {address}");
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let suite = TestSuite::start(Some(|config: &mut jalia_gateway::Config| {
            // One client makes every call here: the per-caller limits are not what is
            // measured.
            let unlimited = jalia_gateway::RateSettings {
                per_second: std::num::NonZeroU32::new(10_000_000).unwrap(),
                burst: std::num::NonZeroU32::new(10_000_000).unwrap(),
            };
            config.rate = unlimited;
            config.address_rate = unlimited;
        }))
        .await;
        let backend = suite.suite.address("events").await.unwrap();
        let gateway = suite.suite.gateway;
        let temp = tempfile::tempdir().unwrap();
        let (mut nginx, proxy) = nginx(backend, temp.path());
        until_listening(proxy).await;

        let listed = EventServiceClient::new(channel(backend).await)
            .list_events(pb::ListEventsRequest {
                parent: "agencies/-".into(),
                kind: pb::EventKind::NationalDay as i32,
                status: pb::EventStatus::Published as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let name = listed.events[0].name.clone();

        println!("GetEvent, {CALLS} calls per series, in {ROUNDS} rounds taking turns");
        println!(
            "{:>9} {:<8} {:>10} {:>10} {:>10}",
            "in flight", "path", "calls/s", "p50", "p99"
        );
        let mut ratios = Vec::new();
        let clients = [
            client(backend, &name).await,
            client(gateway, &name).await,
            client(proxy, &name).await,
        ];
        for in_flight in LEVELS {
            let mut samples: [Samples; 3] = Default::default();
            for _ in 0..ROUNDS {
                for (client, samples) in clients.iter().zip(samples.iter_mut()) {
                    measure(client, &name, in_flight, CALLS / ROUNDS, samples).await;
                }
            }
            let [direct, through_gateway, through_nginx] = samples.map(Samples::figures);
            for (label, figures) in [
                ("direct", &direct),
                ("gateway", &through_gateway),
                ("nginx", &through_nginx),
            ] {
                println!(
                    "{in_flight:>9} {label:<8} {:>10.0} {:>10.2?} {:>10.2?}",
                    figures.throughput, figures.p50, figures.p99
                );
            }
            let added = |f: &Figures| f.p50.as_secs_f64() - direct.p50.as_secs_f64();
            let added_p50 = added(&through_gateway) / added(&through_nginx);
            let throughput = through_gateway.throughput / through_nginx.throughput;
            println!(
                "{in_flight:>9} gateway/nginx: added p50 x{added_p50:.2}, throughput x{throughput:.2}, p99 x{:.2}",
                through_gateway.p99.as_secs_f64() / through_nginx.p99.as_secs_f64(),
            );
            ratios.push((format!("gateway_added_p50_vs_nginx_c{in_flight}"), added_p50));
            ratios.push((format!("gateway_throughput_vs_nginx_c{in_flight}"), throughput));
        }
        let _ = nginx.kill();
        let _ = nginx.wait();
        // Last, for scripts (docs/performance.md): added p50, lower is better;
        // throughput, higher is better.
        for (name, value) in ratios {
            println!("ratio {name} {value:.2}");
        }
    });
}
