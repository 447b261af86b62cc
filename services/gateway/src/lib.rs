//! The gateway (`gateway`): one address for every caller of the suite. It limits each
//! client address's rate before anything else, verifies the token and the RPC's scope
//! (jalia-runtime's gate, from the contracts), limits each token subject's rate, and
//! forwards each call by service name to the backend that owns it, balanced across that
//! backend's pods. On the same port it serves REST/JSON transcoded from the contracts
//! (`/v1/…`, see `rest`) with its OpenAPI document (`/openapi.json`, see `openapi`), and
//! calendar subscriptions as plain HTTP (`/calendar/…`, see `calendar`). It holds no
//! database.

mod backend;
mod calendar;
mod door;
mod health;
mod openapi;
mod proxy;
mod rest;

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use clap::{Arg, ArgMatches};
use jalia_proto::{AccessRules, FILE_DESCRIPTOR_SET, service_names};
use jalia_runtime::config::{Defaults, EnvPrefix, parse_duration};
use jalia_runtime::{
    ConfigError, Contract, HttpRoutes, ServeOptions, Server, ServerError, ServerSettings,
    SharedClock, Shutdown,
};
use tonic::service::Routes;
use url::Url;

pub use backend::{BackendError, BackendTarget};
pub use door::{Cidr, TrustedProxies};
pub use proxy::RateSettings;

use crate::backend::Backend;
use crate::health::Watched;
use crate::proxy::{CatalogProxy, EventsProxy, Forward, InquiriesProxy};

/// The contracts the gateway serves (for auth, reflection and routing).
pub const CONTRACTS: [Contract; 3] = [
    Contract {
        service: service_names::EVENTS,
        descriptor_set: FILE_DESCRIPTOR_SET,
    },
    Contract {
        service: service_names::CATALOG,
        descriptor_set: FILE_DESCRIPTOR_SET,
    },
    Contract {
        service: service_names::INQUIRIES,
        descriptor_set: FILE_DESCRIPTOR_SET,
    },
];

const DEFAULTS: Defaults = Defaults {
    listen: "0.0.0.0:50050",
    admin_listen: "0.0.0.0:9090",
};

fn prefix() -> EnvPrefix {
    EnvPrefix::new("gateway")
}

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A backend target is wrong.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The server could not bind or load its keys.
    #[error(transparent)]
    Server(#[from] ServerError),
}

/// Where the backends are.
#[derive(Debug, Clone)]
pub struct Backends {
    /// The events service.
    pub events: BackendTarget,
    /// The services catalog.
    pub catalog: BackendTarget,
    /// The inquiries service.
    pub inquiries: BackendTarget,
}

/// Everything the gateway needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The server.
    pub server: ServerSettings,
    /// The backends.
    pub backends: Backends,
    /// Per-subject rate limit of callers with a token (per replica).
    pub rate: RateSettings,
    /// Per-address rate limit of every call, checked first (per replica).
    pub address_rate: RateSettings,
    /// Proxies (the ingress) whose `x-forwarded-for` names the client's address.
    pub trusted_proxies: TrustedProxies,
    /// How long a call waits for a ready backend pod before UNAVAILABLE.
    pub ready_timeout: Duration,
    /// How often backends are re-resolved and checked.
    pub check_interval: Duration,
    /// Browser origins allowed to call over gRPC-Web (`*` for any; empty turns
    /// gRPC-Web off).
    pub grpc_web_origins: Vec<String>,
}

mod ids {
    pub(super) const EVENTS: &str = "events-url";
    pub(super) const CATALOG: &str = "catalog-url";
    pub(super) const INQUIRIES: &str = "inquiries-url";
    pub(super) const CA: &str = "backend-ca-file";
    pub(super) const RATE: &str = "rate-limit";
    pub(super) const BURST: &str = "rate-burst";
    pub(super) const ADDRESS_RATE: &str = "address-rate-limit";
    pub(super) const ADDRESS_BURST: &str = "address-rate-burst";
    pub(super) const TRUSTED_PROXIES: &str = "trusted-proxies";
    pub(super) const READY: &str = "backend-ready-timeout";
    pub(super) const CHECK: &str = "backend-check-interval";
    pub(super) const WEB: &str = "grpc-web-origins";
}

fn invalid(id: &str, env: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        setting: format!("--{id} / {env}"),
        problem: problem.into(),
    }
}

