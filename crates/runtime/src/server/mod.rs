//! The one server builder every Jalia service and the gateway use (ARCHITECTURE.md §1, §8): it
//! binds first, so callers and tests learn the port before serving; then it serves the
//! service's routes behind the gate (ids, metrics, shedding, auth, deadlines), with
//! grpc.health.v1, reflection v1 and v1alpha, TLS when configured, and a graceful,
//! bounded shutdown.

mod gate;
mod http;
mod response;
mod shares;
mod shutdown;
mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jalia_proto::AccessRules;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tonic::service::Routes;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

pub use gate::{
    Admission, ClientAddress, Deadline, REQUEST_ID_HEADER, RequestContext, caller, deadline,
    peer_address, wanted_languages,
};
pub use http::{HttpRoutes, Loopback};
pub use shutdown::{Shutdown, ShutdownTrigger};

use crate::auth::{AuthSetupError, Verifier};
use crate::clock::SharedClock;
use crate::config::ServerSettings;
use crate::metrics::{ServerMetrics, serve_admin};
use crate::tls::{TlsAcceptor, TlsError, incoming_with_lifetime};

/// The health entry Kubernetes' liveness probe asks for: it stays SERVING while the
/// process drains, so a draining pod is not killed early.
pub const LIVENESS: &str = "liveness";

/// The health entry a readiness probe asks for when the overall status must not depend
/// on other processes (the gateway's backends): SERVING from start until shutdown.
pub const READINESS: &str = "readiness";

/// Extras a server may turn on.
#[derive(Clone, Default)]
pub struct ServeOptions {
    /// Serve gRPC-Web (HTTP/1.1) too, with CORS for these browser origins (`*` for any).
    pub grpc_web_origins: Option<Vec<String>>,
    /// A check run on every call before the gate does anything that costs.
    pub admission: Option<Arc<dyn Admission>>,
    /// Plain HTTP (HTTP/1.1 and HTTP/2) under path prefixes, beside gRPC on the same port:
    /// past the admission check, not through the gate (no token, no RPC rule applies),
    /// unless the service makes gRPC calls of its requests through the [`Loopback`].
    pub http: Vec<HttpRoutes>,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("grpc_web_origins", &self.grpc_web_origins)
            .field("admission", &self.admission.is_some())
            .field("http", &self.http)
            .finish()
    }
}

/// A gRPC service this server serves, with the descriptor set declaring it.
#[derive(Debug, Clone, Copy)]
pub struct Contract {
    /// The full service name, e.g. `jalia.events.v1.EventService`.
    pub service: &'static str,
    /// The encoded descriptor set that holds it and every import (reflection serves it,
    /// and each RPC's access rule is read from it).
    pub descriptor_set: &'static [u8],
}

