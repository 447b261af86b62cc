//! The whole suite in one process: each service on its own loopback port with a SQLite
//! file in the data folder, migrations applied, the gateway in front. `jalia up` runs it
//! until Ctrl-C; the end-to-end tests drive it, stopping and restarting a backend.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::ArgMatches;
use jalia_runtime::{
    NatsSettings, ServerError, SharedClock, Shutdown, ShutdownTrigger, system_clock,
};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::{ALL_SCOPES, Failure, dev_auth, dev_token, running, settings};

/// How to start the suite.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// Data folder: SQLite files and the development signing key.
    pub data: PathBuf,
    /// Load each service's demo data.
    pub demo: bool,
    /// Where the gateway listens.
    pub gateway_listen: SocketAddr,
    /// The clock every service reads.
    pub clock: SharedClock,
    /// Changes to the gateway's development settings (rate limits, timeouts).
    pub gateway: Option<fn(&mut jalia_gateway::Config)>,
    /// A database URL per backend (`events`, `services-catalog`, `inquiries`), e.g. a
    /// PostgreSQL database each; a backend not named gets a SQLite file in the data folder.
    pub database_urls: BTreeMap<&'static str, String>,
    /// The agencies' calendars for inquiries (a file in the shape of the bundled one);
    /// None uses the bundled Moroccan calendar.
    pub inquiries_calendars: Option<PathBuf>,
    /// A NATS JetStream server the services also publish their change feeds to.
    pub nats: Option<NatsSettings>,
}

impl SuiteOptions {
    /// Development defaults over a data folder, the gateway on a free loopback port.
    pub fn new(data: impl Into<PathBuf>) -> Self {
        Self {
            data: data.into(),
            demo: false,
            gateway_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            clock: system_clock(),
            gateway: None,
            database_urls: BTreeMap::new(),
            inquiries_calendars: None,
            nats: None,
        }
    }
}

struct Running {
    address: SocketAddr,
    trigger: ShutdownTrigger,
    task: JoinHandle<Result<(), ServerError>>,
}

fn spawn<F>(address: SocketAddr, run: impl FnOnce(Shutdown) -> F) -> Running
where
    F: std::future::Future<Output = Result<(), ServerError>> + Send + 'static,
{
    let (trigger, shutdown) = Shutdown::manual();
    Running {
        address,
        trigger,
        task: tokio::spawn(run(shutdown)),
    }
}

/// The running suite.
pub struct Suite {
    options: SuiteOptions,
    data: PathBuf,
    /// Where callers connect.
    pub gateway: SocketAddr,
    /// A ministry-wide development token holding every scope.
    pub token: String,
    running: Mutex<BTreeMap<&'static str, Running>>,
}

impl std::fmt::Debug for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suite")
            .field("gateway", &self.gateway)
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}

/// The database URL of a backend: the one the options name, else a SQLite file.
fn database_url(options: &SuiteOptions, data: &Path, deployable: &str, file: &str) -> String {
    options
        .database_urls
        .get(deployable)
        .cloned()
        .unwrap_or_else(|| format!("sqlite://{}/{file}.db?mode=rwc", data.display()))
}

fn url(address: SocketAddr) -> String {
    format!("http://{address}")
}

