//! The suite's footprint: the resident memory of each deployable's process once it serves
//! and sits idle (`jalia serve <deployable>`, as Kubernetes runs it, on SQLite, with its
//! admin port), and how long `jalia up` takes from spawn until its gateway answers health
//! checks SERVING, on a fresh data folder and with `--demo`.
//!
//! Run: `cargo bench -p jalia --bench footprint` (release; Linux, it reads /proc). CI only
//! compiles it. It ends with `ratio idle_rss_<deployable>_vs_15mb` (MiB / 15 MiB) and
//! `ratio up_to_serving[_demo]_vs_1s` (seconds / 1 s) lines; lower is better.
//! `JALIA_BENCH_ROUNDS` (default 3) sets how many times each is measured; the median is
//! reported.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark fails loudly
#![allow(clippy::print_stdout, clippy::print_stderr)] // and reports on stdout
#![allow(clippy::cast_precision_loss)] // byte counts far below where f64 rounds

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const JALIA: &str = env!("CARGO_BIN_EXE_jalia");
const MIB: f64 = 1024.0 * 1024.0;
/// How long a process idles after it serves before its memory is read: long enough for
/// start-up work (first health checks, background tasks' first rounds) to settle.
const IDLE: Duration = Duration::from_secs(3);

/// A `jalia` process, killed when dropped.
struct Process {
    child: Child,
    address: String,
}

impl Process {
    fn rss_bytes(&self) -> u64 {
        let pid = self.child.id().expect("the process runs");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .expect("VmRSS in /proc/<pid>/status");
        kib * 1024
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }
}

/// Starts `jalia serve <deployable>` (migrated first, as a migration job would) and waits
/// for its "serving" log line.
async fn serve(deployable: &str, data: &Path, args: &[String]) -> Process {
    let mut args = args.to_vec();
    if deployable != "gateway" {
        let database = format!("sqlite://{}/{deployable}.db?mode=rwc", data.display());
        let migrated = Command::new(JALIA)
            .args(["migrate", deployable, "--database-url", &database])
            .env("JALIA_LOG", "warn")
            .output()
            .await
            .unwrap();
        assert!(migrated.status.success(), "{migrated:?}");
        args.extend(["--database-url".to_owned(), database]);
    }
    let mut child = Command::new(JALIA)
        .args(["serve", deployable, "--listen", "127.0.0.1:0"])
        .args(["--admin-listen", "127.0.0.1:0"])
        .args(&args)
        .env("JALIA_DATA", data)
        .env("JALIA_MODE", "development")
        .env("JALIA_LOG", "info")
        .env("JALIA_LOG_FORMAT", "json")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let address = tokio::time::timeout(Duration::from_secs(60), async {
        let mut said = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            let Ok(record) = serde_json::from_str::<serde_json::Value>(&line) else {
                said.push(line);
                continue;
            };
            if record["message"] == "serving"
                && let Some(address) = record["address"].as_str()
            {
                return address.to_owned();
            }
        }
        panic!("{deployable} stopped before serving: {said:#?}");
    })
    .await
    .unwrap_or_else(|_| panic!("{deployable} did not start within 60 s"));
    // Keep draining its log so the process never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Process { child, address }
}

/// Asks `url`'s overall health until it says SERVING.
async fn wait_serving(url: &str) {
    loop {
        if let Ok(channel) = tonic::transport::Endpoint::from_shared(url.to_owned())
            .unwrap()
            .connect()
            .await
        {
            let mut health = HealthClient::new(channel);
            loop {
                match health.check(HealthCheckRequest::default()).await {
                    Ok(answer) if answer.get_ref().status == ServingStatus::Serving as i32 => {
                        return;
                    }
                    Ok(_) => tokio::time::sleep(Duration::from_millis(2)).await,
                    Err(_) => break,
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Idle RSS of the four deployables, each in its own process.
async fn idle_rss() -> Vec<(&'static str, u64)> {
    let data = tempfile::tempdir().unwrap();
    let events = serve("events", data.path(), &[]).await;
    let catalog = serve("services-catalog", data.path(), &[]).await;
    let inquiries = serve(
        "inquiries",
        data.path(),
        &["--catalog-url".to_owned(), catalog.url()],
    )
    .await;
    let gateway = serve(
        "gateway",
        data.path(),
        &[
            "--events-url".to_owned(),
            events.url(),
            "--catalog-url".to_owned(),
            catalog.url(),
            "--inquiries-url".to_owned(),
            inquiries.url(),
        ],
    )
    .await;
    wait_serving(&gateway.url()).await;
    tokio::time::sleep(IDLE).await;
    vec![
        ("events", events.rss_bytes()),
        ("services_catalog", catalog.rss_bytes()),
        ("inquiries", inquiries.rss_bytes()),
        ("gateway", gateway.rss_bytes()),
    ]
}

/// `jalia up` from spawn to its gateway's SERVING, on a fresh data folder; with the RSS of
/// the whole suite's process once idle.
async fn up(demo: bool) -> (Duration, u64) {
    let data = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut child = Command::new(JALIA)
        .arg("up")
        .arg("--data")
        .arg(data.path())
        .args(["--gateway-listen", "127.0.0.1:0"])
        .args(demo.then_some("--demo"))
        .env("JALIA_LOG", "warn")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let gateway = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
        .await
        .expect("jalia up printed its address within 120 s")
        .unwrap()
        .expect("jalia up printed its address");
    wait_serving(&gateway).await;
    let elapsed = started.elapsed();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    tokio::time::sleep(IDLE).await;
    let process = Process {
        child,
        address: String::new(),
    };
    (elapsed, process.rss_bytes())
}

fn median<T: Copy + Ord>(mut values: Vec<T>) -> T {
    values.sort_unstable();
    values[values.len() / 2]
}

fn main() {
    let rounds: usize = std::env::var("JALIA_BENCH_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(3)
        .max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut rss: Vec<Vec<(&str, u64)>> = Vec::new();
        let mut fresh = Vec::new();
        let mut demo = Vec::new();
        for _ in 0..rounds {
            rss.push(idle_rss().await);
            fresh.push(up(false).await);
            demo.push(up(true).await);
        }
        println!("footprint: median of {rounds} rounds");
        println!("{:<28} {:>10}", "idle RSS (jalia serve)", "MiB");
        let mut ratios = Vec::new();
        for (index, (name, _)) in rss[0].iter().enumerate() {
            let bytes = median(rss.iter().map(|round| round[index].1).collect());
            let mib = bytes as f64 / MIB;
            println!("{name:<28} {mib:>10.1}");
            ratios.push((format!("idle_rss_{name}_vs_15mb"), mib / 15.0));
        }
        for (label, key, runs) in [
            ("jalia up", "up_to_serving_vs_1s", &fresh),
            ("jalia up --demo", "up_to_serving_demo_vs_1s", &demo),
        ] {
            let elapsed = median(runs.iter().map(|run| run.0).collect());
            let bytes = median(runs.iter().map(|run| run.1).collect());
            println!(
                "{label:<28} to SERVING {elapsed:>8.0?}, idle RSS {:.1} MiB",
                bytes as f64 / MIB
            );
            ratios.push((key.to_owned(), elapsed.as_secs_f64()));
        }
        for (name, value) in ratios {
            println!("ratio {name} {value:.2}");
        }
    });
}
