#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! TLS on a real tonic server over 127.0.0.1: trust, plaintext refusal, mutual TLS,
//! certificate rotation without restart, peer addresses, and configuration errors.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jalia_runtime::tls::{TlsAcceptor, TlsConfig, TlsError, TlsFile, incoming};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tempfile::TempDir;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity, Server};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

// ---------------------------------------------------------------------------------------
// Certificates

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
}

struct Pair {
    cert: String,
    key: String,
}

impl Ca {
    fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().unwrap();
        let pem = params.self_signed(&key).unwrap().pem();
        Self { params, key, pem }
    }

    fn issue(&self, names: &[&str], usage: ExtendedKeyUsagePurpose) -> Pair {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.distinguished_name.push(DnType::CommonName, names[0]);
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().unwrap();
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        Pair {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }

    fn server_pair(&self) -> Pair {
        self.issue(
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }

    fn client_pair(&self) -> Pair {
        self.issue(&["agency-portal"], ExtendedKeyUsagePurpose::ClientAuth)
    }
}

struct Files {
    _dir: TempDir,
    config: TlsConfig,
}

fn files(server: &Pair, client_ca: Option<&Ca>) -> Files {
    let dir = tempfile::tempdir().unwrap();
    let cert_file = dir.path().join("server.crt");
    let key_file = dir.path().join("server.key");
    std::fs::write(&cert_file, &server.cert).unwrap();
    std::fs::write(&key_file, &server.key).unwrap();
    let client_ca_file = client_ca.map(|ca| {
        let path = dir.path().join("clients-ca.crt");
        std::fs::write(&path, &ca.pem).unwrap();
        path
    });
    Files {
        _dir: dir,
        config: TlsConfig {
            cert_file,
            key_file,
            client_ca_file,
        },
    }
}

/// Rewrites a file in place, as an operator or a renewal job would, and moves its
/// modification time a second past the previous one: file systems stamp files with a coarse
/// clock, and in a test the rewrite can fall in the same tick as the load it must be told
/// apart from (real rotations are minutes apart).
fn rewrite(path: &Path, contents: &str) {
    let before = std::fs::metadata(path).unwrap().modified().unwrap();
    std::fs::write(path, contents).unwrap();
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(before + Duration::from_secs(1))
        .unwrap();
}

/// Replaces a file by writing a new one beside it and renaming it over the old, as
/// Kubernetes does for mounted secrets and certbot does for its live links.
fn replace_by_rename(path: &Path, contents: &str) {
    let tmp: PathBuf = path.with_extension("new");
    std::fs::write(&tmp, contents).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

// ---------------------------------------------------------------------------------------
// Server and clients

type SeenAddrs = Arc<Mutex<Vec<Option<SocketAddr>>>>;

struct TestServer {
    addr: SocketAddr,
    /// `request.remote_addr()` as each call's handler saw it.
    seen: SeenAddrs,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
}

async fn start(tls: Option<TlsAcceptor>) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_reporter, health) = tonic_health::server::health_reporter();
    let seen = SeenAddrs::default();
    let record = Arc::clone(&seen);
    let health = InterceptedService::new(health, move |request: tonic::Request<()>| {
        record.lock().unwrap().push(request.remote_addr());
        Ok(request)
    });
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(
        Server::builder()
            .add_service(health)
            .serve_with_incoming_shutdown(incoming(listener, tls), async {
                let _ = stopped.await;
            }),
    );
    TestServer {
        addr,
        seen,
        stop,
        task,
    }
}

impl TestServer {
    async fn stop(self) {
        self.stop.send(()).unwrap();
        self.task.await.unwrap().unwrap();
    }

    fn seen(&self) -> Vec<Option<SocketAddr>> {
        self.seen.lock().unwrap().clone()
    }
}

fn trusting(ca: &Ca) -> ClientTlsConfig {
    ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&ca.pem))
        .domain_name("localhost")
}

fn with_identity(tls: ClientTlsConfig, pair: &Pair) -> ClientTlsConfig {
    tls.identity(Identity::from_pem(&pair.cert, &pair.key))
}

