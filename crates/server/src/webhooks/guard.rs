//! Refusing destinations inside the network: a webhook URL is the app's to choose,
//! but the server must not be made to call its own loopback, the private network or
//! link-local services (cloud metadata at 169.254.169.254) on anyone's behalf. The
//! check is on the addresses the host resolves to, at delivery, inside the client's
//! resolver, so the address checked is the address connected to (no DNS rebinding
//! between a check and the connect).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Whether `ip` is loopback, private, link-local, or otherwise not a public host.
#[must_use]
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_internal_v4(v4),
            None => is_internal_v6(v6),
        },
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments().first().copied().unwrap_or_default();
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local fc00::/7 and link-local fe80::/10.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
}

/// A resolver that drops internal addresses (unless allowed), and fails when none is
/// left.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    /// Deliver to internal addresses too (`ROOKERY_WEBHOOK_ALLOW_PRIVATE`).
    pub allow_private: bool,
}

impl GuardedResolver {
    /// As a reqwest resolver.
    #[must_use]
    pub fn shared(self) -> Arc<Self> {
        Arc::new(self)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let lookup = tokio::task::spawn_blocking(move || {
                (host.as_str(), 0).to_socket_addrs().map(Iterator::collect::<Vec<SocketAddr>>)
            });
            let resolved: Vec<SocketAddr> = match lookup.await {
                Ok(Ok(addrs)) => addrs,
                Ok(Err(error)) => return Err(BoxError::from(error)),
                Err(error) => return Err(BoxError::from(error)),
            };
            let kept: Vec<SocketAddr> =
                resolved.into_iter().filter(|addr| allow_private || !is_internal(addr.ip())).collect();
            if kept.is_empty() {
                return Err(BoxError::from(Refused));
            }
            let addrs: Addrs = Box::new(kept.into_iter());
            Ok(addrs)
        })
    }
}

/// The host resolves only to internal addresses.
#[derive(Debug, thiserror::Error)]
#[error("destination refused: the host resolves to a loopback, private or link-local address")]
pub struct Refused;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognised() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "172.32.0.1"] {
            assert!(!is_internal(public.parse().unwrap()), "{public}");
        }
    }
}
