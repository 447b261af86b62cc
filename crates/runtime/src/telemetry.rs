//! Logging and traces. Logs: tracing, one JSON object per line in production and readable
//! lines in development; every line logged while serving a call carries the call's
//! `request_id` and W3C `trace_id`, from the span the server opens around each call.
//! Traces: when the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is
//! set, those same call spans are exported over OTLP/gRPC, joined to the caller's trace by
//! its `traceparent`, and the `traceparent` this server sends on names its own span, so a
//! call through the gateway to a service that calls the catalog is one trace.

use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, TracerProvider as _,
};
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

use crate::config::{ConfigError, LogFormat, LogSettings};

/// The process's telemetry, installed by [`init`]; [`Telemetry::shutdown`] sends the
/// spans still buffered before the process exits.
#[derive(Debug)]
#[must_use = "dropping it without shutdown loses the spans still buffered"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are being exported.
    pub fn exports_traces(&self) -> bool {
        self.provider.is_some()
    }

    /// Flushes and stops the span exporter (a no-op when traces are off).
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(err) = provider.shutdown()
        {
            tracing::warn!(error = %err, "trace exporter did not shut down cleanly");
        }
    }
}

/// Where traces go, from the standard OpenTelemetry variables: exported when an OTLP
/// endpoint is named, unless `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TraceExport {
    endpoint: String,
    /// `OTEL_SERVICE_NAME` when set; else the deployable's name.
    service_name: Option<String>,
}

impl TraceExport {
    fn from_env(var: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let set = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        if set("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"))
            || set("OTEL_TRACES_EXPORTER").is_some_and(|v| v.eq_ignore_ascii_case("none"))
        {
            return None;
        }
        let endpoint = set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .or_else(|| set("OTEL_EXPORTER_OTLP_ENDPOINT"))?;
        Some(Self {
            endpoint,
            service_name: set("OTEL_SERVICE_NAME"),
        })
    }
}

/// Installs the process-wide subscriber, and the OTLP span exporter when the standard
/// variables ask for one (`service` names the process when `OTEL_SERVICE_NAME` does not).
/// A process runs several servers under `jalia up` and tests build many: the first call
/// installs, later ones keep it. Must run inside the Tokio runtime: the exporter's channel
/// lives there.
pub fn init(settings: &LogSettings, service: &str) -> Result<Telemetry, ConfigError> {
    let filter = EnvFilter::try_new(&settings.filter).map_err(|err| ConfigError {
        setting: "--log / JALIA_LOG".to_owned(),
        problem: err.to_string(),
    })?;
    let provider = match TraceExport::from_env(|name| std::env::var(name).ok()) {
        Some(export) => Some(tracer_provider(&export, service)?),
        None => None,
    };
    // Calls are spans at INFO; health and reflection probes are at DEBUG and stay out.
    let spans = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("jalia-runtime"))
            .with_filter(LevelFilter::INFO)
    });
    let lines = match settings.format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .boxed(),
    };
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(lines)
        .with(spans)
        .try_init();
    if installed.is_err() {
        tracing::debug!("a log subscriber is installed already; keeping it");
        return Ok(Telemetry { provider: None });
    }
    if provider.is_some() {
        tracing::info!("exporting traces over otlp");
    }
    Ok(Telemetry { provider })
}

fn tracer_provider(export: &TraceExport, service: &str) -> Result<SdkTracerProvider, ConfigError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(export.endpoint.clone())
        .build()
        .map_err(|err| ConfigError {
            setting: "OTEL_EXPORTER_OTLP_ENDPOINT".to_owned(),
            problem: err.to_string(),
        })?;
    let name = export
        .service_name
        .clone()
        .unwrap_or_else(|| service.to_owned());
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name(name).build())
        .build())
}

tokio::task_local! {
    /// The trace of the call this task is serving, for the calls it makes in turn.
    static CALL_TRACE: TraceContext;
}

/// Runs `serving` (one call's handling) knowing its trace, so that
/// [`outgoing_traceparent`] works anywhere inside it.
pub(crate) async fn within_call_trace<F: std::future::Future>(
    trace: TraceContext,
    serving: F,
) -> F::Output {
    CALL_TRACE.scope(trace, serving).await
}

/// The `traceparent` to send on a call made while serving one (None outside a call, e.g.
/// in a background task, where the callee starts its own trace).
pub fn outgoing_traceparent() -> Option<String> {
    CALL_TRACE.try_with(TraceContext::child_header).ok()
}

