//! TLS on every Jalia listener (ARCHITECTURE.md §3): a certificate and key from PEM files, re-read when
//! the files change so certificates rotate without a restart, and optional client
//! certificates (mutual TLS). [`incoming`] turns a bound listener into the connection stream
//! a tonic server serves, plain or TLS.
//!
//! tonic's own `ServerTlsConfig` is not used because it fixes the certificate at start-up.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::task::{Context, Poll, ready};
use std::time::{Duration, SystemTime};

use futures_util::Stream;
use rustls::crypto::CryptoProvider;
use rustls::server::danger::ClientCertVerifier;
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{InconsistentKeys, RootCertStore, ServerConfig};
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::Sleep;
use tokio_rustls::server::TlsStream;
use tonic::transport::server::{Connected, TcpConnectInfo};

/// Long enough for a slow mobile link, short enough that idle sockets opened by scanners or
/// attackers do not pile up.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accept errors other than a single connection failing (typically running out of file
/// descriptors) repeat at once if retried at once; a pause lets open connections finish.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_secs(1);

/// Connections accepted in one poll before yielding, so a flood of new connections cannot
/// starve the server task or the handshakes that have completed.
const ACCEPTS_PER_POLL: usize = 64;

/// gRPC needs HTTP/2; offering HTTP/1.1 would only let clients negotiate a protocol the
/// server then refuses.
const ALPN_H2: &[u8] = b"h2";

/// Where a listener's certificate, key and (optionally) client CA come from.
#[derive(Clone, Debug)]
pub struct TlsConfig {
    /// PEM certificate chain, end-entity certificate first.
    pub cert_file: PathBuf,
    /// PEM private key: PKCS#8, SEC1 or PKCS#1.
    pub key_file: PathBuf,
    /// When set, clients must present a certificate signed by a CA in this PEM file (mutual
    /// TLS); when unset, client certificates are not requested.
    pub client_ca_file: Option<PathBuf>,
}

/// Which of the [`TlsConfig`] files an error is about, so that callers can name their own
/// setting (an environment variable or flag) for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsFile {
    /// [`TlsConfig::cert_file`].
    Cert,
    /// [`TlsConfig::key_file`].
    Key,
    /// [`TlsConfig::client_ca_file`].
    ClientCa,
}

impl TlsFile {
    /// The name of the [`TlsConfig`] field holding this file's path.
    pub fn setting(self) -> &'static str {
        match self {
            Self::Cert => "cert_file",
            Self::Key => "key_file",
            Self::ClientCa => "client_ca_file",
        }
    }
}

impl fmt::Display for TlsFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Cert => "certificate file",
            Self::Key => "private key file",
            Self::ClientCa => "client ca file",
        })
    }
}

/// Why TLS could not be set up. Messages name the file and its path, never key material.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read (missing, unreadable).
    #[error("cannot read the tls {file} ({setting}) {path}: {error}", setting = file.setting(), path = path.display())]
    Read {
        /// Which file.
        file: TlsFile,
        /// The path that was tried.
        path: PathBuf,
        /// What the operating system said.
        error: io::Error,
    },
    /// A file was read but does not hold what it should.
    #[error("the tls {file} ({setting}) {path} is not usable: {reason}", setting = file.setting(), path = path.display())]
    Invalid {
        /// Which file.
        file: TlsFile,
        /// The path that was read.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The crypto provider refused the protocol versions: a build problem, not a setting.
    #[error("cannot set up tls: {0}")]
    Provider(rustls::Error),
}

impl TlsError {
    /// The file the error is about, when it is about one.
    pub fn file(&self) -> Option<TlsFile> {
        match self {
            Self::Read { file, .. } | Self::Invalid { file, .. } => Some(*file),
            Self::Provider(_) => None,
        }
    }

    /// The path of the file the error is about, when it is about one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Self::Read { path, .. } | Self::Invalid { path, .. } => Some(path),
            Self::Provider(_) => None,
        }
    }
}

/// Accepts TLS on a listener's connections, re-reading the certificate and key when their
/// files change (certificate rotation without restart). Each handshake compares the files'
/// metadata with what was last loaded (two `stat` calls) and reloads when it changed; if the
/// new files do not load, the previous certificate keeps being served and a warning is logged.
/// ALPN offers `h2` only. Cloning is cheap and clones share the loaded certificate.
#[derive(Clone)]
pub struct TlsAcceptor {
    config: Arc<ServerConfig>,
    certificates: Arc<Certificates>,
    client_ca_file: Option<PathBuf>,
}

