//! Plain HTTP beside gRPC on one port: requests under a path prefix go to a service of
//! their own (the gateway's calendar feeds, which calendar clients fetch with a GET),
//! after the same admission check as calls; everything else goes on to the gate and the
//! gRPC routes unchanged. A gRPC path always starts with a package name, so a prefix such
//! as `/calendar/` can never shadow one.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderValue, StatusCode, header};
use tonic::body::Body;
use tower::util::{BoxCloneSyncService, ServiceExt};

use super::gate::Admission;

/// A plain-HTTP service and the path prefix it answers under.
#[derive(Clone)]
pub struct HttpRoutes {
    /// The prefix, starting and ending with `/`, e.g. `/calendar/`.
    pub prefix: &'static str,
    /// What answers those requests.
    pub service: BoxCloneSyncService<http::Request<Body>, http::Response<Body>, Infallible>,
}

impl std::fmt::Debug for HttpRoutes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRoutes")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// Builds [`Split`]s.
#[derive(Clone)]
pub(crate) struct SplitLayer {
    pub(crate) routes: HttpRoutes,
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
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        if !request.uri().path().starts_with(self.layer.routes.prefix) {
            return Box::pin(self.inner.call(request));
        }
        if let Some(admission) = &self.layer.admission
            && let Err(status) = admission.admit(&mut request)
        {
            let mut response = plain(StatusCode::TOO_MANY_REQUESTS, status.message());
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return Box::pin(std::future::ready(Ok(response)));
        }
        Box::pin(self.layer.routes.service.clone().oneshot(request))
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
    use tonic::Status;
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
        };
        let grpc = answering(StatusCode::IM_A_TEAPOT);
        let open = SplitLayer {
            routes: routes.clone(),
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
            routes,
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