impl Suite {
    /// Migrates, builds and starts every service, then the gateway in front of them.
    pub async fn start(options: SuiteOptions) -> Result<Self, Failure> {
        std::fs::create_dir_all(&options.data)
            .map_err(|err| running(format!("{}: {err}", options.data.display())))?;
        let data = options.data.canonicalize().map_err(running)?;
        let mut services = BTreeMap::new();
        // Filled in by the events and catalog demos, in this order, before the inquiries
        // demo links to them.
        let mut links = jalia_inquiries::DemoLinks::default();
        for deployable in ["events", "services-catalog", "inquiries"] {
            let catalog = services
                .get("services-catalog")
                .map(|running: &Running| running.address);
            let backend = Backend {
                deployable,
                listen: None,
                catalog,
                first_start: true,
            };
            let started = start_backend(&options, &data, backend, &mut links).await?;
            services.insert(deployable, started);
        }
        let address = |name: &str| {
            services
                .get(name)
                .map(|r: &Running| url(r.address))
                .unwrap_or_default()
        };
        let mut gateway_config = jalia_gateway::Config::development(
            &data,
            &address("events"),
            &address("services-catalog"),
            &address("inquiries"),
        )
        .map_err(settings)?;
        gateway_config.server.listen = options.gateway_listen;
        if let Some(tune) = options.gateway {
            tune(&mut gateway_config);
        }
        let gateway = jalia_gateway::Application::build(gateway_config, options.clock.clone())
            .await
            .map_err(running)?;
        let gateway_address = gateway.local_addr();
        services.insert(
            "gateway",
            spawn(gateway_address, |shutdown| gateway.run(shutdown)),
        );
        let token = dev_token(
            &dev_auth(&data),
            "jalia-up",
            "*",
            &ALL_SCOPES,
            Duration::from_secs(12 * 3600),
        )?;
        Ok(Self {
            options,
            data,
            gateway: gateway_address,
            token,
            running: Mutex::new(services),
        })
    }

    /// Where a running deployable listens.
    pub async fn address(&self, deployable: &str) -> Option<SocketAddr> {
        self.running.lock().await.get(deployable).map(|r| r.address)
    }

    /// Stops one deployable (drains it like SIGTERM would).
    pub async fn stop(&self, deployable: &str) -> Result<(), Failure> {
        let stopped = self.running.lock().await.remove(deployable);
        if let Some(stopped) = stopped {
            stopped.trigger.trigger();
            stopped.task.await.map_err(running)?.map_err(running)?;
        }
        Ok(())
    }

    /// Starts a stopped backend again on its old address.
    pub async fn restart(
        &self,
        deployable: &'static str,
        address: SocketAddr,
    ) -> Result<(), Failure> {
        let catalog = self.address("services-catalog").await;
        let backend = Backend {
            deployable,
            listen: Some(address),
            catalog,
            first_start: false,
        };
        let mut links = jalia_inquiries::DemoLinks::default();
        let started = start_backend(&self.options, &self.data, backend, &mut links).await?;
        self.running.lock().await.insert(deployable, started);
        Ok(())
    }

    /// Stops everything: the gateway first, then the backends.
    pub async fn shutdown(self) -> Result<(), Failure> {
        self.stop("gateway").await?;
        for deployable in ["inquiries", "services-catalog", "events"] {
            self.stop(deployable).await?;
        }
        Ok(())
    }
}

/// Which backend to start, and how.
struct Backend<'a> {
    deployable: &'a str,
    listen: Option<SocketAddr>,
    catalog: Option<SocketAddr>,
    first_start: bool,
}

