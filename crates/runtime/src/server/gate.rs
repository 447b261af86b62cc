//! The tower layer in front of every RPC: request ids and trace context, metrics, load
//! shedding, authentication and the RPC's declared access rule, the deadline. Every
//! refusal is a proper gRPC status with details, answered without reaching the service.

use std::convert::Infallible;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use jalia_proto::AccessRules;
use tokio::sync::Semaphore;
use tonic::Status;
use tonic::body::Body;
use tonic::transport::server::TcpConnectInfo;
use tracing::Instrument;

use crate::auth::{Caller, Denied, Verifier, authorize};
use crate::clock::SharedClock;
use crate::error::{ApiError, ErrorCode, reasons};
use crate::metrics::{CallMetrics, ServerMetrics};
use crate::telemetry::{self, TraceContext};

use super::http::Admitted;
use super::response::{Held, Watchdog};
use super::shares::ClientShares;

/// The header carrying a call's request id, in and out.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// When the current call must be answered by: the earlier of the server's request
/// timeout and the caller's `grpc-timeout`. Handlers pass it on to calls they make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(pub tokio::time::Instant);

impl Deadline {
    /// Time left, zero when passed.
    pub fn remaining(&self) -> Duration {
        self.0
            .saturating_duration_since(tokio::time::Instant::now())
    }
}

/// The identifiers of the current call, for logs and for calls it makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// The caller's `x-request-id`, or one made here.
    pub request_id: String,
    /// The W3C trace context.
    pub trace: TraceContext,
}

/// The authenticated caller of the current call, if it presented a token.
pub fn caller<T>(request: &tonic::Request<T>) -> Option<&Caller> {
    request.extensions().get::<Caller>()
}

/// The languages the reader of the current call wants, best first: the request's own
/// `language_code` field when set, then its `accept-language` metadata.
pub fn wanted_languages<T>(
    request: &tonic::Request<T>,
    language_code: &str,
) -> Vec<jalia_model::LanguageCode> {
    let mut wanted: Vec<_> = jalia_model::LanguageCode::parse(language_code)
        .ok()
        .into_iter()
        .collect();
    if let Some(header) = request
        .metadata()
        .get("accept-language")
        .and_then(|value| value.to_str().ok())
    {
        for language in jalia_model::accept_language(header) {
            if !wanted.contains(&language) {
                wanted.push(language);
            }
        }
    }
    wanted
}

/// The deadline of the current call.
pub fn deadline<T>(request: &tonic::Request<T>) -> Option<Deadline> {
    request.extensions().get::<Deadline>().copied()
}

/// The address a call comes from as the server believes it: the client a trusted proxy
/// names, when an [`Admission`] check put it in the request's extensions, else the peer.
/// Calls without a token are counted against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// The connection's peer address.
pub fn peer_address<B>(request: &http::Request<B>) -> Option<IpAddr> {
    request
        .extensions()
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
        .map(|peer| peer.ip())
}

/// A check the gate runs on every call before anything that costs (a permit, a token's
/// signature): it lets the call in, possibly adding extensions such as a
/// [`ClientAddress`], or answers it with a status. The gateway limits each address's rate
/// here, health and reflection included.
pub trait Admission: Send + Sync + 'static {
    /// Lets the call in, or refuses it with the status to answer.
    fn admit(&self, request: &mut http::Request<Body>) -> Result<(), Status>;
}

/// What the gate needs, shared by every connection.
pub(crate) struct GateConfig {
    pub(crate) rules: AccessRules,
    pub(crate) verifier: Verifier,
    pub(crate) clock: SharedClock,
    pub(crate) metrics: ServerMetrics,
    pub(crate) permits: Arc<Semaphore>,
    pub(crate) shares: Arc<ClientShares>,
    pub(crate) watchdog: Arc<Watchdog>,
    pub(crate) admission: Option<Arc<dyn Admission>>,
    pub(crate) request_timeout: Duration,
}

/// Builds [`Gate`]s.
#[derive(Clone)]
pub(crate) struct GateLayer {
    config: Arc<GateConfig>,
}

impl GateLayer {
    pub(crate) fn new(config: GateConfig) -> Self {
        Self {
            config: Arc::new(config),
        }
    }
}

impl<S> tower::Layer<S> for GateLayer {
    type Service = Gate<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Gate {
            inner,
            config: self.config.clone(),
        }
    }
}

/// See the module documentation.
#[derive(Clone)]
pub(crate) struct Gate<S> {
    inner: S,
    config: Arc<GateConfig>,
}

type BoxFuture<T, E> = Pin<Box<dyn std::future::Future<Output = Result<T, E>> + Send>>;

