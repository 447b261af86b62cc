//! The composition root of the suite: the one binary that links every service.
//!
//! - `jalia serve <events|services-catalog|inquiries|gateway>`: run one, configured from
//!   flags and `JALIA_*` variables (what each Kubernetes Deployment runs);
//! - `jalia migrate <events|services-catalog|inquiries>`: apply its schema, under the
//!   migration lock (a Job or init container before a rollout);
//! - `jalia up [--data DIR] [--demo]`: the whole suite on one machine, each service on its
//!   own loopback port with a SQLite file in the data folder; prints the gateway's address
//!   on the first line and a development token on the second;
//! - `jalia token`: a development token with chosen scopes and agency.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool talks on its streams

pub mod up;

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command};
use jalia_runtime::auth::{AuthConfig, DevTokenIssuer, TokenClaims};
use jalia_runtime::config::{EnvPrefix, StorageSettings, parse_duration};
use jalia_runtime::{Mode, RuntimeSettings, Secret, Shutdown, system_clock, telemetry};

/// The deployables, as operators name them.
pub const DEPLOYABLES: [&str; 4] = ["events", "services-catalog", "inquiries", "gateway"];

/// Every scope a development token can hold.
pub const ALL_SCOPES: [&str; 9] = [
    "events.read",
    "events.write",
    "events.checkin",
    "catalog.read",
    "catalog.write",
    "inquiries.submit",
    "inquiries.read",
    "inquiries.handle",
    "inquiries.stats",
];

/// The command line.
pub fn command() -> Command {
    let serve = Command::new("serve")
        .about("run one deployable (what Kubernetes runs)")
        .subcommand_required(true)
        .subcommand(
            Command::new("events")
                .args(jalia_events::Config::args())
                .args(RuntimeSettings::args()),
        )
        .subcommand(
            Command::new("services-catalog")
                .args(jalia_catalog::Config::args())
                .args(RuntimeSettings::args()),
        )
        .subcommand(
            Command::new("inquiries")
                .args(jalia_inquiries::Config::args())
                .args(RuntimeSettings::args()),
        )
        .subcommand(
            Command::new("gateway")
                .args(jalia_gateway::Config::args())
                .args(RuntimeSettings::args()),
        );
    let migrate = Command::new("migrate")
        .about("apply a service's pending migrations, under the migration lock")
        .subcommand_required(true)
        .subcommands(
            ["events", "services-catalog", "inquiries"]
                .map(|name| Command::new(name).args(database_args(name))),
        );
    let up = Command::new("up")
        .about("run the whole suite on this machine (development)")
        .arg(
            Arg::new("data")
                .long("data")
                .env("JALIA_DATA")
                .default_value(".jalia")
                .help("folder for the SQLite files and the development signing key"),
        )
        .arg(
            Arg::new("demo")
                .long("demo")
                .action(ArgAction::SetTrue)
                .help("load each service's demo data"),
        )
        .arg(
            Arg::new("gateway-listen")
                .long("gateway-listen")
                .default_value("127.0.0.1:50050")
                .help("where the gateway listens (127.0.0.1:0 picks a free port)"),
        )
        .arg(
            Arg::new("nats-url")
                .long("nats-url")
                .env("JALIA_NATS_URL")
                .hide_env_values(true)
                .help("also publish the three change feeds to this NATS JetStream server"),
        )
        .arg(
            Arg::new("nats-subject-prefix")
                .long("nats-subject-prefix")
                .env("JALIA_NATS_SUBJECT_PREFIX")
                .help("first tokens of the published subjects (default: jalia)"),
        )
        .args(RuntimeSettings::args());
    let token = Command::new("token")
        .about("mint a development token (HS256 with the data folder's key)")
        .arg(
            Arg::new("data")
                .long("data")
                .env("JALIA_DATA")
                .default_value(".jalia"),
        )
        .arg(
            Arg::new("agency")
                .long("agency")
                .default_value("*")
                .help("the caller's agency code, or * for ministry-wide"),
        )
        .arg(
            Arg::new("scope")
                .long("scope")
                .action(ArgAction::Append)
                .help("a scope to grant (repeat); default: every scope"),
        )
        .arg(
            Arg::new("subject")
                .long("subject")
                .default_value("jalia-dev"),
        )
        .arg(Arg::new("ttl").long("ttl").default_value("12h"));
    Command::new("jalia")
        .about("Jalia: events, services catalog and inquiries for Moroccans living abroad")
        .subcommand_required(true)
        .subcommand(serve)
        .subcommand(migrate)
        .subcommand(up)
        .subcommand(token)
}

