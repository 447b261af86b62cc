//! The gateway's door: before a permit is taken or a token verified, each call is counted
//! against its client's address, so floods of bad tokens, made-up paths, health checks or
//! reflection from one place are refused cheaply. The address is the peer's, or, when the
//! peer is a trusted proxy (`JALIA_GATEWAY_TRUSTED_PROXIES`), the right-most hop of
//! `x-forwarded-for` that is not itself a trusted proxy: entries further left are whatever
//! the client chose to write.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http::HeaderMap;
use jalia_runtime::server::{Admission, ClientAddress, peer_address};
use jalia_runtime::{ApiError, ErrorCode, reasons};
use tonic::Status;
use tonic::body::Body;

use crate::proxy::RateSettings;

/// Hops of `x-forwarded-for` read at most; a longer chain is someone's invention.
const MAX_HOPS: usize = 32;

/// A network in CIDR notation (`10.0.0.0/8`, `fd00::/8`), or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `address` is in the network.
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                mask_v4(u32::from(address), self.prefix) == u32::from(network)
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                mask_v6(u128::from(address), self.prefix) == u128::from(network)
            }
            _ => false,
        }
    }
}

/// The first `prefix` bits of `bits` (`prefix` at most 32).
fn mask_v4(bits: u32, prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        bits & (u32::MAX << (32 - u32::from(prefix)))
    }
}

/// The first `prefix` bits of `bits` (`prefix` at most 128).
fn mask_v6(bits: u128, prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        bits & (u128::MAX << (128 - u32::from(prefix)))
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address
            .parse()
            .map_err(|_| format!("`{text}` is not an address or a CIDR network"))?;
        let address = address.to_canonical();
        let longest = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => longest,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|prefix| *prefix <= longest)
                .ok_or_else(|| format!("`{text}`: the prefix length must be 0 to {longest}"))?,
        };
        let network = match address {
            IpAddr::V4(v4) => IpAddr::from(mask_v4(u32::from(v4), prefix).to_be_bytes()),
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(mask_v6(u128::from(v6), prefix))),
        };
        Ok(Self { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The proxies whose `x-forwarded-for` the gateway believes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Proxies in these networks.
    pub fn new(networks: Vec<Cidr>) -> Self {
        Self(networks)
    }

    /// Parses a comma-separated list (empty: no proxy is trusted).
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(Cidr::from_str)
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(address))
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy; then the
    /// right-most `x-forwarded-for` hop that is not a trusted proxy (or the last trusted
    /// one, when every hop is trusted or the next one is unreadable).
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect();
        for hop in hops.iter().rev().take(MAX_HOPS) {
            let Some(address) = parse_hop(hop) else {
                return client;
            };
            client = address;
            if !self.trusts(address) {
                return client;
            }
        }
        client
    }
}

/// One `x-forwarded-for` entry: an address, possibly with a port as some proxies write it.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .map(|address| address.to_canonical())
}

/// Addresses as the limiter counts them: IPv6 by /64, the block one host is given, so a
/// client cannot get a fresh budget by changing its interface identifier.
fn rate_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(mask_v6(u128::from(v6), 64))),
    }
}

/// One limiter for the replica, keyed by client address. Limits are per replica.
pub(crate) type AddressLimiter = DefaultKeyedRateLimiter<IpAddr>;

/// A limiter for these settings.
pub(crate) fn address_limiter(settings: RateSettings) -> Arc<AddressLimiter> {
    Arc::new(RateLimiter::keyed(
        Quota::per_second(settings.per_second).allow_burst(settings.burst),
    ))
}

/// The check the gateway's server runs first on every call.
#[derive(Debug)]
pub(crate) struct Door {
    /// Whose `x-forwarded-for` to believe.
    pub trusted: TrustedProxies,
    /// Calls per address.
    pub limiter: Arc<AddressLimiter>,
}

