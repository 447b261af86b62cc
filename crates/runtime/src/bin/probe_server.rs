#![allow(clippy::print_stdout, clippy::print_stderr)] // a binary reports on its own streams
//! Serves the test-only probe service with the real server builder, configured from
//! flags and `JALIA_PROBE_*` variables like a deployable: what the runtime's tests start
//! as a process to check signals, exit codes and settings errors.

use std::process::ExitCode;

use jalia_runtime::config::{Defaults, EnvPrefix, ServerSettings};
use jalia_runtime::{Server, Shutdown, probe, system_clock, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let prefix = EnvPrefix::new("probe");
    let command = clap::Command::new("jalia-probe-server")
        .about("the jalia-runtime test probe")
        .args(ServerSettings::args(
            &prefix,
            Defaults {
                listen: "127.0.0.1:0",
                admin_listen: "127.0.0.1:0",
            },
        ));
    let matches = command.get_matches();
    let settings = match ServerSettings::from_matches(&prefix, &matches) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("jalia-probe-server: {err}");
            return ExitCode::from(2);
        }
    };
    let telemetry = match telemetry::init(&settings.log, "jalia-probe-server") {
        Ok(telemetry) => telemetry,
        Err(err) => {
            eprintln!("jalia-probe-server: {err}");
            return ExitCode::from(2);
        }
    };
    let outcome = run(settings).await;
    telemetry.shutdown();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("jalia-probe-server: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(settings: ServerSettings) -> Result<(), Box<dyn std::error::Error>> {
    let shutdown = Shutdown::on_signals()?;
    let routes = probe::routes(&settings.limits);
    let server = Server::bind(settings, system_clock()).await?;
    // The first line says where to connect: tests read it.
    println!(
        "listening on {} admin {}",
        server.local_addr(),
        server
            .admin_addr()
            .map_or_else(|| "none".to_owned(), |a| a.to_string())
    );
    server.serve(&[probe::CONTRACT], routes, shutdown).await?;
    Ok(())
}