impl<S> tower::Service<http::Request<Body>> for Gate<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // The ready inner service is the one that must be called; leave a clone behind.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let config = self.config.clone();
        Box::pin(serve(config, inner, request))
    }
}

async fn serve<S>(
    config: Arc<GateConfig>,
    mut inner: S,
    mut request: http::Request<Body>,
) -> Result<http::Response<Body>, Infallible>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>,
{
    let path = request.uri().path().to_owned();
    let (service, method) = split_path(&path);
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| !id.is_empty() && id.len() <= 128)
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned);
    let rule = config.rules.get(&path).cloned();
    let infrastructure = is_infrastructure(&path);
    // Span names, like metric labels, come only from declared RPCs: made-up paths must not
    // make up names in the trace store.
    let span_name = if rule.is_some() || infrastructure {
        path.trim_start_matches('/')
    } else {
        "unknown"
    };
    macro_rules! call_span {
        ($level:expr) => {
            tracing::span!(
                $level,
                "grpc",
                otel.name = span_name,
                otel.kind = "server",
                rpc.system = "grpc",
                rpc.service = service,
                rpc.method = method,
                request_id = %request_id,
                trace_id = tracing::field::Empty,
            )
        };
    }
    // Probes every few seconds would bury the calls in the trace store: their spans are
    // below the level traces export (telemetry::init).
    let span = if infrastructure {
        call_span!(tracing::Level::DEBUG)
    } else {
        call_span!(tracing::Level::INFO)
    };
    let caller_trace = request
        .headers()
        .get("traceparent")
        .and_then(|value| value.to_str().ok())
        .and_then(TraceContext::parse);
    let trace = telemetry::join_trace(&span, caller_trace);
    span.record("trace_id", tracing::field::display(&trace.trace_id));
    let context = RequestContext {
        request_id,
        trace: trace.clone(),
    };
    let request_id = context.request_id.clone();
    request.extensions_mut().insert(context);
    // Metrics are labelled by path only for RPCs this server declares: a caller making up
    // paths must not make up series (each one is memory kept for the process's life).
    let mut call = if rule.is_some() || infrastructure {
        config.metrics.call_started(&path, service, method)
    } else {
        config.metrics.unknown_call_started()
    };

    let serving = async move {
        if let Some(admission) = &config.admission
            && request.extensions().get::<Admitted>().is_none()
            && let Err(status) = admission.admit(&mut request)
        {
            return Ok(refuse(status, &request_id, call));
        }

        // Health checks are never shed: a probe failing under load would restart a
        // replica that is merely busy.
        let permit = if infrastructure {
            None
        } else {
            match config.permits.clone().try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => {
                    tracing::debug!("call shed: concurrency limit reached");
                    let refusal = ApiError::new(
                        ErrorCode::ResourceExhausted,
                        reasons::OVERLOADED,
                        "server is at its concurrency limit; retry later",
                    )
                    .with_retry_after(Duration::from_secs(1));
                    return Ok(refuse(refusal.into(), &request_id, call));
                }
            }
        };

        let mut caller = None;
        if let Some(rule) = rule {
            caller = match authenticate(&config, request.headers()).await {
                Ok(caller) => caller,
                Err(status) => return Ok(refuse(status, &request_id, call)),
            };
            if let Err(denied) = authorize(&rule, caller.as_ref()) {
                return Ok(refuse(denied_status(&denied), &request_id, call));
            }
        }

        // Within the server's permits, each anonymous client gets a share, so one that
        // starts calls and never reads their answers cannot hold them all.
        let share = match (&permit, anonymous_address(caller.as_ref(), &request)) {
            (Some(_), Some(address)) => match config.shares.try_take(address.0) {
                Some(share) => Some(share),
                None => {
                    tracing::debug!("call shed: the client holds its whole share");
                    let refusal = ApiError::new(
                        ErrorCode::ResourceExhausted,
                        reasons::CLIENT_CONCURRENCY_LIMIT,
                        "this client has too many calls in flight; retry later",
                    )
                    .with_retry_after(Duration::from_secs(1));
                    return Ok(refuse(refusal.into(), &request_id, call));
                }
            },
            _ => None,
        };
        if let Some(caller) = caller {
            request.extensions_mut().insert(caller);
        }

        let timeout = grpc_timeout(request.headers()).map_or(config.request_timeout, |asked| {
            answer_before(asked).min(config.request_timeout)
        });
        request
            .extensions_mut()
            .insert(Deadline(tokio::time::Instant::now() + timeout));

        let response = match tokio::time::timeout(timeout, inner.call(request)).await {
            Ok(Ok(response)) => response,
            Ok(Err(never)) => match never {},
            Err(_) => {
                let status: Status = ApiError::new(
                    ErrorCode::DeadlineExceeded,
                    reasons::DEADLINE_EXCEEDED,
                    "the call's deadline passed",
                )
                .into();
                return Ok(refuse(status, &request_id, call));
            }
        };

        let mut response = oversize_is_resource_exhausted(response);
        set_request_id(response.headers_mut(), &request_id);
        if let Some(status) = Status::from_header_map(response.headers()) {
            call.finish(status.code());
        }
        let watch = permit.is_some();
        let held = Held {
            call,
            _permit: permit,
            _share: share,
        };
        Ok(response.map(|body| Body::new(config.watchdog.body(body, held, watch))))
    }
    .instrument(span);
    telemetry::within_call_trace(trace, serving).await
}

