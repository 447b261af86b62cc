//! Calls to one backend, spread over its pods. The backend's host is resolved again and
//! again (a Kubernetes headless Service answers with one address per ready pod), so pods
//! that come and go join and leave without a restart.
//!
//! Each pod gets one HTTP/2 connection, dialled on first use and dialled again once it
//! closes: backends cap a connection's age and then send GOAWAY, and a pod that stops
//! answering pings is dropped. A call goes straight from the caller's stream onto that
//! connection, with no queue or balancer task in between: at one call in flight, every hop
//! between tasks is latency a proxy adds (ARCHITECTURE.md §3, the gateway).

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::fmt;
use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::FutureExt;
use h2::client::SendRequest;
use h2::{Ping, Reason, RecvStream, SendStream};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderMap, HeaderName, Uri, header};
use http_body::{Body as _, Frame};
use http_body_util::BodyExt;
use jalia_runtime::{ApiError, ErrorCode, reasons};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tonic::body::Body;
use url::Url;

/// Stream and connection windows as hyper's client opens them, so long lists and rosters
/// stream at the link's speed rather than the protocol's 64 KiB default.
const STREAM_WINDOW: u32 = 2 * 1024 * 1024;
const CONNECTION_WINDOW: u32 = 5 * 1024 * 1024;
/// Request bytes handed to the connection as soon as they are there, without waiting for
/// the backend's flow-control credit: a unary call's message goes out from the caller's own
/// task. The budget is the window every stream starts with, so the buffering it allows is
/// what HTTP/2 allows anyway.
const INLINE_BYTES: usize = 65_535;
/// Pings on every connection, busy or idle: a pod that vanished without closing its
/// sockets (a node lost) is noticed within a minute rather than at the TCP timeout.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);
/// A pod that could not be dialled is passed over for this long while another pod can take
/// the call.
const DIAL_FAILURE_PAUSE: Duration = Duration::from_secs(1);

/// How to reach one backend.
#[derive(Debug, Clone)]
pub struct BackendTarget {
    /// `http://events:50051` or `https://…`.
    pub url: Url,
    /// The CA that signs the backend's certificate, for `https` URLs.
    pub ca_pem: Option<Vec<u8>>,
    /// Bound on connecting to one pod.
    pub connect_timeout: Duration,
}

/// Why a backend target was refused.
#[derive(Debug, thiserror::Error)]
#[error("backend {url}: {problem}")]
pub struct BackendError {
    /// The URL.
    pub url: String,
    /// What is wrong.
    pub problem: String,
}

/// One backend's pods and their connections; cheap to clone. As a tower service it answers
/// every request with the backend's response, or an UNAVAILABLE status when no pod takes
/// the call, so generated clients (the calendars', the health checks') use it as they
/// would a channel.
#[derive(Clone)]
pub(crate) struct Backend {
    shared: Arc<Shared>,
}

struct Shared {
    service: &'static str,
    url: String,
    host: String,
    port: u16,
    scheme: Scheme,
    authority: Authority,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    connect_timeout: Duration,
    ready_timeout: Duration,
    pods: RwLock<Arc<[Arc<Pod>]>>,
    next: AtomicUsize,
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backend")
            .field("service", &self.shared.service)
            .field("url", &self.shared.url)
            .finish_non_exhaustive()
    }
}

/// One pod: its address and, once dialled, its connection.
struct Pod {
    address: SocketAddr,
    live: Mutex<Option<Live>>,
    dialling: tokio::sync::Mutex<()>,
    failed_at: Mutex<Option<Instant>>,
}

/// An open connection's handle, and whether the connection has ended.
#[derive(Clone)]
struct Live {
    send: SendRequest<Bytes>,
    closed: Arc<AtomicBool>,
}

impl Pod {
    fn new(address: SocketAddr) -> Self {
        Self {
            address,
            live: Mutex::new(None),
            dialling: tokio::sync::Mutex::new(()),
            failed_at: Mutex::new(None),
        }
    }