impl Config {
    /// The flags and `JALIA_GATEWAY_*` variables.
    pub fn args() -> Vec<Arg> {
        let prefix = prefix();
        let mut args = ServerSettings::args(&prefix, DEFAULTS);
        for (id, var, default, help) in [
            (
                ids::EVENTS,
                "EVENTS_URL",
                "http://127.0.0.1:50051",
                "the events service",
            ),
            (
                ids::CATALOG,
                "CATALOG_URL",
                "http://127.0.0.1:50052",
                "the services-catalog service",
            ),
            (
                ids::INQUIRIES,
                "INQUIRIES_URL",
                "http://127.0.0.1:50053",
                "the inquiries service",
            ),
            (
                ids::RATE,
                "RATE_LIMIT",
                "50",
                "calls per second per token subject, per replica",
            ),
            (
                ids::BURST,
                "RATE_BURST",
                "100",
                "calls a subject may make at once above its rate",
            ),
            (
                ids::ADDRESS_RATE,
                "ADDRESS_RATE_LIMIT",
                "100",
                "calls per second per client address (checked before any token), per replica",
            ),
            (
                ids::ADDRESS_BURST,
                "ADDRESS_RATE_BURST",
                "200",
                "calls an address may make at once above its rate",
            ),
            (
                ids::TRUSTED_PROXIES,
                "TRUSTED_PROXIES",
                "",
                "proxies (CIDRs, comma-separated) whose x-forwarded-for names the client; empty: none",
            ),
            (
                ids::READY,
                "BACKEND_READY_TIMEOUT",
                "1s",
                "wait for a ready backend pod before UNAVAILABLE",
            ),
            (
                ids::CHECK,
                "BACKEND_CHECK_INTERVAL",
                "2s",
                "how often backends are re-resolved and checked",
            ),
            (
                ids::WEB,
                "GRPC_WEB_ORIGINS",
                "",
                "browser origins allowed gRPC-Web, comma-separated (* for any); empty: off",
            ),
        ] {
            args.push(
                Arg::new(id)
                    .long(id)
                    .env(prefix.var(var))
                    .default_value(default)
                    .help(help),
            );
        }
        args.push(
            Arg::new(ids::CA)
                .long(ids::CA)
                .env(prefix.var("BACKEND_CA_FILE"))
                .help("PEM CA of the backends' certificates, for https backend URLs"),
        );
        args
    }