fn short_name(deployable: &str) -> &str {
    match deployable {
        "services-catalog" => "catalog",
        other => other,
    }
}

fn database_args(deployable: &str) -> Vec<Arg> {
    let prefix = EnvPrefix::new(short_name(deployable));
    let mut args: Vec<Arg> = StorageSettings::args(&prefix, None)
        .into_iter()
        .filter(|arg| arg.get_id() == "database-url")
        .collect();
    args.push(
        Arg::new("log")
            .long("log")
            .env("JALIA_LOG")
            .default_value("info"),
    );
    args.push(
        Arg::new("log-format")
            .long("log-format")
            .env("JALIA_LOG_FORMAT")
            .value_parser(clap::value_parser!(jalia_runtime::config::LogFormat))
            .default_value("text"),
    );
    args
}

/// Runs the command line on a Tokio runtime built from its settings (the binary's whole
/// `main`); the exit code says how it went (2: bad settings).
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let matches = match command().try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let settings = match runtime_settings(&matches) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("jalia: {err}");
            return ExitCode::from(2);
        }
    };
    match settings.build() {
        Ok(runtime) => runtime.block_on(main(&matches)),
        Err(err) => {
            eprintln!("jalia: cannot start the runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The runtime settings of the command that runs: `serve <deployable>` and `up` take
/// them; the short commands run on the defaults.
pub fn runtime_settings(
    matches: &ArgMatches,
) -> Result<RuntimeSettings, jalia_runtime::ConfigError> {
    match matches.subcommand() {
        Some(("serve", serve)) => match serve.subcommand() {
            Some((_, deployable)) => RuntimeSettings::from_matches(deployable),
            None => Ok(RuntimeSettings::default()),
        },
        Some(("up", up)) => RuntimeSettings::from_matches(up),
        _ => Ok(RuntimeSettings::default()),
    }
}

/// Runs parsed command line inside the runtime.
pub async fn main(matches: &ArgMatches) -> ExitCode {
    let outcome = match matches.subcommand() {
        Some(("serve", serve)) => serve_one(serve).await,
        Some(("migrate", migrate)) => migrate_one(migrate).await,
        Some(("up", up)) => up::run(up).await,
        Some(("token", token)) => mint(token),
        _ => Err(Failure::Settings("a command is needed".to_owned())),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Settings(message)) => {
            eprintln!("jalia: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Run(message)) => {
            eprintln!("jalia: {message}");
            ExitCode::FAILURE
        }
    }
}

/// How a command failed.
#[derive(Debug)]
pub enum Failure {
    /// A setting is wrong (exit 2).
    Settings(String),
    /// Running failed (exit 1).
    Run(String),
}

fn settings(err: impl std::fmt::Display) -> Failure {
    Failure::Settings(err.to_string())
}

fn running(err: impl std::fmt::Display) -> Failure {
    Failure::Run(err.to_string())
}

async fn serve_one(matches: &ArgMatches) -> Result<(), Failure> {
    let shutdown = Shutdown::on_signals().map_err(running)?;
    match matches.subcommand() {
        Some(("events", m)) => {
            let config = jalia_events::Config::from_matches(m).map_err(settings)?;
            let telemetry = telemetry::init(&config.server.log, "events").map_err(settings)?;
            let outcome = match jalia_events::Application::build(config, system_clock()).await {
                Ok(app) => app.run(shutdown).await.map_err(running),
                Err(err) => Err(running(err)),
            };
            telemetry.shutdown();
            outcome
        }
        Some(("services-catalog", m)) => {
            let config = jalia_catalog::Config::from_matches(m).map_err(settings)?;
            let telemetry =
                telemetry::init(&config.server.log, "services-catalog").map_err(settings)?;
            let outcome = match jalia_catalog::Application::build(config, system_clock()).await {
                Ok(app) => app.run(shutdown).await.map_err(running),
                Err(err) => Err(running(err)),
            };
            telemetry.shutdown();
            outcome
        }
        Some(("inquiries", m)) => {
            let config = jalia_inquiries::Config::from_matches(m).map_err(settings)?;
            let telemetry = telemetry::init(&config.server.log, "inquiries").map_err(settings)?;
            let outcome = match jalia_inquiries::Application::build(config, system_clock()).await {
                Ok(app) => app.run(shutdown).await.map_err(running),
                Err(err) => Err(running(err)),
            };
            telemetry.shutdown();
            outcome
        }
        Some(("gateway", m)) => {
            let config = jalia_gateway::Config::from_matches(m).map_err(settings)?;
            let telemetry = telemetry::init(&config.server.log, "gateway").map_err(settings)?;
            let outcome = match jalia_gateway::Application::build(config, system_clock()).await {
                Ok(app) => app.run(shutdown).await.map_err(running),
                Err(err) => Err(running(err)),
            };
            telemetry.shutdown();
            outcome
        }
        _ => Err(Failure::Settings(format!(
            "serve one of: {}",
            DEPLOYABLES.join(", ")
        ))),
    }
}

async fn migrate_one(matches: &ArgMatches) -> Result<(), Failure> {
    let Some((deployable, m)) = matches.subcommand() else {
        return Err(Failure::Settings("migrate which service?".to_owned()));
    };
    let log = jalia_runtime::config::LogSettings {
        format: m
            .get_one::<jalia_runtime::config::LogFormat>("log-format")
            .copied()
            .unwrap_or(jalia_runtime::config::LogFormat::Text),
        filter: m
            .get_one::<String>("log")
            .cloned()
            .unwrap_or_else(|| "info".to_owned()),
    };
    // Migrating serves no calls: there are no spans to flush.
    telemetry::init(&log, "jalia-migrate")
        .map_err(settings)?
        .shutdown();
    let prefix = EnvPrefix::new(short_name(deployable));
    let url = m
        .get_one::<String>("database-url")
        .filter(|url| !url.is_empty())
        .ok_or_else(|| {
            Failure::Settings(format!(
                "invalid setting --database-url / {}: must be set",
                prefix.var("DATABASE_URL")
            ))
        })?;
    // Migrating needs only the database; the page-token key is for serving.
    let storage = StorageSettings {
        database_url: Secret::new(url.clone()),
        page_token_key: Secret::new(String::new()),
        nats: None,
    };
    match deployable {
        "events" => jalia_events::migrate(&storage).await.map_err(running),
        "services-catalog" => jalia_catalog::migrate(&storage).await.map_err(running),
        "inquiries" => jalia_inquiries::migrate(&storage).await.map_err(running),
        other => Err(Failure::Settings(format!("`{other}` has no database"))),
    }
}

fn mint(matches: &ArgMatches) -> Result<(), Failure> {
    let data = matches
        .get_one::<String>("data")
        .cloned()
        .unwrap_or_default();
    let auth = dev_auth(std::path::Path::new(&data));
    std::fs::create_dir_all(&data).map_err(|err| running(format!("{data}: {err}")))?;
    let scopes: Vec<String> = matches
        .get_many::<String>("scope")
        .map(|scopes| scopes.cloned().collect())
        .unwrap_or_else(|| ALL_SCOPES.map(str::to_owned).to_vec());
    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let ttl = parse_duration(
        matches
            .get_one::<String>("ttl")
            .map_or("12h", String::as_str),
    )
    .map_err(|problem| Failure::Settings(format!("invalid setting --ttl: {problem}")))?;
    let token = dev_token(
        &auth,
        matches
            .get_one::<String>("subject")
            .map_or("jalia-dev", String::as_str),
        matches
            .get_one::<String>("agency")
            .map_or("*", String::as_str),
        &scopes,
        ttl,
    )?;
    println!("{token}");
    Ok(())
}

/// Development token settings for a data folder.
pub fn dev_auth(data: &std::path::Path) -> AuthConfig {
    AuthConfig {
        mode: Mode::Development,
        dev_key_file: Some(data.join("dev-signing.key")),
        ..AuthConfig::default()
    }
}

/// A development token.
pub fn dev_token(
    auth: &AuthConfig,
    subject: &str,
    agency: &str,
    scopes: &[&str],
    ttl: Duration,
) -> Result<String, Failure> {
    let issuer = DevTokenIssuer::from_config(auth).map_err(settings)?;
    issuer
        .mint(&TokenClaims::new(
            auth,
            subject,
            agency,
            scopes,
            jiff::Timestamp::now(),
            ttl,
        ))
        .map_err(settings)
}