impl TlsAcceptor {
    /// Loads the certificate, key and client CA named by `config`.
    pub fn new(config: &TlsConfig) -> Result<Self, TlsError> {
        // Explicit rather than the process default, which is ambiguous (and panics) when
        // another dependency also enables rustls' aws-lc backend.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certificates = Arc::new(Certificates::load(
            config.cert_file.clone(),
            config.key_file.clone(),
            Arc::clone(&provider),
        )?);

        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Provider)?;
        let builder = match &config.client_ca_file {
            None => builder.with_no_client_auth(),
            Some(path) => builder.with_client_cert_verifier(client_verifier(path, &provider)?),
        };
        let mut server_config = builder.with_cert_resolver(Arc::clone(&certificates) as _);
        server_config.alpn_protocols = vec![ALPN_H2.to_vec()];

        Ok(Self {
            config: Arc::new(server_config),
            certificates,
            client_ca_file: config.client_ca_file.clone(),
        })
    }

    async fn accept(&self, stream: TcpStream) -> io::Result<TlsStream<TcpStream>> {
        self.certificates.reload_if_changed();
        tokio_rustls::TlsAcceptor::from(Arc::clone(&self.config))
            .accept(stream)
            .await
    }
}

impl fmt::Debug for TlsAcceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsAcceptor")
            .field("cert_file", &self.certificates.cert_file)
            .field("key_file", &self.certificates.key_file)
            .field("private_key", &"<redacted>")
            .field("client_ca_file", &self.client_ca_file)
            .finish()
    }
}

fn client_verifier(
    path: &Path,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ClientCertVerifier>, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(TlsFile::ClientCa, path)? {
        roots.add(cert).map_err(|error| {
            invalid(
                TlsFile::ClientCa,
                path,
                format!("not a usable ca certificate: {error}"),
            )
        })?;
    }
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(provider))
        .build()
        .map_err(|error| invalid(TlsFile::ClientCa, path, error.to_string()))
}

/// What identifies a version of a file without reading it. The length and inode catch
/// rewrites that land within the file system's timestamp granularity, and replacements by
/// rename or symlink swap (how Kubernetes updates mounted secrets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl FileStamp {
    /// `None` when the file cannot be inspected, e.g. removed mid-rotation: that too counts
    /// as a change, so the reload attempt reports it.
    fn of(path: &Path) -> Option<Self> {
        let metadata = std::fs::metadata(path).ok()?;
        Some(Self {
            modified: metadata.modified().ok(),
            len: metadata.len(),
            inode: inode(&metadata),
        })
    }
}

#[cfg(unix)]
fn inode(metadata: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(metadata)
}

#[cfg(not(unix))]
fn inode(_metadata: &std::fs::Metadata) -> u64 {
    0
}

/// The serving certificate and key, and the file versions they were last loaded from.
struct Certificates {
    cert_file: PathBuf,
    key_file: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
    /// The (certificate, key) file versions last tried, loaded or not: a broken file is
    /// reported once, not at every handshake, and retried when either file changes again.
    tried: Mutex<(Option<FileStamp>, Option<FileStamp>)>,
}

impl Certificates {
    fn load(
        cert_file: PathBuf,
        key_file: PathBuf,
        provider: Arc<CryptoProvider>,
    ) -> Result<Self, TlsError> {
        // Stamped before reading, so that a rewrite racing the read is picked up next time.
        let stamps = (FileStamp::of(&cert_file), FileStamp::of(&key_file));
        let key = load_certified_key(&cert_file, &key_file, &provider)?;
        Ok(Self {
            cert_file,
            key_file,
            provider,
            current: RwLock::new(Arc::new(key)),
            tried: Mutex::new(stamps),
        })
    }

    fn reload_if_changed(&self) {
        let stamps = (
            FileStamp::of(&self.cert_file),
            FileStamp::of(&self.key_file),
        );
        // Held while loading, so that concurrent handshakes after a change wait for the new
        // certificate instead of loading it again or serving the old one.
        let mut tried = self.tried.lock().unwrap_or_else(PoisonError::into_inner);
        if *tried == stamps {
            return;
        }
        *tried = stamps;
        match load_certified_key(&self.cert_file, &self.key_file, &self.provider) {
            Ok(key) => {
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(key);
                tracing::info!(
                    cert_file = %self.cert_file.display(),
                    key_file = %self.key_file.display(),
                    "tls certificate reloaded"
                );
            }
            Err(error) => tracing::warn!(
                %error,
                "tls certificate reload failed, still serving the previous certificate"
            ),
        }
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(
            &self.current.read().unwrap_or_else(PoisonError::into_inner),
        ))
    }
}