    /// Reads and validates them.
    pub fn from_matches(matches: &ArgMatches) -> Result<Self, ConfigError> {
        let prefix = prefix();
        let server = ServerSettings::from_matches(&prefix, matches)?;
        let get = |id: &str| matches.get_one::<String>(id).cloned().unwrap_or_default();
        let ca_pem = match matches.get_one::<String>(ids::CA) {
            Some(path) if !path.is_empty() => Some(std::fs::read(path).map_err(|err| {
                invalid(
                    ids::CA,
                    &prefix.var("BACKEND_CA_FILE"),
                    format!("{path}: {err}"),
                )
            })?),
            _ => None,
        };
        let target = |id: &str, var: &str| -> Result<BackendTarget, ConfigError> {
            let raw = get(id);
            let url = Url::parse(&raw)
                .map_err(|err| invalid(id, &prefix.var(var), format!("`{raw}`: {err}")))?;
            Ok(BackendTarget {
                url,
                ca_pem: ca_pem.clone(),
                connect_timeout: Duration::from_secs(2),
            })
        };
        let count = |id: &str, var: &str| -> Result<NonZeroU32, ConfigError> {
            get(id)
                .parse::<NonZeroU32>()
                .map_err(|_| invalid(id, &prefix.var(var), "expected a whole number above 0"))
        };
        let duration = |id: &str, var: &str| -> Result<Duration, ConfigError> {
            parse_duration(&get(id)).map_err(|problem| invalid(id, &prefix.var(var), problem))
        };
        Ok(Self {
            server,
            backends: Backends {
                events: target(ids::EVENTS, "EVENTS_URL")?,
                catalog: target(ids::CATALOG, "CATALOG_URL")?,
                inquiries: target(ids::INQUIRIES, "INQUIRIES_URL")?,
            },
            rate: RateSettings {
                per_second: count(ids::RATE, "RATE_LIMIT")?,
                burst: count(ids::BURST, "RATE_BURST")?,
            },
            address_rate: RateSettings {
                per_second: count(ids::ADDRESS_RATE, "ADDRESS_RATE_LIMIT")?,
                burst: count(ids::ADDRESS_BURST, "ADDRESS_RATE_BURST")?,
            },
            trusted_proxies: TrustedProxies::parse(&get(ids::TRUSTED_PROXIES)).map_err(
                |problem| {
                    invalid(
                        ids::TRUSTED_PROXIES,
                        &prefix.var("TRUSTED_PROXIES"),
                        problem,
                    )
                },
            )?,
            ready_timeout: duration(ids::READY, "BACKEND_READY_TIMEOUT")?,
            check_interval: duration(ids::CHECK, "BACKEND_CHECK_INTERVAL")?,
            grpc_web_origins: get(ids::WEB)
                .split(',')
                .map(str::trim)
                .filter(|origin| !origin.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }

    /// Development settings on loopback port 0, in front of the given backends.
    pub fn development(
        data_dir: &Path,
        events: &str,
        catalog: &str,
        inquiries: &str,
    ) -> Result<Self, StartError> {
        let target = |url: &str| -> Result<BackendTarget, StartError> {
            Ok(BackendTarget {
                url: Url::parse(url).map_err(|err| BackendError {
                    url: url.to_owned(),
                    problem: err.to_string(),
                })?,
                ca_pem: None,
                connect_timeout: Duration::from_secs(2),
            })
        };
        Ok(Self {
            server: ServerSettings::development(data_dir),
            backends: Backends {
                events: target(events)?,
                catalog: target(catalog)?,
                inquiries: target(inquiries)?,
            },
            rate: RateSettings {
                per_second: NonZeroU32::MIN.saturating_add(499),
                burst: NonZeroU32::MIN.saturating_add(999),
            },
            // Every local caller shares 127.0.0.1.
            address_rate: RateSettings {
                per_second: NonZeroU32::MIN.saturating_add(999),
                burst: NonZeroU32::MIN.saturating_add(1999),
            },
            trusted_proxies: TrustedProxies::default(),
            ready_timeout: Duration::from_secs(1),
            check_interval: Duration::from_secs(2),
            grpc_web_origins: vec!["*".to_owned()],
        })
    }
}

/// The gateway, bound and ready to serve.
#[derive(Debug)]
pub struct Application {
    server: Server,
    config: Config,
    backends: [Backend; 3],
    clock: SharedClock,
}

impl Application {
    /// Binds the listeners and prepares each backend's pods.
    pub async fn build(config: Config, clock: SharedClock) -> Result<Self, StartError> {
        let backend = |service, target| Backend::new(service, target, config.ready_timeout);
        let backends = [
            backend(service_names::EVENTS, &config.backends.events)?,
            backend(service_names::CATALOG, &config.backends.catalog)?,
            backend(service_names::INQUIRIES, &config.backends.inquiries)?,
        ];
        let server = Server::bind(config.server.clone(), clock.clone()).await?;
        Ok(Self {
            server,
            config,
            backends,
            clock,
        })
    }

    /// Where callers connect.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Where `/metrics` is served.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.server.admin_addr()
    }

    /// Serves until `shutdown` fires.
    pub async fn run(self, shutdown: Shutdown) -> Result<(), ServerError> {
        let limiter = proxy::limiter(self.config.rate);
        let address_limiter = door::address_limiter(self.config.address_rate);
        let [events, catalog, inquiries] = self.backends;
        let forward =
            |service: &'static str, backend: &Backend| -> Result<Arc<Forward>, ServerError> {
                Ok(Arc::new(Forward {
                    service,
                    backend: backend.clone(),
                    rules: AccessRules::from_descriptor_set(FILE_DESCRIPTOR_SET, &[service])
                        .map_err(|err| ServerError::Contract(err.to_string()))?,
                    limiter: limiter.clone(),
                }))
            };
        let limits = &self.config.server.limits;
        let calendars = calendar::Calendars {
            events: events.clone(),
            catalog: catalog.clone(),
            clock: self.clock.clone(),
            timeout: limits.request_timeout,
            max_message_bytes: limits.max_message_bytes,
        };
        let calendars = HttpRoutes {
            prefix: calendar::PREFIX,
            service: tower::util::BoxCloneSyncService::new(tower::service_fn(move |request| {
                calendars.clone().answer(request)
            })),
            refusal: None,
        };
        let rest = rest::Rest::new(
            FILE_DESCRIPTOR_SET,
            &service_names::ALL,
            limits.max_message_bytes,
        )
        .map_err(|err| ServerError::Contract(err.to_string()))?;
        let openapi = openapi::served(
            &AccessRules::from_descriptor_set(FILE_DESCRIPTOR_SET, &service_names::ALL)
                .map_err(|err| ServerError::Contract(err.to_string()))?,
            rest.bindings(),
        );
        let http = vec![
            calendars,
            HttpRoutes {
                prefix: rest::PREFIX,
                service: tower::util::BoxCloneSyncService::new(tower::service_fn(move |request| {
                    rest.clone().answer(request)
                })),
                refusal: Some(rest::status_response),
            },
            HttpRoutes {
                prefix: openapi::PATH,
                service: tower::util::BoxCloneSyncService::new(tower::service_fn(move |request| {
                    std::future::ready(Ok(openapi.answer(&request)))
                })),
                refusal: Some(rest::status_response),
            },
        ];
        let routes = Routes::new(EventsProxy(forward(service_names::EVENTS, &events)?))
            .add_service(CatalogProxy(forward(service_names::CATALOG, &catalog)?))
            .add_service(InquiriesProxy(forward(
                service_names::INQUIRIES,
                &inquiries,
            )?));
        let watched = vec![
            Watched {
                service: service_names::EVENTS,
                backend: events,
            },
            Watched {
                service: service_names::CATALOG,
                backend: catalog,
            },
            Watched {
                service: service_names::INQUIRIES,
                backend: inquiries,
            },
        ];
        tokio::spawn(health::watch(
            watched,
            self.server.health(),
            self.config.check_interval,
            self.config.ready_timeout.max(Duration::from_millis(500)),
            (address_limiter.clone(), limiter.clone()),
            shutdown.clone(),
        ));
        let options = ServeOptions {
            grpc_web_origins: (!self.config.grpc_web_origins.is_empty())
                .then_some(self.config.grpc_web_origins.clone()),
            admission: Some(Arc::new(door::Door {
                trusted: self.config.trusted_proxies.clone(),
                limiter: address_limiter,
            })),
            http,
        };
        self.server
            .serve_with(&CONTRACTS, routes, shutdown, options)
            .await
    }
}