    fn current(&self) -> Option<Live> {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|live| !live.closed.load(Ordering::Acquire))
            .cloned()
    }

    fn recently_failed(&self) -> bool {
        self.failed_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|at| at.elapsed() < DIAL_FAILURE_PAUSE)
    }

    fn set_failed(&self, failed: bool) {
        *self
            .failed_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = failed.then(Instant::now);
    }

    /// The pod's open connection, dialled now if it has none; concurrent calls wait for
    /// one dial rather than each opening a connection.
    async fn connection(&self, shared: &Shared) -> std::io::Result<Live> {
        if let Some(live) = self.current() {
            return Ok(live);
        }
        let _dialling = self.dialling.lock().await;
        if let Some(live) = self.current() {
            return Ok(live);
        }
        match shared.dial(self.address).await {
            Ok(live) => {
                *self.live.lock().unwrap_or_else(PoisonError::into_inner) = Some(live.clone());
                self.set_failed(false);
                Ok(live)
            }
            Err(err) => {
                self.set_failed(true);
                tracing::warn!(backend = shared.service, pod = %self.address, error = %err, "backend pod cannot be dialled");
                Err(err)
            }
        }
    }
}

impl Backend {
    /// A backend with no pods yet: [`Backend::refresh`] finds them, and so does the first
    /// call.
    pub(crate) fn new(
        service: &'static str,
        target: &BackendTarget,
        ready_timeout: Duration,
    ) -> Result<Self, BackendError> {
        let error = |problem: &str| BackendError {
            url: target.url.to_string(),
            problem: problem.to_owned(),
        };
        let scheme = match target.url.scheme() {
            "http" => Scheme::HTTP,
            "https" => Scheme::HTTPS,
            _ => return Err(error("must be an http:// or https:// URL")),
        };
        let host = target
            .url
            .host_str()
            .ok_or_else(|| error("has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = target
            .url
            .port_or_known_default()
            .ok_or_else(|| error("has no port"))?;
        let authority = target
            .url
            .host_str()
            .map(|host| format!("{host}:{port}"))
            .and_then(|authority| authority.parse::<Authority>().ok())
            .ok_or_else(|| error("has no usable host and port"))?;
        let tls = if scheme == Scheme::HTTPS {
            Some(
                tls_connector(&host, target.ca_pem.as_deref())
                    .map_err(|problem| error(&problem))?,
            )
        } else {
            None
        };
        Ok(Self {
            shared: Arc::new(Shared {
                service,
                url: target.url.to_string(),
                host,
                port,
                scheme,
                authority,
                tls,
                connect_timeout: target.connect_timeout,
                ready_timeout,
                pods: RwLock::new(Arc::from(Vec::new())),
                next: AtomicUsize::new(0),
            }),
        })
    }

    /// The pods as last resolved.
    fn pods(&self) -> Arc<[Arc<Pod>]> {
        self.shared
            .pods
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Resolves the host and brings the pods up to date. With `reconnect`, pods whose dial
    /// failed are tried again at once, so a backend that was down is back at its first
    /// call.
    pub(crate) async fn refresh(&self, reconnect: bool) {
        let shared = &self.shared;
        let resolved: BTreeSet<SocketAddr> = match tokio::net::lookup_host((
            shared.host.as_str(),
            shared.port,
        ))
        .await
        {
            Ok(addresses) => addresses.collect(),
            Err(err) => {
                tracing::warn!(backend = shared.service, error = %err, "backend name does not resolve");
                return;
            }
        };
        let mut pods = shared.pods.write().unwrap_or_else(PoisonError::into_inner);
        let mut kept = Vec::with_capacity(resolved.len());
        for pod in pods.iter() {
            if resolved.contains(&pod.address) {
                if reconnect {
                    pod.set_failed(false);
                }
                kept.push(pod.clone());
            } else {
                // Calls on its connection finish; the connection closes with the last.
                tracing::info!(backend = shared.service, pod = %pod.address, "backend pod left the balance");
            }
        }
        for address in &resolved {
            if !kept.iter().any(|pod| pod.address == *address) {
                tracing::info!(backend = shared.service, pod = %address, "backend pod joined the balance");
                kept.push(Arc::new(Pod::new(*address)));
            }
        }
        *pods = Arc::from(kept);
    }

    /// The next pod in turn, passing over those that just failed to dial while another
    /// one is left.
    fn pick(&self, pods: &[Arc<Pod>]) -> Option<Arc<Pod>> {
        let start = self.shared.next.fetch_add(1, Ordering::Relaxed);
        let turn = |offset: usize| pods.get(start.wrapping_add(offset) % pods.len().max(1));
        (0..pods.len())
            .filter_map(turn)
            .find(|pod| !pod.recently_failed())
            .or_else(|| turn(0))
            .cloned()
    }

    /// A connection ready for one more stream. Tries as many times as there are pods, plus
    /// once, so a connection that has just been told to go away (GOAWAY) is replaced rather
    /// than failing the call.
    async fn ready_connection(&self) -> Option<(SendRequest<Bytes>, SocketAddr)> {
        let mut pods = self.pods();
        if pods.is_empty() {
            self.refresh(false).await;
            pods = self.pods();
        }
        for _ in 0..=pods.len() {
            let pod = self.pick(&pods)?;
            let Ok(live) = pod.connection(&self.shared).await else {
                continue;
            };
            match live.send.ready().await {
                Ok(send) => return Some((send, pod.address)),
                Err(err) => {
                    live.closed.store(true, Ordering::Release);
                    tracing::debug!(backend = self.shared.service, pod = %pod.address, error = %err, "backend connection refuses new calls; dialling again");
                }
            }
        }
        None
    }

    /// Sends one call to a pod and answers with the pod's response (status, details and
    /// trailers untouched, streams included), or UNAVAILABLE if no pod takes it within the
    /// ready timeout.
    pub(crate) async fn forward(&self, request: http::Request<Body>) -> http::Response<Body> {
        let (parts, body) = request.into_parts();
        let head = self.head(parts);
        let Some((mut send, pod)) = self.ready().await else {
            return self.unavailable();
        };
        let end = body.is_end_stream();
        let (response, stream) = match send.send_request(copy_head(&head), end) {
            Ok(sent) => sent,
            Err(err) => {
                tracing::warn!(backend = self.shared.service, pod = %pod, error = %err, "backend call failed");
                return self.unavailable();
            }
        };
        let sent_whole = if end {
            Some(Vec::new())
        } else {
            send_body(body, stream)
        };
        let failure = match response.await {
            Ok(response) => return relayed(response),
            Err(failure) => failure,
        };
        // A pod closing a connection (at its maximum age) refuses the streams it will not
        // serve; those were not processed, so a request sent whole goes once more, on a
        // fresh connection.
        if let Some(chunks) = sent_whole.filter(|_| refused_unprocessed(&failure)) {
            tracing::debug!(backend = self.shared.service, pod = %pod, "backend refused the call unprocessed; sending it again");
            if let Some((mut send, pod)) = self.ready().await {
                match send.send_request(head, chunks.is_empty()) {
                    Ok((response, stream)) => {
                        send_chunks(stream, chunks);
                        match response.await {
                            Ok(response) => return relayed(response),
                            Err(err) => {
                                tracing::warn!(backend = self.shared.service, pod = %pod, error = %err, "backend call failed");
                            }
                        }
                    }
                    Err(err) => {
                        tracing::warn!(backend = self.shared.service, pod = %pod, error = %err, "backend call failed");
                    }
                }
            }
            return self.unavailable();
        }
        tracing::warn!(backend = self.shared.service, pod = %pod, error = %failure, "backend call failed");
        self.unavailable()
    }

    /// A connection ready for one more stream, within the ready timeout.
    async fn ready(&self) -> Option<(SendRequest<Bytes>, SocketAddr)> {
        let ready = tokio::time::timeout(self.shared.ready_timeout, self.ready_connection());
        let found = ready.await.ok().flatten();
        if found.is_none() {
            tracing::warn!(backend = self.shared.service, "no backend pod ready");
        }
        found
    }

    /// The request as the pod gets it: its URI absolute on the backend's authority, and
    /// without the headers HTTP/2 forbids (a gRPC-Web or REST call arrives over HTTP/1.1
    /// with some of them).
    fn head(&self, parts: http::request::Parts) -> http::Request<()> {
        let mut head = http::Request::from_parts(parts, ());
        let path = head
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        if let Ok(uri) = Uri::builder()
            .scheme(self.shared.scheme.clone())
            .authority(self.shared.authority.clone())
            .path_and_query(path)
            .build()
        {
            *head.uri_mut() = uri;
        }
        *head.version_mut() = http::Version::HTTP_2;
        strip_connection_headers(head.headers_mut());
        head
    }

    fn unavailable(&self) -> http::Response<Body> {
        tonic::Status::from(ApiError::new(
            ErrorCode::Unavailable,
            reasons::BACKEND_UNAVAILABLE,
            format!("{} is unavailable; retry later", self.shared.service),
        ))
        .into_http()
    }
}

impl Shared {
    async fn dial(&self, address: SocketAddr) -> std::io::Result<Live> {
        let timed_out = || std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out");
        let tcp = tokio::time::timeout(self.connect_timeout, TcpStream::connect(address))
            .await
            .map_err(|_| timed_out())??;
        tcp.set_nodelay(true)?;
        match &self.tls {
            None => handshake(tcp, self.service, address).await,
            Some((connector, name)) => {
                let tls = tokio::time::timeout(
                    self.connect_timeout,
                    connector.connect(name.clone(), tcp),
                )
                .await
                .map_err(|_| timed_out())??;
                handshake(tls, self.service, address).await
            }
        }
    }
}

/// Opens HTTP/2 on a connected socket and drives the connection on its own task.
async fn handshake<T>(io: T, service: &'static str, address: SocketAddr) -> std::io::Result<Live>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (send, mut connection) = h2::client::Builder::new()
        .initial_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .enable_push(false)
        .handshake::<T, Bytes>(io)
        .await
        .map_err(std::io::Error::other)?;
    let closed = Arc::new(AtomicBool::new(false));
    let pings = connection.ping_pong();
    let ended = closed.clone();
    tokio::spawn(async move {
        tokio::select! {
            outcome = &mut connection => {
                if let Err(err) = outcome {
                    tracing::debug!(backend = service, pod = %address, error = %err, "backend connection ended");
                }
            }
            () = keep_alive(pings) => {
                tracing::warn!(backend = service, pod = %address, "backend pod stopped answering pings; connection dropped");
            }
        }
        ended.store(true, Ordering::Release);
    });
    Ok(Live { send, closed })
}

/// Returns when a ping goes unanswered; never, on a connection that cannot ping.
async fn keep_alive(pings: Option<h2::PingPong>) {
    let Some(mut pings) = pings else {
        return std::future::pending().await;
    };
    loop {
        tokio::time::sleep(KEEPALIVE_INTERVAL).await;
        let pong = tokio::time::timeout(KEEPALIVE_TIMEOUT, pings.ping(Ping::opaque())).await;
        if !matches!(pong, Ok(Ok(_))) {
            return;
        }
    }
}

/// Headers that belong to one hop (RFC 9113 §8.2.2): HTTP/2 refuses them, and a proxy
/// never passes them on.
fn strip_connection_headers(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        header::CONNECTION,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
        header::HOST,
        HeaderName::from_static("keep-alive"),
        HeaderName::from_static("proxy-connection"),
    ] {
        headers.remove(name);
    }
    if headers
        .get(header::TE)
        .is_some_and(|value| value.as_bytes() != b"trailers")
    {
        headers.remove(header::TE);
    }
}

/// Sends the request body: what is already there right now (a unary call's whole message,
/// usually) from the calling task, the rest from a task of its own that follows the
/// backend's flow control. Returns the body's pieces when it was all sent from here and
/// ended without trailers: then it can be sent again.
fn send_body(mut body: Body, mut stream: SendStream<Bytes>) -> Option<Vec<Bytes>> {
    let mut sent: Vec<Bytes> = Vec::new();
    let mut inline = 0;
    loop {
        let Some(frame) = body.frame().now_or_never() else {
            tokio::spawn(send_rest(body, stream, None));
            return None;
        };
        let ended_plainly = frame.is_none();
        let Some(data) = data_or_end(&mut stream, frame) else {
            return ended_plainly.then_some(sent);
        };
        if inline + data.len() > INLINE_BYTES {
            tokio::spawn(send_rest(body, stream, Some(data)));
            return None;
        }
        inline += data.len();
        let end = body.is_end_stream();
        sent.push(data.clone());
        if stream.send_data(data, end).is_err() {
            return None;
        }
        if end {
            return Some(sent);
        }
    }
}

/// Sends a body already read whole (at most [`INLINE_BYTES`]).
fn send_chunks(mut stream: SendStream<Bytes>, chunks: Vec<Bytes>) {
    let last = chunks.len().saturating_sub(1);
    for (index, chunk) in chunks.into_iter().enumerate() {
        if stream.send_data(chunk, index == last).is_err() {
            return;
        }
    }
}

/// Whether the pod said it did not process the stream: refused outright, or beyond the
/// last stream a graceful GOAWAY promised to serve.
fn refused_unprocessed(error: &h2::Error) -> bool {
    error.reason() == Some(Reason::REFUSED_STREAM)
        || (error.is_go_away() && error.is_remote() && error.reason() == Some(Reason::NO_ERROR))
}

/// The pod's response, its body relayed as it arrives.
fn relayed(response: http::Response<RecvStream>) -> http::Response<Body> {
    response.map(|received| Body::new(Relayed::new(received)))
}

/// A copy of a request's head, to send it again.
fn copy_head(head: &http::Request<()>) -> http::Request<()> {
    let mut copy = http::Request::new(());
    *copy.method_mut() = head.method().clone();
    *copy.uri_mut() = head.uri().clone();
    *copy.version_mut() = head.version();
    *copy.headers_mut() = head.headers().clone();
    copy
}

/// The rest of a request body, as the backend's flow control lets it through; stops when
/// the backend resets the stream.
async fn send_rest(mut body: Body, mut stream: SendStream<Bytes>, pending: Option<Bytes>) {
    if let Some(data) = pending
        && send_within_window(&mut stream, data).await.is_err()
    {
        return;
    }
    loop {
        let frame = tokio::select! {
            frame = body.frame() => frame,
            _ = poll_fn(|cx| stream.poll_reset(cx)) => return,
        };
        let Some(data) = data_or_end(&mut stream, frame) else {
            return;
        };
        if send_within_window(&mut stream, data).await.is_err() {
            return;
        }
    }
}

/// A body frame's data to send; or, when the frame ends the body (its end, its trailers
/// or its failure), None, once the stream has been ended to match.
fn data_or_end(
    stream: &mut SendStream<Bytes>,
    frame: Option<Result<Frame<Bytes>, tonic::Status>>,
) -> Option<Bytes> {
    match frame.map(|frame| frame.map(Frame::into_data)) {
        Some(Ok(Ok(data))) => Some(data),
        Some(Ok(Err(frame))) => {
            let _ = match frame.into_trailers() {
                Ok(trailers) => stream.send_trailers(trailers),
                Err(_) => stream.send_data(Bytes::new(), true),
            };
            None
        }
        None => {
            let _ = stream.send_data(Bytes::new(), true);
            None
        }
        Some(Err(_)) => {
            stream.send_reset(Reason::CANCEL);
            None
        }
    }
}

/// Sends `data` in pieces no larger than the credit the backend has granted.
async fn send_within_window(
    stream: &mut SendStream<Bytes>,
    mut data: Bytes,
) -> Result<(), h2::Error> {
    while !data.is_empty() {
        stream.reserve_capacity(data.len());
        let granted = match poll_fn(|cx| stream.poll_capacity(cx)).await {
            Some(granted) => granted?,
            None => return Err(h2::Error::from(Reason::CANCEL)),
        };
        if granted == 0 {
            continue;
        }
        let piece = data.split_to(granted.min(data.len()));
        stream.send_data(piece, false)?;
    }
    Ok(())
}

/// The backend's response body as the caller's: data as it arrives (its flow-control
/// credit given back as it is passed on), then the trailers.
struct Relayed {
    received: RecvStream,
    data_done: bool,
    finished: bool,
}

impl Relayed {
    fn new(received: RecvStream) -> Self {
        Self {
            received,
            data_done: false,
            finished: false,
        }
    }
}

impl http_body::Body for Relayed {
    type Data = Bytes;
    type Error = h2::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, h2::Error>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        if !self.data_done {
            match ready!(self.received.poll_data(cx)) {
                Some(Ok(data)) => {
                    let _ = self.received.flow_control().release_capacity(data.len());
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Some(Err(err)) => {
                    self.finished = true;
                    return Poll::Ready(Some(Err(err)));
                }
                None => self.data_done = true,
            }
        }
        let trailers = ready!(self.received.poll_trailers(cx));
        self.finished = true;
        Poll::Ready(match trailers {
            Ok(Some(trailers)) => Some(Ok(Frame::trailers(trailers))),
            Ok(None) => None,
            Err(err) => Some(Err(err)),
        })
    }

    fn is_end_stream(&self) -> bool {
        self.finished || self.received.is_end_stream()
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl tower::Service<http::Request<Body>> for Backend {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let backend = self.clone();
        Box::pin(async move { Ok(backend.forward(request).await) })
    }
}

/// TLS to the backend's pods: their certificates must chain to the given CA and name the
/// backend's host; HTTP/2 is negotiated by ALPN.
fn tls_connector(
    host: &str,
    ca_pem: Option<&[u8]>,
) -> Result<(TlsConnector, ServerName<'static>), String> {
    let ca_pem =
        ca_pem.ok_or("an https backend needs the CA of its certificates (--backend-ca-file)")?;
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(ca_pem) {
        let certificate = certificate.map_err(|err| format!("the backend CA file: {err}"))?;
        roots
            .add(certificate)
            .map_err(|err| format!("the backend CA file: {err}"))?;
    }
    if roots.is_empty() {
        return Err("the backend CA file holds no certificate".to_owned());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| err.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| format!("`{host}` is not a name a certificate can hold"))?;
    Ok((TlsConnector::from(Arc::new(config)), name))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hop_by_hop_headers_are_not_passed_on() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("connection", "keep-alive, x-hop"),
            ("keep-alive", "timeout=5"),
            ("x-hop", "1"),
            ("host", "gateway:50050"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "h2c"),
            ("proxy-connection", "close"),
            ("te", "gzip"),
            ("content-type", "application/grpc"),
            ("authorization", "Bearer x"),
        ] {
            headers.append(name, value.parse().unwrap());
        }
        strip_connection_headers(&mut headers);
        let mut left: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        left.sort_unstable();
        assert_eq!(left, ["authorization", "content-type"]);
        let mut grpc = HeaderMap::new();
        grpc.insert(header::TE, "trailers".parse().unwrap());
        strip_connection_headers(&mut grpc);
        assert_eq!(grpc.get(header::TE).unwrap(), "trailers");
    }

    #[test]
    fn https_backends_need_a_ca_that_holds_a_certificate() {
        let target = |url: &str, ca: Option<&[u8]>| BackendTarget {
            url: url.parse().unwrap(),
            ca_pem: ca.map(<[u8]>::to_vec),
            connect_timeout: Duration::from_secs(1),
        };
        let no_ca = Backend::new(
            "events",
            &target("https://events:50051", None),
            Duration::ZERO,
        );
        assert!(no_ca.unwrap_err().problem.contains("--backend-ca-file"));
        let empty = Backend::new(
            "events",
            &target("https://events:50051", Some(b"not a certificate")),
            Duration::ZERO,
        );
        assert!(empty.is_err());
        let other = Backend::new(
            "events",
            &target("grpc://events:50051", None),
            Duration::ZERO,
        );
        assert!(other.unwrap_err().problem.contains("http://"));
        assert!(
            Backend::new(
                "events",
                &target("http://events:50051", None),
                Duration::ZERO
            )
            .is_ok()
        );
    }
}