impl fmt::Debug for Certificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificates")
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .field("private_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

fn load_certified_key(
    cert_file: &Path,
    key_file: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let chain = load_certs(TlsFile::Cert, cert_file)?;
    let key = load_key(key_file)?;
    let key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|error| {
            invalid(
                TlsFile::Key,
                key_file,
                format!("unsupported or malformed private key: {error}"),
            )
        })?;
    let certified = CertifiedKey::new(chain, key);
    match certified.keys_match() {
        // Unknown means the key type cannot tell; rustls' own constructor accepts that too.
        Ok(()) | Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => Ok(certified),
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => Err(invalid(
            TlsFile::Key,
            key_file,
            format!(
                "the key does not match the certificate in {}",
                cert_file.display()
            ),
        )),
        Err(error) => Err(invalid(
            TlsFile::Cert,
            cert_file,
            format!("malformed certificate: {error}"),
        )),
    }
}

fn load_certs(file: TlsFile, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(file, path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| invalid(file, path, describe_pem_error(&error)))?;
    if certs.is_empty() {
        return Err(invalid(file, path, "no pem certificate found"));
    }
    Ok(certs)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read(TlsFile::Key, path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|error| {
        let reason = match error {
            pem::Error::NoItemsFound => "no pem private key (pkcs#8, sec1 or pkcs#1) found",
            other => describe_pem_error(&other),
        };
        invalid(TlsFile::Key, path, reason)
    })
}

/// Fixed descriptions rather than the parser's messages, which may quote bytes of the file:
/// for a key file, those would be key material in the logs.
fn describe_pem_error(error: &pem::Error) -> &'static str {
    match error {
        pem::Error::MissingSectionEnd { .. } => "a pem section has no end line",
        pem::Error::IllegalSectionStart { .. } => "a pem begin line is malformed",
        pem::Error::Base64Decode(_) => "a pem section is not valid base64",
        pem::Error::NoItemsFound => "no pem item of the expected kind found",
        pem::Error::SectionTooLarge => "a pem section is too large",
        _ => "not valid pem",
    }
}

fn read(file: TlsFile, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|error| TlsError::Read {
        file,
        path: path.to_path_buf(),
        error,
    })
}

fn invalid(file: TlsFile, path: &Path, reason: impl Into<String>) -> TlsError {
    TlsError::Invalid {
        file,
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// One accepted connection, plain TCP or TLS over TCP, as [`incoming`] yields them.
///
/// Its [`Connected::ConnectInfo`] is tonic's [`TcpConnectInfo`] for both kinds, so that
/// `tonic::Request::remote_addr()` and `local_addr()` work the same over plain and TLS
/// connections. The price: tonic's `Request::peer_certs()` is always `None`, because tonic
/// only reads certificates from its own `TlsConnectInfo`, which cannot be built outside
/// tonic. Client certificates are checked during the handshake (mutual TLS admits or
/// refuses); callers are identified by their tokens, not their certificates.
pub struct ServerIo {
    transport: Transport,
    /// When the connection is cut, whatever it is doing (see [`incoming_with_lifetime`]).
    expiry: Option<Pin<Box<Sleep>>>,
}

enum Transport {
    Plain(TcpStream),
    // Boxed: a rustls connection is a few hundred bytes larger than a TcpStream.
    Tls(Box<TlsStream<TcpStream>>),
}

impl ServerIo {
    fn new(transport: Transport, lifetime: Option<Duration>) -> Self {
        Self {
            transport,
            expiry: lifetime.map(|lifetime| Box::pin(tokio::time::sleep(lifetime))),
        }
    }

    fn tcp(&self) -> &TcpStream {
        match &self.transport {
            Transport::Plain(stream) => stream,
            Transport::Tls(stream) => stream.get_ref().0,
        }
    }
}

impl fmt::Debug for ServerIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerIo")
            .field("tls", &matches!(self.transport, Transport::Tls(_)))
            .field("peer", &self.tcp().peer_addr().ok())
            .finish()
    }
}

impl Connected for ServerIo {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.tcp().connect_info()
    }
}

/// Reading and writing fail once the connection's lifetime is over. The connection always
/// has a read pending, so the expiry's timer wakes it, and the server drops it.
fn expired(expiry: &mut Option<Pin<Box<Sleep>>>, cx: &mut Context<'_>) -> Option<io::Error> {
    let expiry = expiry.as_mut()?;
    expiry.as_mut().poll(cx).is_ready().then(|| {
        io::Error::new(
            io::ErrorKind::TimedOut,
            "the connection outlived its maximum age and grace",
        )
    })
}