/// Why a server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Binding a listener failed.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// TLS material could not be loaded.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// Token keys could not be loaded.
    #[error(transparent)]
    Auth(#[from] AuthSetupError),
    /// A contract lacks access rules, or reflection could not read it.
    #[error("contract: {0}")]
    Contract(String),
    /// The transport failed.
    #[error("transport: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// A bound server, ready to serve.
pub struct Server {
    settings: ServerSettings,
    listener: TcpListener,
    admin_listener: Option<TcpListener>,
    tls: Option<TlsAcceptor>,
    verifier: Verifier,
    clock: SharedClock,
    metrics: ServerMetrics,
    health: HealthReporter,
    /// Adds the health service paired with `health` (its type cannot be named).
    add_health: Box<dyn FnOnce(Routes) -> Routes + Send>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listen", &self.listener.local_addr().ok())
            .field("admin", &self.admin_addr())
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds the listeners and loads keys and certificates, so that every setting is
    /// checked before anything is served.
    pub async fn bind(settings: ServerSettings, clock: SharedClock) -> Result<Self, ServerError> {
        let listener = bind(settings.listen).await?;
        let admin_listener = match settings.admin_listen {
            Some(address) => Some(bind(address).await?),
            None => None,
        };
        let tls = settings.tls.as_ref().map(TlsAcceptor::new).transpose()?;
        let verifier = Verifier::new(&settings.auth)?;
        let (health, health_service) = tonic_health::server::health_reporter();
        Ok(Self {
            settings,
            listener,
            admin_listener,
            tls,
            verifier,
            clock,
            metrics: ServerMetrics::new(),
            health,
            add_health: Box::new(move |routes| routes.add_service(health_service)),
        })
    }

    /// Where callers connect.
    pub fn local_addr(&self) -> SocketAddr {
        // A bound TCP listener always knows its address.
        self.listener.local_addr().unwrap_or(self.settings.listen)
    }

    /// Where `/metrics` is served, if anywhere.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin_listener
            .as_ref()
            .and_then(|listener| listener.local_addr().ok())
    }

    /// The health reporter, for a service to report a dependency down.
    pub fn health(&self) -> HealthReporter {
        self.health.clone()
    }

    /// The token verifier (the gateway verifies at the door with it).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The settings it was bound with.
    pub fn settings(&self) -> &ServerSettings {
        &self.settings
    }

    /// The metrics it records.
    pub fn metrics(&self) -> &ServerMetrics {
        &self.metrics
    }

    /// Serves `routes` (the services of `contracts`, built by the caller with
    /// [`ServerSettings::limits`]' message size) until `shutdown` fires, then: reports
    /// NOT_SERVING (liveness stays SERVING), keeps accepting for the shutdown delay, stops
    /// accepting, and lets in-flight calls finish within the drain timeout.
    pub async fn serve(
        self,
        contracts: &[Contract],
        routes: Routes,
        shutdown: Shutdown,
    ) -> Result<(), ServerError> {
        self.serve_with(contracts, routes, shutdown, ServeOptions::default())
            .await
    }

    /// [`Self::serve`] with extras.
    pub async fn serve_with(
        self,
        contracts: &[Contract],
        routes: Routes,
        shutdown: Shutdown,
        options: ServeOptions,
    ) -> Result<(), ServerError> {
        let mut rules = Vec::new();
        for contract in contracts {
            rules.push(
                AccessRules::from_descriptor_set(contract.descriptor_set, &[contract.service])
                    .map_err(|err| ServerError::Contract(err.to_string()))?,
            );
        }
        let rules = merge_rules(rules);

        self.health
            .set_service_status("", ServingStatus::Serving)
            .await;
        self.health
            .set_service_status(LIVENESS, ServingStatus::Serving)
            .await;
        self.health
            .set_service_status(READINESS, ServingStatus::Serving)
            .await;
        for contract in contracts {
            self.health
                .set_service_status(contract.service, ServingStatus::Serving)
                .await;
        }

        let mut routes = (self.add_health)(routes);
        if self.settings.reflection {
            routes = routes
                .add_service(reflection_v1(contracts)?)
                .add_service(reflection_v1alpha(contracts)?);
        }

        let limits = &self.settings.limits;
        let watchdog = response::Watchdog::new(limits.response_idle_timeout);
        let gate = gate::GateLayer::new(gate::GateConfig {
            rules,
            verifier: self.verifier,
            clock: self.clock,
            metrics: self.metrics.clone(),
            permits: Arc::new(Semaphore::new(limits.concurrency)),
            shares: shares::ClientShares::new(limits.client_concurrency()),
            watchdog: watchdog.clone(),
            admission: options.admission.clone(),
            request_timeout: limits.request_timeout,
        });
        let (stop_watchdog, watchdog_stopped) = Shutdown::manual();
        tokio::spawn(watchdog.run(watchdog_stopped.wait()));

        let (stop_admin, admin_stopped) = Shutdown::manual();
        if let Some(admin) = self.admin_listener {
            tokio::spawn(serve_admin(
                admin,
                self.metrics.clone(),
                admin_stopped.wait(),
            ));
        }

        let (stop_accepting, accepting_stopped) = Shutdown::manual();
        let local_addr = self.listener.local_addr().unwrap_or(self.settings.listen);
        let grpc_web = options.grpc_web_origins.as_deref().map(web::layers);
        let http = (!options.http.is_empty()).then(|| http::SplitLayer {
            routes: options.http.clone(),
            admission: options.admission.clone(),
        });
        let stack = tower::ServiceBuilder::new()
            .option_layer(http.clone())
            .option_layer(grpc_web.as_ref().map(|(cors, _)| cors.clone()))
            .option_layer(grpc_web.as_ref().map(|(_, web)| web.clone()))
            .layer(gate);
        let serving = tonic::transport::Server::builder()
            .accept_http1(grpc_web.is_some() || http.is_some())
            .max_connection_age(limits.max_connection_age)
            .max_concurrent_streams(limits.max_concurrent_streams)
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .layer(stack)
            .add_routes(routes)
            .serve_with_incoming_shutdown(
                incoming_with_lifetime(
                    self.listener,
                    self.tls,
                    Some(limits.max_connection_age + limits.max_connection_age_grace),
                ),
                accepting_stopped.wait(),
            );
        tokio::pin!(serving);
        tracing::info!(address = %local_addr, "serving");

        let outcome = tokio::select! {
            outcome = &mut serving => Some(outcome),
            () = shutdown.wait() => None,
        };
        let outcome = match outcome {
            Some(outcome) => outcome.map_err(ServerError::from),
            None => {
                drain(
                    &self.health,
                    contracts,
                    &self.settings,
                    &stop_accepting,
                    serving,
                )
                .await
            }
        };
        stop_admin.trigger();
        stop_watchdog.trigger();
        outcome
    }
}

