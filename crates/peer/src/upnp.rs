//! UPnP port mapping for `cordvault peer --upnp`.
//!
//! The original tool ran `upnpc -r PORT tcp`, which asks for a permanent
//! mapping (lease 0): a peer that crashed or lost power left its port open on
//! the router for good. Here the mapping has a finite [`LEASE`] that the peer
//! renews every [`renew_interval`], so a dead peer's mapping expires by itself,
//! and a clean shutdown removes it at once with [`PortMapping::close`].
//!
//! UPnP is best effort: many routers have it off. The caller is expected to
//! keep the peer running without a mapping when [`PortMapping::open`] fails
//! (most often with [`UpnpError::NoGateway`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::time::Duration;

use igd_next::aio::Gateway;
use igd_next::aio::tokio::{Tokio, search_gateway};
use igd_next::{AddPortError, GetExternalIpError, PortMappingProtocol, RemovePortError, SearchError, SearchOptions};

/// How long the gateway keeps a mapping unless it is renewed. An hour bounds
/// how long a crashed peer's port stays open, while renewals stay rare.
pub const LEASE: Duration = Duration::from_secs(3600);

/// The description routers show in their port-forwarding list.
pub const DESCRIPTION: &str = "cordvault peer";

/// How long to wait for a gateway by default. igd-next's own default (10 s)
/// is long to hold up a peer's start-up on a network that has no UPnP at all;
/// a router on the LAN answers within milliseconds.
pub const DEFAULT_SEARCH_TIMEOUT: Duration = Duration::from_secs(3);

/// How often to call [`PortMapping::renew`]: half the lease, so that one lost
/// renewal still leaves time for the next before the mapping expires.
pub fn renew_interval() -> Duration {
    LEASE / 2
}

/// Where and how long to search for the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpnpOptions {
    /// Local address of the SSDP search socket.
    pub bind_addr: SocketAddr,
    /// Where the SSDP M-SEARCH is sent (the SSDP multicast group by default).
    pub broadcast_address: SocketAddr,
    /// How long to wait for a usable gateway before giving up.
    pub timeout: Duration,
    /// Addresses trusted as the gateway besides the one that answered the
    /// search. igd-next refuses loopback gateways unless listed here, which
    /// only a test on 127.0.0.1 needs.
    pub allowed_gateway_ips: Vec<IpAddr>,
}

impl Default for UpnpOptions {
    fn default() -> Self {
        let igd = SearchOptions::default();
        Self {
            bind_addr: igd.bind_addr,
            broadcast_address: igd.broadcast_address,
            timeout: DEFAULT_SEARCH_TIMEOUT,
            allowed_gateway_ips: igd.allowed_gateway_ips,
        }
    }
}

impl UpnpOptions {
    fn search_options(&self) -> SearchOptions {
        // SearchOptions is #[non_exhaustive]: it can only be built by mutation.
        let mut igd = SearchOptions::default();
        igd.bind_addr = self.bind_addr;
        igd.broadcast_address = self.broadcast_address;
        igd.timeout = Some(self.timeout);
        igd.allowed_gateway_ips = self.allowed_gateway_ips.clone();
        igd
    }
}

/// Why a port mapping could not be made, renewed or removed.
#[derive(Debug, thiserror::Error)]
pub enum UpnpError {
    #[error(
        "no UPnP gateway answered within {} ms; the peer keeps running without a port mapping, \
         so peers outside this network may not reach it (forward the port by hand and pass \
         --advertise-address, or enable UPnP on the router)",
        timeout.as_millis()
    )]
    NoGateway { timeout: Duration },
    #[error("UPnP gateway search failed: {0}")]
    Search(#[source] SearchError),
    #[error(
        "could not tell which local address the UPnP gateway at {gateway} reaches this machine on; \
         bind the peer to a specific IPv4 address"
    )]
    NoLocalAddress { gateway: SocketAddr },
    #[error("the UPnP gateway did not report its external IP address: {0}")]
    ExternalIp(#[source] GetExternalIpError),
    #[error("the UPnP gateway reports external address {0}, which is not a usable public IPv4 address")]
    UnusableExternalIp(IpAddr),
    #[error("the UPnP gateway refused to map TCP port {external_port}: {source}")]
    MappingRefused {
        external_port: u16,
        #[source]
        source: AddPortError,
    },
    #[error("removing the UPnP mapping of TCP port {external_port} failed: {source}")]
    Remove {
        external_port: u16,
        #[source]
        source: RemovePortError,
    },
}