/// Anonymous calls count against their address. Callers with a token do not: they are
/// known, limited per subject at the gateway, and one subject may rightly run many calls
/// at once (a portal acting for many people); a response of theirs that stalls is still
/// ended by the watchdog.
fn anonymous_address(
    caller: Option<&Caller>,
    request: &http::Request<Body>,
) -> Option<ClientAddress> {
    if caller.is_some() {
        return None;
    }
    request
        .extensions()
        .get::<ClientAddress>()
        .map(|address| address.0)
        .or_else(|| peer_address(request))
        .map(ClientAddress)
}

fn split_path(path: &str) -> (&str, &str) {
    let trimmed = path.trim_start_matches('/');
    trimmed.split_once('/').unwrap_or((trimmed, ""))
}

/// Health and reflection: served by every server, declared by no contract of ours.
const INFRASTRUCTURE_PATHS: [&str; 4] = [
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

fn is_infrastructure(path: &str) -> bool {
    INFRASTRUCTURE_PATHS.contains(&path)
}

async fn authenticate(config: &GateConfig, headers: &HeaderMap) -> Result<Option<Caller>, Status> {
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let unauthenticated = |message: String| -> Status {
        ApiError::new(
            ErrorCode::Unauthenticated,
            reasons::UNAUTHENTICATED,
            message,
        )
        .into()
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .ok_or_else(|| unauthenticated("authorization must be `Bearer <token>`".to_owned()))?;
    config
        .verifier
        .verify(token, config.clock.now())
        .await
        .map(Some)
        .map_err(|err| {
            tracing::debug!(error = %err, "token refused");
            unauthenticated(format!("invalid token: {err}"))
        })
}

fn denied_status(denied: &Denied) -> Status {
    match denied {
        Denied::Unauthenticated => ApiError::new(
            ErrorCode::Unauthenticated,
            reasons::UNAUTHENTICATED,
            "this call needs a bearer token",
        )
        .into(),
        Denied::PermissionDenied { scope } => ApiError::new(
            ErrorCode::PermissionDenied,
            reasons::MISSING_SCOPE,
            format!("this call needs the `{scope}` scope"),
        )
        .into(),
    }
}

fn refuse(status: Status, request_id: &str, mut call: CallMetrics) -> http::Response<Body> {
    call.finish(status.code());
    let mut response = status.into_http::<Body>();
    set_request_id(response.headers_mut(), request_id);
    response
}

fn set_request_id(headers: &mut HeaderMap, request_id: &str) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
}

/// tonic reports a message over the size limit as OUT_OF_RANGE; gRPC's own servers, and
/// ARCHITECTURE.md §2, say RESOURCE_EXHAUSTED.
fn oversize_is_resource_exhausted(mut response: http::Response<Body>) -> http::Response<Body> {
    let Some(status) = Status::from_header_map(response.headers()) else {
        return response;
    };
    if status.code() != tonic::Code::OutOfRange
        || !status.message().contains("message length too large")
    {
        return response;
    }
    let replacement: Status = ApiError::new(
        ErrorCode::ResourceExhausted,
        reasons::MESSAGE_TOO_LARGE,
        status.message().to_owned(),
    )
    .into();
    let headers = response.headers_mut();
    headers.remove("grpc-status-details-bin");
    if replacement.add_header(headers).is_err() {
        tracing::debug!("could not rewrite an oversize status");
    }
    response
}

/// The caller's budget, shortened a little: tonic's transport also times the call from
/// `grpc-timeout`, outside this layer, and reports CANCELLED when it fires first; ending
/// slightly earlier lets the caller get DEADLINE_EXCEEDED, with its details, instead.
fn answer_before(asked: Duration) -> Duration {
    asked.saturating_sub((asked / 20).min(Duration::from_millis(50)))
}

/// Parses `grpc-timeout`: up to 8 digits and a unit (H, M, S, m, u, n).
fn grpc_timeout(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.checked_mul(3600)?),
        "M" => Duration::from_secs(amount.checked_mul(60)?),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}