/// A health check on a fresh connection (a new `Endpoint` shares no connection or TLS
/// session with earlier clients).
async fn check(addr: SocketAddr, tls: Option<ClientTlsConfig>) -> Result<ServingStatus, String> {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let mut endpoint = Endpoint::from_shared(format!("{scheme}://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(5));
    if let Some(tls) = tls {
        endpoint = endpoint.tls_config(tls).unwrap();
    }
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map_err(|status| format!("check: {status:?}"))?;
    Ok(response.into_inner().status())
}

async fn assert_serving(addr: SocketAddr, tls: Option<ClientTlsConfig>, what: &str) {
    match check(addr, tls).await {
        Ok(ServingStatus::Serving) => {}
        other => panic!("{what}: expected SERVING, got {other:?}"),
    }
}

async fn assert_refused(addr: SocketAddr, tls: Option<ClientTlsConfig>, what: &str) {
    if let Ok(status) = check(addr, tls).await {
        panic!("{what}: expected a failure, got {status:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Tests

#[tokio::test]
async fn client_trusting_the_ca_gets_serving() {
    let ca = Ca::new("jalia test ca");
    let files = files(&ca.server_pair(), None);
    let server = start(Some(TlsAcceptor::new(&files.config).unwrap())).await;

    assert_serving(server.addr, Some(trusting(&ca)), "trusted client").await;

    server.stop().await;
}

#[tokio::test]
async fn plaintext_client_fails_against_tls_and_the_server_keeps_serving() {
    let ca = Ca::new("jalia test ca");
    let files = files(&ca.server_pair(), None);
    let server = start(Some(TlsAcceptor::new(&files.config).unwrap())).await;

    assert_refused(server.addr, None, "plaintext client").await;
    assert_serving(
        server.addr,
        Some(trusting(&ca)),
        "trusted client afterwards",
    )
    .await;

    server.stop().await;
}

#[tokio::test]
async fn client_trusting_another_ca_fails() {
    let ca = Ca::new("jalia test ca");
    let other = Ca::new("someone else's ca");
    let files = files(&ca.server_pair(), None);
    let server = start(Some(TlsAcceptor::new(&files.config).unwrap())).await;

    assert_refused(
        server.addr,
        Some(trusting(&other)),
        "client trusting another ca",
    )
    .await;
    assert_serving(
        server.addr,
        Some(trusting(&ca)),
        "trusted client afterwards",
    )
    .await;

    server.stop().await;
}

#[tokio::test]
async fn mutual_tls_requires_a_certificate_from_the_client_ca() {
    let server_ca = Ca::new("jalia server ca");
    let client_ca = Ca::new("jalia client ca");
    let other_ca = Ca::new("someone else's ca");
    let files = files(&server_ca.server_pair(), Some(&client_ca));
    let server = start(Some(TlsAcceptor::new(&files.config).unwrap())).await;

    assert_refused(
        server.addr,
        Some(trusting(&server_ca)),
        "client without a certificate",
    )
    .await;
    assert_refused(
        server.addr,
        Some(with_identity(trusting(&server_ca), &other_ca.client_pair())),
        "client with a certificate from another ca",
    )
    .await;
    assert_serving(
        server.addr,
        Some(with_identity(
            trusting(&server_ca),
            &client_ca.client_pair(),
        )),
        "client with a certificate from the client ca",
    )
    .await;
    // Only the admitted call reached a handler.
    assert_eq!(server.seen().len(), 1);

    server.stop().await;
}

#[tokio::test]
async fn rotated_certificate_is_served_to_new_connections_without_restart() {
    let old_ca = Ca::new("jalia ca 2026");
    let files = files(&old_ca.server_pair(), None);
    let server = start(Some(TlsAcceptor::new(&files.config).unwrap())).await;
    assert_serving(server.addr, Some(trusting(&old_ca)), "before rotation").await;

    let new_ca = Ca::new("jalia ca 2027");
    let new_pair = new_ca.server_pair();
    rewrite(&files.config.cert_file, &new_pair.cert);
    rewrite(&files.config.key_file, &new_pair.key);

    assert_serving(
        server.addr,
        Some(trusting(&new_ca)),
        "client trusting the new ca",
    )
    .await;
    assert_refused(
        server.addr,
        Some(trusting(&old_ca)),
        "client trusting only the old ca",
    )
    .await;

    server.stop().await;
}

#[tokio::test]
async fn certificate_replaced_by_rename_is_picked_up() {
    let old_ca = Ca::new("jalia ca 2026");
    let files = files(&old_ca.server_pair(), None);
    let server = start(Some(TlsAcceptor::new(&files.config).unwrap())).await;
    assert_serving(server.addr, Some(trusting(&old_ca)), "before rotation").await;

    // No timestamp help here: a renamed-in file is a new inode, whatever its times.
    let new_ca = Ca::new("jalia ca 2027");
    let new_pair = new_ca.server_pair();
    replace_by_rename(&files.config.key_file, &new_pair.key);
    replace_by_rename(&files.config.cert_file, &new_pair.cert);

    assert_serving(
        server.addr,
        Some(trusting(&new_ca)),
        "client trusting the new ca",
    )
    .await;
    assert_refused(
        server.addr,
        Some(trusting(&old_ca)),
        "client trusting only the old ca",
    )
    .await;

    server.stop().await;
}

#[tokio::test]
async fn broken_files_during_rotation_keep_the_old_certificate() {
    let old_ca = Ca::new("jalia ca 2026");
    let old_pair = old_ca.server_pair();
    let files = files(&old_pair, None);
    let server = start(Some(TlsAcceptor::new(&files.config).unwrap())).await;
    assert_serving(server.addr, Some(trusting(&old_ca)), "before rotation").await;

    // A key file that does not parse.
    rewrite(
        &files.config.key_file,
        "-----BEGIN PRIVATE KEY-----\nnot base64 at all!\n-----END PRIVATE KEY-----\n",
    );
    assert_serving(server.addr, Some(trusting(&old_ca)), "after a garbage key").await;

    // Half a rotation: the new certificate is in place, its key is not yet.
    let new_ca = Ca::new("jalia ca 2027");
    let new_pair = new_ca.server_pair();
    rewrite(&files.config.cert_file, &new_pair.cert);
    rewrite(&files.config.key_file, &old_pair.key);
    assert_serving(
        server.addr,
        Some(trusting(&old_ca)),
        "after a key that does not match the certificate",
    )
    .await;

    // The rotation completes: the broken states left nothing stuck.
    rewrite(&files.config.key_file, &new_pair.key);
    assert_serving(server.addr, Some(trusting(&new_ca)), "after the rotation").await;
    assert_refused(
        server.addr,
        Some(trusting(&old_ca)),
        "old ca after rotation",
    )
    .await;

    server.stop().await;
}

#[tokio::test]
async fn plain_incoming_serves_and_remote_addr_is_seen_over_plain_and_tls() {
    let plain = start(None).await;
    assert_serving(plain.addr, None, "plaintext client").await;
    let seen = plain.seen();
    assert_eq!(seen.len(), 1);
    let addr = seen[0].expect("remote_addr over plain tcp");
    assert!(addr.ip().is_loopback(), "{addr}");
    assert_ne!(addr.port(), plain.addr.port(), "the peer's port, not ours");
    plain.stop().await;

    let ca = Ca::new("jalia test ca");
    let files = files(&ca.server_pair(), None);
    let tls = start(Some(TlsAcceptor::new(&files.config).unwrap())).await;
    assert_serving(tls.addr, Some(trusting(&ca)), "tls client").await;
    let seen = tls.seen();
    assert_eq!(seen.len(), 1);
    let addr = seen[0].expect("remote_addr over tls");
    assert!(addr.ip().is_loopback(), "{addr}");
    assert_ne!(addr.port(), tls.addr.port(), "the peer's port, not ours");
    tls.stop().await;
}

#[tokio::test]
async fn a_stalled_handshake_does_not_block_other_clients() {
    let ca = Ca::new("jalia test ca");
    let files = files(&ca.server_pair(), None);
    let server = start(Some(TlsAcceptor::new(&files.config).unwrap())).await;

    // Connects and never says hello: its handshake waits for the server's 10 s timeout. A
    // client served only after that would miss the 5 s bound below.
    let stalled = TcpStream::connect(server.addr).await.unwrap();
    tokio::time::timeout(
        Duration::from_secs(5),
        assert_serving(
            server.addr,
            Some(trusting(&ca)),
            "client after a stalled one",
        ),
    )
    .await
    .expect("the client waited behind the stalled handshake");
    drop(stalled);

    server.stop().await;
}

#[tokio::test]
async fn alpn_offers_h2_only() {
    use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};

    let ca = Ca::new("jalia test ca");
    let files = files(&ca.server_pair(), None);
    let server = start(Some(TlsAcceptor::new(&files.config).unwrap())).await;

    let connect = |alpn: Vec<Vec<u8>>| {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(ca.pem.as_bytes()).unwrap())
            .unwrap();
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        config.alpn_protocols = alpn;
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let addr = server.addr;
        async move {
            let tcp = TcpStream::connect(addr).await.unwrap();
            connector
                .connect(ServerName::try_from("localhost").unwrap(), tcp)
                .await
        }
    };

    let tls = connect(vec![b"http/1.1".to_vec(), b"h2".to_vec()])
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    assert!(
        connect(vec![b"http/1.1".to_vec()]).await.is_err(),
        "a client offering only http/1.1 must not get a connection"
    );
    drop(tls);

    server.stop().await;
}

#[test]
fn startup_errors_name_the_file() {
    let ca = Ca::new("jalia test ca");
    let pair = ca.server_pair();

    // A key file that is not PEM at all.
    let broken = files(&pair, None);
    std::fs::write(
        &broken.config.key_file,
        "-----BEGIN PRIVATE KEY-----\nsecret?!\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let error = TlsAcceptor::new(&broken.config).unwrap_err();
    assert!(matches!(error, TlsError::Invalid { .. }), "{error:?}");
    assert_eq!(error.file(), Some(TlsFile::Key));
    assert_eq!(error.path(), Some(broken.config.key_file.as_path()));
    let message = error.to_string();
    assert!(
        message.contains(&broken.config.key_file.display().to_string()),
        "{message}"
    );
    assert!(message.contains("key_file"), "{message}");
    assert!(
        !message.contains("secret?!"),
        "quotes the key file: {message}"
    );

    // A file without any private key in it.
    std::fs::write(&broken.config.key_file, &pair.cert).unwrap();
    let error = TlsAcceptor::new(&broken.config).unwrap_err();
    assert_eq!(error.file(), Some(TlsFile::Key), "{error}");
    assert!(error.to_string().contains("no pem private key"), "{error}");

    // A valid key that belongs to another certificate.
    std::fs::write(&broken.config.key_file, ca.server_pair().key).unwrap();
    let error = TlsAcceptor::new(&broken.config).unwrap_err();
    assert_eq!(error.file(), Some(TlsFile::Key), "{error}");
    assert!(error.to_string().contains("does not match"), "{error}");

    // A certificate file that is missing.
    let missing = files(&pair, None);
    std::fs::remove_file(&missing.config.cert_file).unwrap();
    let error = TlsAcceptor::new(&missing.config).unwrap_err();
    assert!(matches!(error, TlsError::Read { .. }), "{error:?}");
    assert_eq!(error.file(), Some(TlsFile::Cert));
    assert!(
        error
            .to_string()
            .contains(&missing.config.cert_file.display().to_string()),
        "{error}"
    );

    // A client CA file holding no certificate.
    let mut no_ca = files(&pair, None);
    let ca_path = no_ca.config.cert_file.with_file_name("clients-ca.crt");
    std::fs::write(&ca_path, "").unwrap();
    no_ca.config.client_ca_file = Some(ca_path.clone());
    let error = TlsAcceptor::new(&no_ca.config).unwrap_err();
    assert_eq!(error.file(), Some(TlsFile::ClientCa), "{error}");
    assert_eq!(error.path(), Some(ca_path.as_path()));
}

#[test]
fn debug_redacts_the_private_key() {
    let ca = Ca::new("jalia test ca");
    let pair = ca.server_pair();
    let files = files(&pair, None);
    let acceptor = TlsAcceptor::new(&files.config).unwrap();
    let shown = format!("{acceptor:?}");
    assert!(shown.contains("<redacted>"), "{shown}");
    let key_body = pair.key.lines().nth(1).unwrap();
    assert!(!shown.contains(key_body), "{shown}");
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
}
