//! Logging: tracing, one JSON object per line in production and readable lines in
//! development. Every line logged while serving a call carries the call's `request_id`
//! and W3C `trace_id`, from the span the server opens around each call.

use tracing_subscriber::EnvFilter;

use crate::config::{ConfigError, LogFormat, LogSettings};

/// Installs the process-wide subscriber. A process runs several servers under `jalia up`
/// and tests build many: the first call installs, later ones keep it.
pub fn init(settings: &LogSettings) -> Result<(), ConfigError> {
    let filter = EnvFilter::try_new(&settings.filter).map_err(|err| ConfigError {
        setting: "--log / JALIA_LOG".to_owned(),
        problem: err.to_string(),
    })?;
    let installed = match settings.format {
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init(),
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init(),
    };
    if installed.is_err() {
        tracing::debug!("a log subscriber is installed already; keeping it");
    }
    Ok(())
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

    /// The `traceparent` header for a call this one makes, with a new span id.
    pub fn child_header(&self) -> String {
        let span: u64 = rand::random();
        format!(
            "00-{}-{:016x}-{:02x}",
            self.trace_id,
            span.max(1),
            self.flags
        )
    }
}