impl AsyncRead for ServerIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(error) = expired(&mut this.expiry, cx) {
            return Poll::Ready(Err(error));
        }
        match &mut this.transport {
            Transport::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            Transport::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ServerIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(error) = expired(&mut this.expiry, cx) {
            return Poll::Ready(Err(error));
        }
        match &mut this.transport {
            Transport::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            Transport::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(error) = expired(&mut this.expiry, cx) {
            return Poll::Ready(Err(error));
        }
        match &mut this.transport {
            Transport::Plain(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            Transport::Tls(stream) => Pin::new(stream.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.transport {
            Transport::Plain(stream) => stream.is_write_vectored(),
            Transport::Tls(stream) => stream.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().transport {
            Transport::Plain(stream) => Pin::new(stream).poll_flush(cx),
            Transport::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().transport {
            Transport::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            Transport::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The connections a tonic server should serve from `listener`: plain TCP when `tls` is
/// `None`, else TLS. Pass it to `tonic::transport::Server::serve_with_incoming_shutdown`.
///
/// Handshakes run concurrently, each bounded by a timeout, so a slow or failing client never
/// holds up others; a failed handshake is logged at debug level and dropped. Accept errors do
/// not end the stream either: a failing connection is skipped, and anything else (such as
/// running out of file descriptors) is logged and retried after a pause. The stream therefore
/// never yields an error; its item type is what tonic expects. TCP_NODELAY is set on every
/// connection. Dropping the stream closes the listener and abandons pending handshakes.
pub fn incoming(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
) -> impl Stream<Item = Result<ServerIo, io::Error>> + Send + 'static {
    incoming_with_lifetime(listener, tls, None)
}

/// [`incoming`], each connection cut `lifetime` after it is established, whatever it is
/// doing. With tonic's `max_connection_age` (a graceful close) set below it, this is the
/// close's grace period: tonic 0.14's own `max_connection_age_grace` replaces the graceful
/// close by a forced one instead of following it.
pub fn incoming_with_lifetime(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    lifetime: Option<Duration>,
) -> impl Stream<Item = Result<ServerIo, io::Error>> + Send + 'static {
    Incoming {
        listener,
        tls,
        lifetime,
        handshakes: JoinSet::new(),
        backoff: None,
    }
}

struct Incoming {
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    lifetime: Option<Duration>,
    /// Each yields its connection, or `None` once it has logged why there is none.
    handshakes: JoinSet<Option<ServerIo>>,
    backoff: Option<Pin<Box<Sleep>>>,
}

impl Stream for Incoming {
    type Item = Result<ServerIo, io::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let mut budget = ACCEPTS_PER_POLL;
        loop {
            // Polled on every pass, also right after a spawn: an empty set registers no
            // waker, so a handshake spawned without polling again would go unnoticed.
            while let Poll::Ready(Some(joined)) = this.handshakes.poll_join_next(cx) {
                match joined {
                    Ok(Some(io)) => return Poll::Ready(Some(Ok(io))),
                    Ok(None) => {}
                    Err(error) => tracing::error!(%error, "tls handshake task failed"),
                }
            }

            if let Some(backoff) = &mut this.backoff {
                ready!(backoff.as_mut().poll(cx));
                this.backoff = None;
            }

            if budget == 0 {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            budget -= 1;

            match ready!(this.listener.poll_accept(cx)) {
                Ok((stream, peer)) => {
                    if let Err(error) = stream.set_nodelay(true) {
                        tracing::debug!(%peer, %error, "cannot set tcp_nodelay");
                    }
                    match &this.tls {
                        None => {
                            let io = ServerIo::new(Transport::Plain(stream), this.lifetime);
                            return Poll::Ready(Some(Ok(io)));
                        }
                        Some(tls) => {
                            this.handshakes.spawn(handshake(
                                tls.clone(),
                                stream,
                                peer,
                                this.lifetime,
                            ));
                        }
                    }
                }
                Err(error) if is_connection_error(&error) => {
                    tracing::debug!(%error, "accepting a connection failed");
                }
                Err(error) => {
                    tracing::error!(
                        %error,
                        retry_in_ms = ACCEPT_ERROR_BACKOFF.as_millis(),
                        "cannot accept connections"
                    );
                    this.backoff = Some(Box::pin(tokio::time::sleep(ACCEPT_ERROR_BACKOFF)));
                }
            }
        }
    }
}

async fn handshake(
    tls: TlsAcceptor,
    stream: TcpStream,
    peer: SocketAddr,
    lifetime: Option<Duration>,
) -> Option<ServerIo> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(stream)).await {
        Ok(Ok(stream)) => Some(ServerIo::new(Transport::Tls(Box::new(stream)), lifetime)),
        Ok(Err(error)) => {
            tracing::debug!(%peer, %error, "tls handshake failed");
            None
        }
        Err(_elapsed) => {
            tracing::debug!(
                %peer,
                timeout_ms = HANDSHAKE_TIMEOUT.as_millis(),
                "tls handshake timed out"
            );
            None
        }
    }
}

/// Errors that concern one connection (it went away before it was accepted, or the network
/// reported a transient failure for it), as opposed to the listener or the process.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::TimedOut
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::NetworkDown
    )
}