async fn drain(
    health: &HealthReporter,
    contracts: &[Contract],
    settings: &ServerSettings,
    stop_accepting: &ShutdownTrigger,
    serving: std::pin::Pin<
        &mut impl std::future::Future<Output = Result<(), tonic::transport::Error>>,
    >,
) -> Result<(), ServerError> {
    for entry in ["", READINESS] {
        health
            .set_service_status(entry, ServingStatus::NotServing)
            .await;
    }
    for contract in contracts {
        health
            .set_service_status(contract.service, ServingStatus::NotServing)
            .await;
    }
    tracing::info!(
        delay_ms = settings.shutdown.delay.as_millis(),
        "stopping: reporting not serving"
    );
    // Calls keep being served during the delay, so nothing is refused while load
    // balancers learn that this replica is going.
    let mut serving = serving;
    let early = tokio::time::timeout(settings.shutdown.delay, &mut serving).await;
    if let Ok(outcome) = early {
        return outcome.map_err(ServerError::from);
    }
    stop_accepting.trigger();
    let drain_timeout = settings.shutdown.drain_timeout;
    match tokio::time::timeout(drain_timeout, serving).await {
        Ok(outcome) => {
            tracing::info!("stopped: in-flight calls drained");
            outcome.map_err(ServerError::from)
        }
        Err(_) => {
            tracing::warn!(
                drain_timeout_ms = drain_timeout.as_millis(),
                "stopped: drain timeout reached with calls still in flight"
            );
            Ok(())
        }
    }
}

async fn bind(address: SocketAddr) -> Result<TcpListener, ServerError> {
    TcpListener::bind(address)
        .await
        .map_err(|source| ServerError::Bind { address, source })
}

fn merge_rules(parts: Vec<AccessRules>) -> AccessRules {
    parts
        .into_iter()
        .fold(AccessRules::default(), |mut all, part| {
            all.extend(part);
            all
        })
}

fn distinct_sets(contracts: &[Contract]) -> Vec<&'static [u8]> {
    let mut sets: Vec<&'static [u8]> = Vec::new();
    for contract in contracts {
        if !sets
            .iter()
            .any(|set| std::ptr::eq(*set, contract.descriptor_set))
        {
            sets.push(contract.descriptor_set);
        }
    }
    sets
}

fn reflection_v1(
    contracts: &[Contract],
) -> Result<
    tonic_reflection::pb::v1::server_reflection_server::ServerReflectionServer<
        impl tonic_reflection::pb::v1::server_reflection_server::ServerReflection,
    >,
    ServerError,
> {
    let mut builder = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
    for set in distinct_sets(contracts) {
        builder = builder.register_encoded_file_descriptor_set(set);
    }
    builder
        .build_v1()
        .map_err(|err| ServerError::Contract(err.to_string()))
}

fn reflection_v1alpha(
    contracts: &[Contract],
) -> Result<
    tonic_reflection::pb::v1alpha::server_reflection_server::ServerReflectionServer<
        impl tonic_reflection::pb::v1alpha::server_reflection_server::ServerReflection,
    >,
    ServerError,
> {
    let mut builder = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
    for set in distinct_sets(contracts) {
        builder = builder.register_encoded_file_descriptor_set(set);
    }
    builder
        .build_v1alpha()
        .map_err(|err| ServerError::Contract(err.to_string()))
}