/// Starts one backend; with the demo, the events and catalog demos note what they
/// loaded in `links`, and the inquiries demo links to it.
async fn start_backend(
    options: &SuiteOptions,
    data: &Path,
    backend: Backend<'_>,
    links: &mut jalia_inquiries::DemoLinks,
) -> Result<Running, Failure> {
    let Backend {
        deployable,
        listen,
        catalog,
        first_start,
    } = backend;
    let clock = options.clock.clone();
    let demo = options.demo && first_start;
    match deployable {
        "events" => {
            let mut config = jalia_events::Config::development(
                data,
                &database_url(options, data, deployable, "events"),
            );
            if let Some(listen) = listen {
                config.server.listen = listen;
            }
            config.storage.nats.clone_from(&options.nats);
            jalia_events::migrate(&config.storage)
                .await
                .map_err(running)?;
            let app = jalia_events::Application::build(config, clock)
                .await
                .map_err(running)?;
            if demo {
                let events = app.load_demo().await.map_err(running)?;
                links.national_day_2025 = Some(events.national_day_2025);
                links.headquarters_meeting_2025 = Some(events.headquarters_meeting_2025);
            }
            Ok(spawn(app.local_addr(), |shutdown| app.run(shutdown)))
        }
        "services-catalog" => {
            let mut config = jalia_catalog::Config::development(
                data,
                &database_url(options, data, deployable, "catalog"),
            );
            if let Some(listen) = listen {
                config.server.listen = listen;
            }
            config.storage.nats.clone_from(&options.nats);
            jalia_catalog::migrate(&config.storage)
                .await
                .map_err(running)?;
            let app = jalia_catalog::Application::build(config, clock)
                .await
                .map_err(running)?;
            if demo {
                let services = app.load_demo().await.map_err(running)?;
                links.building_permit = Some(services.building_permit);
                links.housing_support = Some(services.housing_support);
                links.information_note = Some(services.information_note);
            }
            Ok(spawn(app.local_addr(), |shutdown| app.run(shutdown)))
        }
        "inquiries" => {
            let mut config = jalia_inquiries::Config::development(
                data,
                &database_url(options, data, deployable, "inquiries"),
            );
            if let Some(listen) = listen {
                config.server.listen = listen;
            }
            if let Some(catalog) = catalog {
                config.catalog_url = url(catalog);
            }
            config.storage.nats.clone_from(&options.nats);
            if let Some(calendars) = &options.inquiries_calendars {
                config.calendars_file = Some(calendars.clone());
            }
            jalia_inquiries::migrate(&config.storage)
                .await
                .map_err(running)?;
            let app = jalia_inquiries::Application::build(config, clock)
                .await
                .map_err(running)?;
            if demo {
                app.load_linked_demo(links).await.map_err(running)?;
            }
            Ok(spawn(app.local_addr(), |shutdown| app.run(shutdown)))
        }
        other => Err(Failure::Settings(format!("`{other}` is not a backend"))),
    }
}

/// `jalia up`.
pub(crate) async fn run(matches: &ArgMatches) -> Result<(), Failure> {
    let mut options = SuiteOptions::new(
        matches
            .get_one::<String>("data")
            .cloned()
            .unwrap_or_default(),
    );
    options.demo = matches.get_flag("demo");
    options.gateway_listen = matches
        .get_one::<String>("gateway-listen")
        .map_or("127.0.0.1:50050", String::as_str)
        .parse()
        .map_err(|_| {
            Failure::Settings(
                "invalid setting --gateway-listen: expected an address like 127.0.0.1:50050"
                    .to_owned(),
            )
        })?;
    options.nats = NatsSettings::parse(
        matches.get_one::<String>("nats-url").map(String::as_str),
        matches
            .get_one::<String>("nats-subject-prefix")
            .map(String::as_str),
    )
    .map_err(settings)?;
    let log = jalia_runtime::config::LogSettings {
        format: jalia_runtime::config::LogFormat::Text,
        filter: std::env::var("JALIA_LOG").unwrap_or_else(|_| "info".to_owned()),
    };
    let telemetry = jalia_runtime::telemetry::init(&log, "jalia").map_err(settings)?;
    let outcome = run_suite(options).await;
    telemetry.shutdown();
    outcome
}

async fn run_suite(options: SuiteOptions) -> Result<(), Failure> {
    let signals = Shutdown::on_signals().map_err(running)?;
    let suite = Suite::start(options).await?;
    // The first line is the address to call; the second a token that may call anything.
    println!("{}", url(suite.gateway));
    println!("{}", suite.token);
    tracing::info!(gateway = %suite.gateway, data = %suite.data.display(), "suite up; Ctrl-C stops it");
    tracing::info!(
        agency = %format!("{}/calendar/agencies/{{agency}}.ics", url(suite.gateway)),
        event = %format!("{}/calendar/agencies/{{agency}}/events/{{event}}.ics", url(suite.gateway)),
        "calendar subscriptions served on the gateway's port"
    );
    signals.wait().await;
    suite.shutdown().await
}