impl Admission for Door {
    fn admit(&self, request: &mut http::Request<Body>) -> Result<(), Status> {
        let Some(peer) = peer_address(request) else {
            return Ok(());
        };
        let client = self.trusted.client_address(peer, request.headers());
        request.extensions_mut().insert(ClientAddress(client));
        self.limiter
            .check_key(&rate_key(client))
            .map_err(|not_until| {
                tracing::debug!("address over its rate");
                rate_limited(not_until.wait_time_from(DefaultClock::default().now()))
            })
    }
}

/// RESOURCE_EXHAUSTED, saying when to retry.
pub(crate) fn rate_limited(wait: Duration) -> Status {
    ApiError::new(
        ErrorCode::ResourceExhausted,
        reasons::RATE_LIMITED,
        "too many calls from this caller; retry later",
    )
    .with_retry_after(wait.max(Duration::from_millis(1)))
    .into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn networks_contain_their_addresses() {
        let private: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(private.contains(ip("10.200.3.4")));
        assert!(!private.contains(ip("11.0.0.1")));
        assert!(!private.contains(ip("fd00::1")));
        let one: Cidr = "192.0.2.7".parse().unwrap();
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6: Cidr = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12:3456::1")) && !v6.contains(ip("fe80::1")));
        // IPv4 seen through an IPv6 socket.
        assert!(private.contains(ip("::ffff:10.1.2.3")));
        let everything: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(everything.contains(ip("203.0.113.9")));
        // Host bits are dropped.
        assert_eq!(
            "10.1.2.3/8".parse::<Cidr>().unwrap().to_string(),
            "10.0.0.0/8"
        );
        for wrong in ["10.0.0.0/33", "fd00::/129", "ten/8", "10.0.0.0/x", ""] {
            assert!(wrong.parse::<Cidr>().is_err(), "{wrong}");
        }
        assert!(TrustedProxies::parse("10.0.0.0/8, ,fd00::/8").is_ok());
        assert!(TrustedProxies::parse("10.0.0.0/8,nonsense").is_err());
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let ingress = ip("10.0.0.5");
        // An untrusted peer: its header is ignored.
        let stranger = ip("203.0.113.1");
        let spoofed = forwarded(&["198.51.100.1"]);
        assert_eq!(trusted.client_address(stranger, &spoofed), stranger);
        // A trusted peer: the last hop it appended is the client...
        let one_hop = forwarded(&["198.51.100.1, 203.0.113.50"]);
        assert_eq!(
            trusted.client_address(ingress, &one_hop),
            ip("203.0.113.50")
        );
        // ...passing over trusted hops, whatever the client wrote further left, and over
        // several headers read as one list.
        let chained = forwarded(&["1.2.3.4, 203.0.113.50", "10.1.1.1"]);
        assert_eq!(
            trusted.client_address(ingress, &chained),
            ip("203.0.113.50")
        );
        // No header, only trusted hops, or garbage: the last trusted hop.
        assert_eq!(trusted.client_address(ingress, &HeaderMap::new()), ingress);
        let all_trusted = forwarded(&["10.9.9.9"]);
        assert_eq!(
            trusted.client_address(ingress, &all_trusted),
            ip("10.9.9.9")
        );
        let garbage = forwarded(&["203.0.113.50, not-an-address"]);
        assert_eq!(trusted.client_address(ingress, &garbage), ingress);
        // Ports some proxies add are read past.
        let with_port = forwarded(&["203.0.113.50:4711"]);
        assert_eq!(
            trusted.client_address(ingress, &with_port),
            ip("203.0.113.50")
        );
        let v6 = forwarded(&["[2001:db8::7]:4711"]);
        assert_eq!(trusted.client_address(ingress, &v6), ip("2001:db8::7"));
        // Nothing trusted: the peer, always.
        let none = TrustedProxies::default();
        assert_eq!(none.client_address(ingress, &one_hop), ingress);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_block() {
        assert_eq!(rate_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(rate_key(ip("192.0.2.1")), ip("192.0.2.1"));
    }
}
