//! Helpers for the end-to-end tests: the whole suite in one process (through the `jalia`
//! crate, the composition root), tokens, clients, and raw HTTP/2 and gRPC-Web calls for
//! checks that generated clients would hide (exact trailers, CORS).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use http_body_util::{BodyExt, Full};
use jalia::up::{Suite, SuiteOptions};
use jalia_db::Backend;
use jalia_db::testing::{POSTGRES_URL_ENV, TestDatabase};
use tonic::transport::{Channel, Endpoint};

/// A running suite and its data folder (removed when dropped).
#[derive(Debug)]
pub struct TestSuite {
    /// The suite.
    pub suite: Suite,
    /// Its data folder.
    pub data: tempfile::TempDir,
    /// The backends' PostgreSQL databases when the run uses PostgreSQL (dropped with the
    /// suite); empty on SQLite, where each backend has a file in the data folder.
    pub databases: Vec<TestDatabase>,
}

/// The backends that own a database.
const BACKENDS: [&str; 3] = ["events", "services-catalog", "inquiries"];

impl TestSuite {
    /// Starts the suite with demo data, tuning the gateway if asked. On the run's
    /// backend: a fresh PostgreSQL database per service when `JALIA_TEST_POSTGRES_URL`
    /// is set (an unreachable URL fails), else SQLite files.
    pub async fn start(tune: Option<fn(&mut jalia_gateway::Config)>) -> Self {
        Self::start_with(|options| options.gateway = tune).await
    }

    /// Starts the suite with demo data and the options `configure` changes (whose data
    /// folder is already set, e.g. to write an inquiries calendar there).
    pub async fn start_with(configure: impl FnOnce(&mut SuiteOptions)) -> Self {
        let data = tempfile::tempdir().unwrap();
        let mut options = SuiteOptions::new(data.path());
        options.demo = true;
        let mut databases = Vec::new();
        let postgres = std::env::var(POSTGRES_URL_ENV).ok();
        if let Some(admin) = postgres.filter(|url| !url.trim().is_empty()) {
            for backend in BACKENDS {
                let database = TestDatabase::postgres(&admin).await.unwrap();
                options
                    .database_urls
                    .insert(backend, database.config().url().to_owned());
                databases.push(database);
            }
        }
        configure(&mut options);
        let suite = Suite::start(options).await.unwrap();
        Self {
            suite,
            data,
            databases,
        }
    }

    /// The backend the suite's services store their data in.
    pub fn backend(&self) -> Backend {
        self.databases
            .first()
            .map_or(Backend::Sqlite, TestDatabase::backend)
    }

    /// A channel to the gateway.
    pub async fn gateway(&self) -> Channel {
        channel(self.suite.gateway).await
    }

    /// A development token for an agency and scopes.
    pub fn token(&self, subject: &str, agency: &str, scopes: &[&str]) -> String {
        jalia::dev_token(
            &jalia::dev_auth(&self.data.path().canonicalize().unwrap()),
            subject,
            agency,
            scopes,
            Duration::from_secs(3600),
        )
        .unwrap()
    }
}

/// A channel to an address.
pub async fn channel(address: SocketAddr) -> Channel {
    Endpoint::from_shared(format!("http://{address}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap()
}

/// A request with a bearer token.
pub fn with_token<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

fn frame(message: &impl prost::Message) -> Vec<u8> {
    frame_bytes(&message.encode_to_vec())
}

fn frame_bytes(payload: &[u8]) -> Vec<u8> {
    let mut framed = vec![0_u8];
    framed.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
    framed.extend_from_slice(payload);
    framed
}

/// A unary gRPC call over a bare HTTP/2 connection: the response headers and trailers
/// merged, as they came.
pub async fn raw_unary(
    address: SocketAddr,
    path: &str,
    message: &impl prost::Message,
    headers: &[(&str, String)],
) -> HeaderMap {
    raw_unary_bytes(address, path, &message.encode_to_vec(), headers).await
}

/// [`raw_unary`] with the message's bytes as given, framed but not encoded: for bytes no
/// encoder would produce.
pub async fn raw_unary_bytes(
    address: SocketAddr,
    path: &str,
    payload: &[u8],
    headers: &[(&str, String)],
) -> HeaderMap {
    let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tcp),
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    let mut request = http::Request::post(format!("http://{address}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = sender
        .send_request(
            request
                .body(Full::new(Bytes::from(frame_bytes(payload))))
                .unwrap(),
        )
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let mut merged = parts.headers;
    if let Some(trailers) = body.collect().await.unwrap().trailers() {
        merged.extend(trailers.clone());
    }
    merged
}

/// An HTTP/1.1 exchange (gRPC-Web, CORS preflight): status, headers, body.
pub async fn http1(
    address: SocketAddr,
    method: http::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (http::StatusCode, HeaderMap, Bytes) {
    let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(connection);
    let mut request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", address.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = sender
        .send_request(request.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.unwrap().to_bytes(),
    )
}

/// The gRPC-Web framing of one message.
pub fn grpc_web_body(message: &impl prost::Message) -> Vec<u8> {
    frame(message)
}

/// Headers-only gRPC calls (an empty message) to each path over one HTTP/2 connection,
/// many at once: how many answered with each `grpc-status`.
pub async fn raw_statuses(
    address: SocketAddr,
    paths: impl Iterator<Item = String>,
    headers: &[(&str, String)],
) -> BTreeMap<String, usize> {
    use futures_util::StreamExt;
    let tcp = tokio::net::TcpStream::connect(address).await.unwrap();
    let (sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tcp),
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    let answers = Mutex::new(BTreeMap::new());
    futures_util::stream::iter(paths)
        .for_each_concurrent(64, |path| {
            let mut sender = sender.clone();
            let answers = &answers;
            async move {
                let mut request = http::Request::post(format!("http://{address}{path}"))
                    .header("content-type", "application/grpc")
                    .header("te", "trailers");
                for (name, value) in headers {
                    request = request.header(*name, value);
                }
                let body = Full::new(Bytes::from_static(&[0, 0, 0, 0, 0]));
                let response = sender.send_request(request.body(body).unwrap()).await;
                let (parts, body) = response.unwrap().into_parts();
                let mut status = parts.headers;
                if let Some(trailers) = body.collect().await.unwrap().trailers() {
                    status.extend(trailers.clone());
                }
                let code = status
                    .get("grpc-status")
                    .map_or("none".to_owned(), |code| code.to_str().unwrap().to_owned());
                *answers.lock().unwrap().entry(code).or_insert(0) += 1;
            }
        })
        .await;
    answers.into_inner().unwrap()
}

/// `GET path` over HTTP/1.0 (an admin port's `/metrics`): the body.
pub async fn http_get(address: SocketAddr, path: &str) -> String {
    let (status, _, body) = http1(address, http::Method::GET, path, &[], Vec::new()).await;
    assert!(status.is_success(), "{path}: {status}");
    String::from_utf8(body.to_vec()).unwrap()
}

/// How many series a Prometheus exposition holds (its sample lines).
pub fn series(rendered: &str) -> usize {
    rendered
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .count()
}
