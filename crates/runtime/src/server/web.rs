//! gRPC-Web for browsers: the HTTP/1.1 translation, and CORS that lets a page read the
//! gRPC status and message.

use http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The headers a browser page must be allowed to send and to read.
const ALLOWED: [&str; 8] = [
    "content-type",
    "x-grpc-web",
    "x-user-agent",
    "grpc-timeout",
    "authorization",
    "accept-language",
    "x-request-id",
    "traceparent",
];
const EXPOSED: [&str; 4] = [
    "grpc-status",
    "grpc-message",
    "grpc-status-details-bin",
    "x-request-id",
];

/// CORS for the given origins (`*` for any) and the gRPC-Web translation.
pub(super) fn layers(origins: &[String]) -> (CorsLayer, tonic_web::GrpcWebLayer) {
    let allow_origin = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok()),
        )
    };
    let cors = CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::POST, Method::OPTIONS])
        .allow_headers(ALLOWED.map(HeaderName::from_static))
        .expose_headers(EXPOSED.map(HeaderName::from_static))
        .max_age(std::time::Duration::from_secs(600));
    (cors, tonic_web::GrpcWebLayer::new())
}