/// Joins a call's span to the caller's trace and says which trace the call is in. With
/// traces exported, the span takes the caller's `traceparent` as its remote parent (or
/// starts a trace) and the ids are the exported span's; otherwise they are the caller's,
/// or new.
pub fn join_trace(span: &tracing::Span, caller: Option<TraceContext>) -> TraceContext {
    if let Some(caller) = &caller
        && let Some(remote) = caller.span_context()
    {
        // Fails only when no span exporter is installed, which leaves the ids as given.
        let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(remote));
    }
    let exported = span.context().span().span_context().clone();
    if !exported.is_valid() {
        return caller.unwrap_or_else(TraceContext::start);
    }
    TraceContext {
        trace_id: exported.trace_id().to_string(),
        parent_id: caller.map_or_else(|| exported.span_id().to_string(), |c| c.parent_id),
        flags: exported.trace_flags().to_u8(),
    }
}

/// The W3C trace context of a call: the caller's `traceparent` when valid, else a new
/// trace (this server starts it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// 16 lowercase hex digits: the caller's span, or this call's own when it starts the
    /// trace.
    pub parent_id: String,
    /// The trace flags byte (sampled = 01).
    pub flags: u8,
}

impl TraceContext {
    /// Parses `traceparent` (version 00), refusing the all-zero ids the spec forbids.
    pub fn parse(header: &str) -> Option<Self> {
        let mut parts = header.trim().split('-');
        let (version, trace_id, parent_id, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let hex = |s: &str, len: usize| {
            s.len() == len
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        if version != "00"
            || parts.next().is_some()
            || !hex(trace_id, 32)
            || !hex(parent_id, 16)
            || !hex(flags, 2)
            || trace_id.bytes().all(|b| b == b'0')
            || parent_id.bytes().all(|b| b == b'0')
        {
            return None;
        }
        Some(Self {
            trace_id: trace_id.to_owned(),
            parent_id: parent_id.to_owned(),
            flags: u8::from_str_radix(flags, 16).ok()?,
        })
    }

    /// A new sampled trace.
    pub fn start() -> Self {
        let trace: u128 = rand::random();
        let span: u64 = rand::random();
        Self {
            trace_id: format!("{:032x}", trace.max(1)),
            parent_id: format!("{:016x}", span.max(1)),
            flags: 1,
        }
    }

    fn span_context(&self) -> Option<SpanContext> {
        Some(SpanContext::new(
            TraceId::from_hex(&self.trace_id).ok()?,
            SpanId::from_hex(&self.parent_id).ok()?,
            TraceFlags::new(self.flags),
            true,
            TraceState::default(),
        ))
    }

    /// The `traceparent` header for a call this one makes: its parent is the current
    /// span when that span is exported (so the callee's span hangs under it), else a new
    /// span id.
    pub fn child_header(&self) -> String {
        let current = tracing::Span::current().context();
        let exported = current.span().span_context().clone();
        if exported.is_valid() && exported.trace_id().to_string() == self.trace_id {
            return format!(
                "00-{}-{}-{:02x}",
                self.trace_id,
                exported.span_id(),
                self.flags
            );
        }
        let span: u64 = rand::random();
        format!(
            "00-{}-{:016x}-{:02x}",
            self.trace_id,
            span.max(1),
            self.flags
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn export(vars: &[(&str, &str)]) -> Option<TraceExport> {
        TraceExport::from_env(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn traces_are_off_unless_an_endpoint_is_named() {
        assert_eq!(export(&[]), None);
        assert_eq!(export(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "  ")]), None);
        assert_eq!(export(&[("OTEL_SERVICE_NAME", "events")]), None);
    }

    #[test]
    fn the_traces_endpoint_wins_over_the_general_one() {
        let export = export(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4317"),
            ("OTEL_SERVICE_NAME", "events-eu"),
        ]);
        assert_eq!(
            export,
            Some(TraceExport {
                endpoint: "http://traces:4317".to_owned(),
                service_name: Some("events-eu".to_owned()),
            })
        );
    }

    #[test]
    fn the_standard_switches_turn_export_off() {
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317");
        assert_eq!(export(&[endpoint, ("OTEL_SDK_DISABLED", "TRUE")]), None);
        assert_eq!(export(&[endpoint, ("OTEL_TRACES_EXPORTER", "none")]), None);
        assert!(export(&[endpoint, ("OTEL_SDK_DISABLED", "false")]).is_some());
    }

    #[test]
    fn without_an_exporter_the_callers_trace_is_kept() {
        let caller = TraceContext::parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        let span = tracing::info_span!("call");
        assert_eq!(
            join_trace(&span, caller.clone()),
            caller.clone().unwrap_or_else(TraceContext::start)
        );
        let started = join_trace(&span, None);
        assert_eq!(started.trace_id.len(), 32);
        assert_ne!(Some(started), caller);
    }
}
