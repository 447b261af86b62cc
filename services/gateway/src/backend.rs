//! A channel to one backend, balanced across its pods. The backend's host is resolved
//! again and again (a Kubernetes headless Service answers with one address per ready pod),
//! so pods that come and go join and leave the balance without a restart; backends also
//! cap their connections' age, so long-lived connections spread out.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::mpsc::Sender;
use tonic::transport::channel::Change;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use url::Url;

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

/// The balanced channel and the handle that feeds it addresses.
#[derive(Debug, Clone)]
pub(crate) struct Backend {
    target: BackendTarget,
    channel: Channel,
    changes: Sender<Change<SocketAddr, Endpoint>>,
    host: String,
    port: u16,
}

impl Backend {
    /// A channel with no pods yet; [`Backend::refresh`] adds them.
    pub(crate) fn new(target: BackendTarget) -> Result<Self, BackendError> {
        let error = |problem: &str| BackendError {
            url: target.url.to_string(),
            problem: problem.to_owned(),
        };
        if !matches!(target.url.scheme(), "http" | "https") {
            return Err(error("must be an http:// or https:// URL"));
        }
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
        let (channel, changes) = Channel::balance_channel(64);
        Ok(Self {
            target,
            channel,
            changes,
            host,
            port,
        })
    }

    /// The channel calls go through.
    pub(crate) fn channel(&self) -> Channel {
        self.channel.clone()
    }

    fn endpoint(&self, address: SocketAddr) -> Option<Endpoint> {
        let scheme = self.target.url.scheme();
        let endpoint = Endpoint::from_shared(format!("{scheme}://{address}"))
            .ok()?
            .connect_timeout(self.target.connect_timeout)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .keep_alive_while_idle(true);
        if scheme == "https" {
            let mut tls = ClientTlsConfig::new().domain_name(self.host.clone());
            if let Some(ca) = &self.target.ca_pem {
                tls = tls.ca_certificate(Certificate::from_pem(ca));
            }
            return endpoint.tls_config(tls).ok();
        }
        Some(endpoint)
    }

    /// Resolves the host and brings the balance up to date. With `reconnect`, every pod
    /// is inserted afresh, so a backend that was down is dialled again at once.
    pub(crate) async fn refresh(&self, known: &mut BTreeSet<SocketAddr>, reconnect: bool) {
        let resolved: BTreeSet<SocketAddr> = match tokio::net::lookup_host((
            self.host.as_str(),
            self.port,
        ))
        .await
        {
            Ok(addresses) => addresses.collect(),
            Err(err) => {
                tracing::warn!(backend = %self.target.url, error = %err, "backend name does not resolve");
                return;
            }
        };
        for gone in known.difference(&resolved) {
            let _ = self.changes.send(Change::Remove(*gone)).await;
            tracing::info!(backend = %self.target.url, pod = %gone, "backend pod left the balance");
        }
        for address in &resolved {
            if (reconnect || !known.contains(address))
                && let Some(endpoint) = self.endpoint(*address)
            {
                let _ = self.changes.send(Change::Insert(*address, endpoint)).await;
                if !known.contains(address) {
                    tracing::info!(backend = %self.target.url, pod = %address, "backend pod joined the balance");
                }
            }
        }
        *known = resolved;
    }
}
