//! Forwarding one backend's calls: the path must be an RPC of that backend's contract
//! (else UNIMPLEMENTED, never forwarded), a caller with a token within its subject's rate
//! (every call was counted against its address at the door already), then the call goes
//! to one of the backend's pods with the caller's deadline (never extended), request id
//! and trace context; status, details and trailers come back untouched, streams included.

use std::convert::Infallible;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http::HeaderValue;
use jalia_model::Caller;
use jalia_proto::AccessRules;
use jalia_runtime::server::{Deadline, REQUEST_ID_HEADER, RequestContext};

use crate::backend::Backend;
use crate::door::rate_limited;
use tonic::body::Body;
use tonic::server::NamedService;
use tower::Service;

/// Calls per second and burst allowed to one caller (a subject, or an address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateSettings {
    /// Sustained calls per second.
    pub per_second: NonZeroU32,
    /// Calls allowed at once above the sustained rate.
    pub burst: NonZeroU32,
}

/// One limiter for the whole gateway replica, keyed by the token's subject. Limits are per
/// replica.
pub(crate) type CallerLimiter = DefaultKeyedRateLimiter<String>;

/// A limiter for these settings.
pub(crate) fn limiter(settings: RateSettings) -> Arc<CallerLimiter> {
    Arc::new(RateLimiter::keyed(
        Quota::per_second(settings.per_second).allow_burst(settings.burst),
    ))
}

/// What forwarding to one backend needs.
#[derive(Debug)]
pub(crate) struct Forward {
    /// The backend's service name, for logs.
    pub service: &'static str,
    /// Its pods.
    pub backend: Backend,
    /// Its RPCs.
    pub rules: AccessRules,
    /// The shared per-caller limiter.
    pub limiter: Arc<CallerLimiter>,
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

async fn forward(
    config: Arc<Forward>,
    mut request: http::Request<Body>,
) -> Result<http::Response<Body>, Infallible> {
    if config.rules.get(request.uri().path()).is_none() {
        return Ok(tonic::Status::unimplemented(format!(
            "{} is not a method of {}",
            request.uri().path(),
            config.service
        ))
        .into_http());
    }
    if let Some(caller) = request.extensions().get::<Caller>()
        && let Err(not_until) = config.limiter.check_key(&caller.subject)
    {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        tracing::debug!(backend = config.service, "caller over its rate");
        return Ok(rate_limited(wait).into_http());
    }
    let deadline = request.extensions().get::<Deadline>().copied();
    let context = request.extensions().get::<RequestContext>().cloned();
    let headers = request.headers_mut();
    if let Some(deadline) = deadline {
        // The backend gets what is left of the caller's time, never more.
        let millis = deadline.remaining().as_millis().clamp(1, 99_999_999);
        if let Ok(value) = HeaderValue::from_str(&format!("{millis}m")) {
            headers.insert("grpc-timeout", value);
        }
    }
    if let Some(context) = context {
        if let Ok(value) = HeaderValue::from_str(&context.request_id) {
            headers.insert(REQUEST_ID_HEADER, value);
        }
        if let Ok(value) = HeaderValue::from_str(&context.trace.child_header()) {
            headers.insert("traceparent", value);
        }
    }
    Ok(config.backend.forward(request).await)
}

macro_rules! proxy {
    ($(#[$doc:meta])* $name:ident, $service:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub(crate) struct $name(pub(crate) Arc<Forward>);

        impl NamedService for $name {
            const NAME: &'static str = $service;
        }

        impl Service<http::Request<Body>> for $name {
            type Response = http::Response<Body>;
            type Error = Infallible;
            type Future = BoxFuture<Result<Self::Response, Infallible>>;

            fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
                Poll::Ready(Ok(()))
            }

            fn call(&mut self, request: http::Request<Body>) -> Self::Future {
                Box::pin(forward(self.0.clone(), request))
            }
        }
    };
}

proxy!(
    /// Forwards `jalia.events.v1.EventService`.
    EventsProxy,
    jalia_proto::service_names::EVENTS
);
proxy!(
    /// Forwards `jalia.catalog.v1.CatalogService`.
    CatalogProxy,
    jalia_proto::service_names::CATALOG
);
proxy!(
    /// Forwards `jalia.inquiries.v1.InquiryService`.
    InquiriesProxy,
    jalia_proto::service_names::INQUIRIES
);
