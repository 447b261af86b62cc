//! Plain HTTP beside gRPC on one port: requests under a path prefix go to a service of
//! their own (the gateway's calendar feeds, which calendar clients fetch with a GET, and
//! its REST/JSON API), after the same admission check as calls; everything else goes on
//! to the gate and the gRPC routes unchanged. A gRPC path always starts with a package
//! name, so a prefix such as `/calendar/` or `/v1/` can never shadow one.
//!
//! A service that turns its requests into gRPC calls (REST transcoding) finds a
//! [`Loopback`] in each request's extensions: the server's own gRPC stack, gate included,
//! so such a call is authenticated, scoped, limited and timed exactly as a gRPC caller's.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderValue, StatusCode, header};
use tonic::Status;
use tonic::body::Body;
use tower::util::{BoxCloneSyncService, ServiceExt};

use super::gate::Admission;

/// A plain-HTTP service and the path prefix it answers under.
#[derive(Clone)]
pub struct HttpRoutes {
    /// The prefix, starting with `/`, e.g. `/calendar/` (or a whole path such as
    /// `/openapi.json`).
    pub prefix: &'static str,
    /// What answers those requests.
    pub service: BoxCloneSyncService<http::Request<Body>, http::Response<Body>, Infallible>,
    /// How the service words the admission check's refusal (a JSON API answers JSON);
    /// `None`: a short text. Either way 429 with Retry-After.
    pub refusal: Option<fn(&Status) -> http::Response<Body>>,
}

impl std::fmt::Debug for HttpRoutes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRoutes")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

type GrpcStack = BoxCloneSyncService<http::Request<Body>, http::Response<Body>, Infallible>;

/// The server's gRPC stack (the gate, then the routes), for an HTTP service that makes
/// gRPC calls of its requests: found in every request the split hands to one.
#[derive(Clone)]
pub struct Loopback(GrpcStack);

impl Loopback {
    /// Serves one gRPC call as if it had come over the wire, except that the admission
    /// check already counted the HTTP request it came from.
    pub async fn call(&self, mut request: http::Request<Body>) -> http::Response<Body> {
        request.extensions_mut().insert(Admitted);
        match self.0.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

impl std::fmt::Debug for Loopback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loopback").finish_non_exhaustive()
    }
}

/// Marks a call the admission check already let in (so the gate does not count it twice).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Admitted;

/// Builds [`Split`]s.
#[derive(Clone)]
pub(crate) struct SplitLayer {
    pub(crate) routes: Vec<HttpRoutes>,
    pub(crate) admission: Option<Arc<dyn Admission>>,
}

impl<S> tower::Layer<S> for SplitLayer {
    type Service = Split<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Split {
            inner,
            layer: self.clone(),
        }
    }
}

/// Sends requests under the prefix to the HTTP service, the rest to `inner`.
#[derive(Clone)]
pub(crate) struct Split<S> {
    inner: S,
    layer: SplitLayer,
}

impl<S> tower::Service<http::Request<Body>> for Split<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        let path = request.uri().path();
        let Some(routes) = self
            .layer
            .routes
            .iter()
            .find(|routes| path.starts_with(routes.prefix))
        else {
            return Box::pin(self.inner.call(request));
        };
        if let Some(admission) = &self.layer.admission
            && let Err(status) = admission.admit(&mut request)
        {
            let mut response = match routes.refusal {
                Some(word) => word(&status),
                None => plain(StatusCode::TOO_MANY_REQUESTS, status.message()),
            };
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            if !response.headers().contains_key(header::RETRY_AFTER) {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            return Box::pin(std::future::ready(Ok(response)));
        }
        request
            .extensions_mut()
            .insert(Loopback(BoxCloneSyncService::new(self.inner.clone())));
        Box::pin(routes.service.clone().oneshot(request))
    }
}

/// A short plain-text answer.
pub(crate) fn plain(status: StatusCode, text: &str) -> http::Response<Body> {
    let mut response = http::Response::new(Body::new(http_body_util::Full::new(
        bytes::Bytes::from(format!("{text}\n")),
    )));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tower::Layer;

    struct Refuse;

    impl Admission for Refuse {
        fn admit(&self, _: &mut http::Request<Body>) -> Result<(), Status> {
            Err(Status::resource_exhausted(
                "too many calls from this caller",
            ))
        }
    }

    fn answering(
        status: StatusCode,
    ) -> BoxCloneSyncService<http::Request<Body>, http::Response<Body>, Infallible> {
        BoxCloneSyncService::new(tower::service_fn(move |_| async move {
            Ok::<_, Infallible>(plain(status, "answered"))
        }))
    }

    fn get(path: &str) -> http::Request<Body> {
        http::Request::get(path).body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn the_prefix_goes_to_http_after_admission_the_rest_to_grpc() {
        let routes = HttpRoutes {
            prefix: "/calendar/",
            service: answering(StatusCode::OK),
            refusal: None,
        };
        let grpc = answering(StatusCode::IM_A_TEAPOT);
        let open = SplitLayer {
            routes: vec![routes.clone()],
            admission: None,
        }
        .layer(grpc.clone());
        let status = |response: http::Response<Body>| response.status();
        assert_eq!(
            status(
                open.clone()
                    .oneshot(get("/calendar/agencies/bm.ics"))
                    .await
                    .unwrap()
            ),
            StatusCode::OK
        );
        for grpc_path in [
            "/jalia.events.v1.EventService/GetEvent",
            "/calendar",
            "/calendarx/",
        ] {
            assert_eq!(
                status(open.clone().oneshot(get(grpc_path)).await.unwrap()),
                StatusCode::IM_A_TEAPOT,
                "{grpc_path}"
            );
        }
        let closed = SplitLayer {
            routes: vec![routes],
            admission: Some(Arc::new(Refuse)),
        }
        .layer(grpc);
        let refused = closed
            .clone()
            .oneshot(get("/calendar/agencies/bm.ics"))
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.headers().contains_key(header::RETRY_AFTER));
        // The gate, not this split, admits gRPC calls.
        assert_eq!(
            status(
                closed
                    .oneshot(get("/jalia.events.v1.EventService/GetEvent"))
                    .await
                    .unwrap()
            ),
            StatusCode::IM_A_TEAPOT
        );
    }
}