/// A TCP port mapping held on the LAN's UPnP gateway.
///
/// Dropping it does not remove the mapping (that needs an async request);
/// call [`close`](Self::close), or the mapping expires after [`LEASE`].
#[derive(Debug)]
pub struct PortMapping {
    gateway: Gateway<Tokio>,
    local: SocketAddrV4,
    external: SocketAddrV4,
    /// Lease in seconds as granted: [`LEASE`], or 0 on a gateway that only
    /// takes permanent mappings.
    lease_secs: u32,
}

impl PortMapping {
    /// Finds the gateway and maps `external_port` on it to `local`.
    ///
    /// `local` may be unspecified (a peer bound to 0.0.0.0): the mapping then
    /// targets this machine's address on the gateway's network.
    pub async fn open(
        options: &UpnpOptions,
        local: SocketAddrV4,
        external_port: u16,
    ) -> Result<PortMapping, UpnpError> {
        let gateway = search_gateway(options.search_options()).await.map_err(|e| match e {
            // igd-next skips answers it cannot use and keeps listening, so a
            // timeout also covers "only unusable devices answered".
            SearchError::NoResponseWithinTimeout => UpnpError::NoGateway { timeout: options.timeout },
            e => UpnpError::Search(e),
        })?;
        tracing::debug!(gateway = %gateway.addr, root = %gateway.root_url, "found UPnP gateway");

        let local = if local.ip().is_unspecified() {
            let ip = local_address_towards(gateway.addr).ok_or(UpnpError::NoLocalAddress { gateway: gateway.addr })?;
            SocketAddrV4::new(ip, local.port())
        } else {
            local
        };

        // Asked before mapping, so that a gateway with no usable WAN address
        // leaves nothing behind to clean up.
        let external_ip = match gateway.get_external_ip().await.map_err(UpnpError::ExternalIp)? {
            IpAddr::V4(ip) if !ip.is_unspecified() => ip,
            ip => return Err(UpnpError::UnusableExternalIp(ip)),
        };
        if is_private(external_ip) {
            tracing::warn!(
                %external_ip,
                "the UPnP gateway is itself behind NAT; the mapping only reaches the network in front of it"
            );
        }

        let mapping = PortMapping {
            gateway,
            local,
            external: SocketAddrV4::new(external_ip, external_port),
            lease_secs: LEASE.as_secs() as u32,
        };
        // A router that only takes permanent mappings (UPnP error 725) gets
        // none: a permanent mapping outlives a crashed peer, the original's
        // hole. The peer runs on without one and says so.
        mapping.add().await?;
        tracing::info!(external = %mapping.external, local = %mapping.local, lease_secs = mapping.lease_secs, "UPnP port mapping added");
        Ok(mapping)
    }

    /// The address other peers reach this one on: the gateway's external IP
    /// and the mapped port.
    pub fn external_addr(&self) -> SocketAddrV4 {
        self.external
    }

    /// Extends the lease. AddPortMapping on an existing mapping of ours
    /// resets its lease, and re-creates it if the router forgot it (reboot).
    pub async fn renew(&self) -> Result<(), UpnpError> {
        self.add().await?;
        tracing::debug!(external = %self.external, "UPnP port mapping renewed");
        Ok(())
    }

    /// Removes the mapping from the gateway.
    pub async fn close(self) -> Result<(), UpnpError> {
        let port = self.external.port();
        match self.gateway.remove_port(PortMappingProtocol::TCP, port).await {
            // Already gone (lease ran out, router rebooted): the goal is met.
            Ok(()) | Err(RemovePortError::NoSuchPortMapping) => {
                tracing::info!(external = %self.external, "UPnP port mapping removed");
                Ok(())
            }
            Err(source) => Err(UpnpError::Remove { external_port: port, source }),
        }
    }

    async fn add(&self) -> Result<(), UpnpError> {
        let port = self.external.port();
        self.gateway
            .add_port(PortMappingProtocol::TCP, port, SocketAddr::V4(self.local), self.lease_secs, DESCRIPTION)
            .await
            .map_err(|source| UpnpError::MappingRefused { external_port: port, source })
    }
}

/// This machine's IPv4 address on the route towards `gateway`.
///
/// Connecting a UDP socket sends nothing; it only makes the kernel pick the
/// route and source address, which is the LAN address the gateway must
/// forward to. `None` for an IPv6 gateway or when there is no route.
pub fn local_address_towards(gateway: SocketAddr) -> Option<Ipv4Addr> {
    if !gateway.is_ipv4() {
        return None;
    }
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect(gateway).ok()?;
    match socket.local_addr().ok()?.ip() {
        IpAddr::V4(ip) if !ip.is_unspecified() => Some(ip),
        _ => None,
    }
}

/// RFC 1918 and RFC 6598 (carrier-grade NAT) addresses: an external IP in
/// these ranges means another NAT sits in front of the gateway.
fn is_private(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private() || (a == 100 && (64..128).contains(&b))
}
