//! Prometheus metrics of one server, scraped from its admin port: calls by service,
//! method and code, a latency histogram, and calls in flight. Each server has its own
//! recorder (no process-global one), so several servers in one process (`jalia up`,
//! tests) each report their own calls.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock, RwLock};

use metrics::{Key, Label, Level, Metadata, Recorder};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use tokio::net::TcpListener;

const CALLS: &str = "grpc_server_handled_total";
const LATENCY: &str = "grpc_server_handling_seconds";
const IN_FLIGHT: &str = "grpc_server_in_flight";
/// The service and method label of calls to paths that are no RPC of the server.
const UNKNOWN: &str = "unknown";
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
static METADATA: Metadata<'static> = Metadata::new(module_path!(), Level::INFO, None);

/// The metrics of one server.
#[derive(Clone)]
pub struct ServerMetrics {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
    /// Registered handles per method, so a call costs a map lookup, not three
    /// registrations with their label allocations.
    methods: Arc<RwLock<HashMap<String, Arc<MethodMetrics>>>>,
}

/// The handles of one method's series.
struct MethodMetrics {
    in_flight: metrics::Gauge,
    latency: metrics::Histogram,
    labels: Vec<Label>,
    calls: [OnceLock<metrics::Counter>; CODES],
}

/// How many gRPC codes there are (0..=16).
const CODES: usize = 17;

impl std::fmt::Debug for ServerMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerMetrics").finish_non_exhaustive()
    }
}

impl Default for ServerMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerMetrics {
    /// A recorder with latency buckets from half a millisecond to ten seconds.
    pub fn new() -> Self {
        // Setting buckets only fails for an empty list.
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(LATENCY.to_owned()), &LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        Self {
            recorder: Arc::new(recorder),
            handle,
            methods: Arc::default(),
        }
    }

    fn method(&self, path: &str, service: &str, method: &str) -> Arc<MethodMetrics> {
        if let Some(found) = self
            .methods
            .read()
            .ok()
            .and_then(|methods| methods.get(path).cloned())
        {
            return found;
        }
        let labels = vec![
            Label::new("grpc_service", service.to_owned()),
            Label::new("grpc_method", method.to_owned()),
        ];
        let registered = Arc::new(MethodMetrics {
            in_flight: self
                .recorder
                .register_gauge(&Key::from_parts(IN_FLIGHT, labels.clone()), &METADATA),
            latency: self
                .recorder
                .register_histogram(&Key::from_parts(LATENCY, labels.clone()), &METADATA),
            labels,
            calls: std::array::from_fn(|_| OnceLock::new()),
        });
        match self.methods.write() {
            Ok(mut methods) => methods.entry(path.to_owned()).or_insert(registered).clone(),
            // A poisoned map only loses the cache; the handles still record.
            Err(_) => registered,
        }
    }

    /// Counts a call as started; the guard counts it finished.
    pub(crate) fn call_started(&self, path: &str, service: &str, method: &str) -> CallMetrics {
        let method = self.method(path, service, method);
        method.in_flight.increment(1.0);
        CallMetrics {
            recorder: self.recorder.clone(),
            method,
            started: std::time::Instant::now(),
            finished: false,
        }
    }

    /// Counts a call to a path that is no RPC of this server under one `unknown` service
    /// and method, so made-up paths cannot grow the number of series.
    pub(crate) fn unknown_call_started(&self) -> CallMetrics {
        // A key no real path can have: paths start with `/`.
        self.call_started(UNKNOWN, UNKNOWN, UNKNOWN)
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        self.handle.render()
    }
}

/// One call being measured.
pub(crate) struct CallMetrics {
    recorder: Arc<PrometheusRecorder>,
    method: Arc<MethodMetrics>,
    started: std::time::Instant,
    finished: bool,
}

impl CallMetrics {
    /// Records the call's outcome (once; later calls are ignored).
    pub(crate) fn finish(&mut self, code: tonic::Code) {
        if self.finished {
            return;
        }
        self.finished = true;
        let method = &self.method;
        method.in_flight.decrement(1.0);
        method.latency.record(self.started.elapsed().as_secs_f64());
        let index = usize::try_from(i32::from(code)).unwrap_or(0).min(CODES - 1);
        method.calls[index]
            .get_or_init(|| {
                let mut labels = method.labels.clone();
                labels.push(Label::new("grpc_code", code_name(code)));
                self.recorder
                    .register_counter(&Key::from_parts(CALLS, labels), &METADATA)
            })
            .increment(1);
    }
}

impl Drop for CallMetrics {
    fn drop(&mut self) {
        // A call whose response was dropped before it ended was cancelled by the client.
        self.finish(tonic::Code::Cancelled);
    }
}

fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Serves `GET /metrics` (and a plain `200` on `/`) over HTTP/1 on the admin listener
/// until `shutdown` resolves.
pub(crate) async fn serve_admin(
    listener: TcpListener,
    metrics: ServerMetrics,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    use http_body_util::Full;
    use hyper::body::Bytes;
    use hyper_util::rt::TokioIo;

    tokio::pin!(shutdown);
    loop {
        let (stream, _peer): (tokio::net::TcpStream, SocketAddr) = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::debug!(error = %err, "admin accept failed");
                    continue;
                }
            },
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
                let response = match request.uri().path() {
                    "/metrics" => hyper::Response::builder()
                        .header("content-type", "text/plain; version=0.0.4")
                        .body(Full::new(Bytes::from(metrics.render()))),
                    "/" => hyper::Response::builder().body(Full::new(Bytes::from_static(b"ok\n"))),
                    _ => hyper::Response::builder()
                        .status(404)
                        .body(Full::new(Bytes::new())),
                };
                async move { response }
            });
            if let Err(err) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %err, "admin connection ended with an error");
            }
        });
    }
}
