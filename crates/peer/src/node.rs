//! A running peer: its advert kept fresh in the channel, discovery of the
//! others, and (unless client-only) the SFTP server sharing its folder to
//! the client keys of live, trusted peers.

use std::collections::{BTreeSet, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use cordvault_sftp::{AuthorizedKeys, LocalFolder, PublicKey, SftpError, SftpServer, ShutdownHandle};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::advert::{Advert, Endpoint, unix_now};
use crate::channel::AdvertChannel;
use crate::discovery::{ChannelMessage, Peer, PeerTable, PinStore};
use crate::error::PeerError;
use crate::identity::{ALLOW_FILE, Identity};
use crate::upnp::{PortMapping, UpnpOptions, renew_interval};

/// How often the advert is refreshed (edited in place).
pub const ANNOUNCE_EVERY: Duration = Duration::from_secs(30);
/// How often the channel is read.
pub const DISCOVER_EVERY: Duration = Duration::from_secs(10);
/// An unknown client key triggers an early read, at most this often.
const MIN_REFRESH_GAP: Duration = Duration::from_secs(2);
/// When the channel is read a second time after start-up.
const FIRST_REREAD: Duration = Duration::from_secs(3);

/// What to share, and where.
#[derive(Debug, Clone)]
pub struct ShareOptions {
    pub folder: PathBuf,
    pub bind: SocketAddr,
    /// The address and port others should dial, when not the bound ones
    /// (NAT, a port forward, a DNS name).
    pub advertise: Option<Endpoint>,
    pub writable: bool,
    pub dotfiles: bool,
    /// Map the port on the LAN's UPnP gateway and advertise its external address.
    pub upnp: Option<UpnpOptions>,
}

#[derive(Debug, Clone)]
pub struct PeerOptions {
    pub instance: String,
    /// `None`: client-only, no server; the advert carries only the client key.
    pub share: Option<ShareOptions>,
    /// If not empty, only these instances' client keys may connect.
    pub allow: Vec<String>,
    pub announce_every: Duration,
    pub discover_every: Duration,
}

impl PeerOptions {
    pub fn new(instance: impl Into<String>, share: Option<ShareOptions>) -> PeerOptions {
        PeerOptions {
            instance: instance.into(),
            share,
            allow: Vec::new(),
            announce_every: ANNOUNCE_EVERY,
            discover_every: DISCOVER_EVERY,
        }
    }
}

/// State the loops, the server's authorizer and the shell share.
struct State {
    table: Mutex<PeerTable>,
    /// `--allow`: the instances whose keys may connect (empty: all).
    allow: BTreeSet<String>,
    /// Keys from the allow file, let in whatever the channel says.
    extra_keys: AuthorizedKeys,
    /// Wakes discovery early (an unknown key knocked, or the shell asked).
    refresh: Notify,
    /// Wakes the announcer early: our advert scrolled out of reach.
    repost: Notify,
    /// Our advert message, once posted.
    own_message: Mutex<Option<u64>>,
    /// Warnings not yet shown to the user, and those already shown.
    pending_warnings: Mutex<Vec<String>>,
    shown_warnings: Mutex<HashSet<String>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not take the peer down with it.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl State {
    fn may_connect(&self, key: &PublicKey) -> bool {
        if self.extra_keys.contains(key) {
            return true;
        }
        let now = unix_now();
        lock(&self.table).peers(now).iter().any(|peer| {
            peer.client_key.key_data() == key.key_data()
                && (self.allow.is_empty() || self.allow.contains(&peer.instance))
        })
    }

    fn warn(&self, warning: String) {
        if lock(&self.shown_warnings).insert(warning.clone()) {
            tracing::warn!("{warning}");
            lock(&self.pending_warnings).push(warning);
        }
    }
}

/// A running peer. Call [`PeerNode::shutdown`] to leave: it deletes the
/// advert, which dropping the node does not.
pub struct PeerNode {
    identity: Identity,
    channel: AdvertChannel,
    options: PeerOptions,
    state: Arc<State>,
    endpoint: Option<Endpoint>,
    local_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    /// Taken by [`PeerNode::shutdown`].
    loops: Mutex<Vec<JoinHandle<()>>>,
    server: Mutex<Option<(ShutdownHandle, JoinHandle<()>)>>,
    mapping: Mutex<Option<Arc<PortMapping>>>,
}

impl PeerNode {
    /// Starts the server (unless client-only), posts the advert and reads
    /// the channel once, so that [`peers`](Self::peers) is filled on return.
    pub async fn start(
        identity: Identity,
        channel: AdvertChannel,
        options: PeerOptions,
    ) -> Result<PeerNode, PeerError> {
        let pins = PinStore::in_dir(identity.config_dir())?;
        let allow_file = identity.config_dir().join(ALLOW_FILE);
        let extra_keys = if allow_file.exists() { AuthorizedKeys::load(&allow_file)? } else { AuthorizedKeys::new() };
        let state = Arc::new(State {
            table: Mutex::new(PeerTable::new(pins)),
            allow: options.allow.iter().cloned().collect(),
            extra_keys,
            refresh: Notify::new(),
            repost: Notify::new(),
            own_message: Mutex::new(None),
            pending_warnings: Mutex::default(),
            shown_warnings: Mutex::default(),
        });
        let (stop, _) = watch::channel(false);
        let mut node = PeerNode {
            identity,
            channel,
            options,
            state,
            endpoint: None,
            local_addr: None,
            stop,
            loops: Mutex::default(),
            server: Mutex::default(),
            mapping: Mutex::default(),
        };
        if let Some(share) = node.options.share.clone() {
            node.start_server(&share).await?;
        }
        node.announce().await?;
        // One read serves both: the peer table, and what an earlier run left.
        let messages = node.channel.recent().await?;
        take_in(&node.state, &messages);
        node.delete_leftover_adverts(messages).await;
        node.spawn_loops();
        node.spawn_renewal();
        Ok(node)
    }

    async fn start_server(&mut self, share: &ShareOptions) -> Result<(), PeerError> {
        let folder = LocalFolder::new(&share.folder)?.writable(share.writable).dotfiles(share.dotfiles);
        let listener = TcpListener::bind(share.bind).await.map_err(SftpError::Listener)?;
        let local_addr = listener.local_addr().map_err(SftpError::Listener)?;
        let state = Arc::clone(&self.state);
        let authorizer = move |_user: &str, key: &PublicKey| {
            let allowed = state.may_connect(key);
            if !allowed {
                // Maybe a peer that just announced itself: look again soon.
                state.refresh.notify_one();
            }
            allowed
        };
        let server = SftpServer::builder(folder, self.identity.host_key.clone(), authorizer).build();
        let handle = server.shutdown_handle();
        let task = tokio::spawn(async move { server.serve(listener).await });
        *lock(&self.server) = Some((handle, task));
        self.local_addr = Some(local_addr);
        self.endpoint = Some(match &share.advertise {
            Some(endpoint) => endpoint.clone(),
            None => Endpoint { address: reachable_ip(local_addr.ip()).to_string(), port: local_addr.port() },
        });
        if let Some(upnp) = &share.upnp {
            self.map_port(upnp, local_addr, share.advertise.is_none()).await;
        }
        Ok(())
    }

    /// Maps the server's port on the UPnP gateway. Without a gateway the
    /// peer runs on unmapped, with a warning: LAN peers can still reach it.
    async fn map_port(&mut self, upnp: &UpnpOptions, local_addr: SocketAddr, advertise_external: bool) {
        let SocketAddr::V4(local) = local_addr else {
            self.state.warn("UPnP maps IPv4 only; the server is bound to IPv6, so no mapping was made".into());
            return;
        };
        match PortMapping::open(upnp, local, local.port()).await {
            Ok(mapping) => {
                let external = mapping.external_addr();
                tracing::info!(%external, "UPnP port mapping open");
                if advertise_external {
                    self.endpoint = Some(Endpoint { address: external.ip().to_string(), port: external.port() });
                }
                *lock(&self.mapping) = Some(Arc::new(mapping));
            }
            Err(err) => self.state.warn(format!("UPnP: {err}")),
        }
    }

    fn advert_source(&self) -> AdvertSource {
        AdvertSource {
            instance: self.options.instance.clone(),
            endpoint: self.endpoint.clone(),
            identity: self.identity.clone(),
        }
    }

    async fn announce(&self) -> Result<(), PeerError> {
        announce(&self.channel, &self.state, &self.advert_source().message()?).await
    }

    async fn discover(&self) -> Result<(), PeerError> {
        discover(&self.channel, &self.state).await
    }

    /// Adverts of this instance and host key that an earlier run left
    /// behind (killed with -9): ours to delete.
    async fn delete_leftover_adverts(&self, messages: Vec<ChannelMessage>) {
        let own = *lock(&self.state.own_message);
        let host_key = self.identity.host_key.public_key().key_data().clone();
        for message in messages {
            if message.author_id != self.channel.bot_user() || Some(message.message_id) == own {
                continue;
            }
            // Signature checked, age not: a leftover may be long stale.
            let Ok(advert) = Advert::parse_verified_any_age(&message.content) else { continue };
            if advert.instance() == self.options.instance && *advert.host_key().key_data() == host_key {
                tracing::info!(message = message.message_id, "deleting an advert left by an earlier run");
                let _ = self.channel.delete(message.message_id).await;
            }
        }
    }

    fn spawn_loops(&mut self) {
        let (channel, state, mut stop) = (self.channel.clone(), Arc::clone(&self.state), self.stop.subscribe());
        let every = self.options.discover_every;
        lock(&self.loops).push(tokio::spawn(async move {
            let mut last = tokio::time::Instant::now();
            // The first read comes early: peers started at the same moment
            // as this one had not posted yet when start() read the channel.
            let mut next = last + every.min(FIRST_REREAD);
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(next) => {}
                    _ = state.refresh.notified() => {
                        tokio::time::sleep_until(last + MIN_REFRESH_GAP).await;
                    }
                    _ = stop.changed() => return,
                }
                last = tokio::time::Instant::now();
                next = last + every;
                if let Err(err) = discover(&channel, &state).await {
                    tracing::warn!(error = %err, "reading the channel failed; trying again later");
                }
            }
        }));
        let (channel, state, mut stop) = (self.channel.clone(), Arc::clone(&self.state), self.stop.subscribe());
        let every = self.options.announce_every;
        let advert = self.advert_source();
        lock(&self.loops).push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = state.repost.notified() => {
                        // Post anew: the old message is out of everyone's view.
                        let old = lock(&state.own_message).take();
                        if let Some(old) = old {
                            let _ = channel.delete(old).await;
                        }
                    }
                    _ = stop.changed() => return,
                }
                let result = match advert.message() {
                    Ok(message) => announce(&channel, &state, &message).await,
                    Err(err) => Err(err),
                };
                if let Err(err) = result {
                    tracing::warn!(error = %err, "refreshing the advert failed; trying again later");
                }
            }
        }));
    }

    fn spawn_renewal(&mut self) {
        let Some(mapping) = lock(&self.mapping).clone() else { return };
        let mut stop = self.stop.subscribe();
        lock(&self.loops).push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(renew_interval()) => {}
                    _ = stop.changed() => return,
                }
                if let Err(err) = mapping.renew().await {
                    tracing::warn!(error = %err, "renewing the UPnP mapping failed; trying again later");
                }
            }
        }));
    }

    /// The UPnP mapping's external address, if one is open.
    pub fn external_addr(&self) -> Option<std::net::SocketAddrV4> {
        lock(&self.mapping).as_ref().map(|mapping| mapping.external_addr())
    }

    pub fn instance(&self) -> &str {
        &self.options.instance
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    pub fn channel(&self) -> &AdvertChannel {
        &self.channel
    }

    /// Where the SFTP server listens (`None` when client-only).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// What the advert tells others to dial.
    pub fn endpoint(&self) -> Option<&Endpoint> {
        self.endpoint.as_ref()
    }

    /// The advert message's id, once posted.
    pub fn advert_message_id(&self) -> Option<u64> {
        *lock(&self.state.own_message)
    }

    /// Live, trusted peers (this one included, as in the original).
    pub fn peers(&self) -> Vec<Peer> {
        lock(&self.state.table).peers(unix_now())
    }

    pub fn peer(&self, instance: &str) -> Result<Peer, PeerError> {
        lock(&self.state.table).peer(instance, unix_now()).ok_or_else(|| PeerError::UnknownPeer(instance.to_owned()))
    }

    /// Warnings raised since the last call (a changed host key...), each once.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.state.pending_warnings))
    }

    /// Trusts the new host key `instance` now advertises; returns its fingerprint.
    pub fn accept(&self, instance: &str) -> Result<String, PeerError> {
        let fingerprint = lock(&self.state.table).accept(instance)?;
        lock(&self.state.shown_warnings).clear();
        Ok(fingerprint)
    }

    /// Reads the channel now.
    pub async fn refresh(&self) -> Result<(), PeerError> {
        self.discover().await
    }

    /// Leaves: stops the loops and the server, deletes the advert. Later
    /// calls do nothing.
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        let loops = std::mem::take(&mut *lock(&self.loops));
        for task in loops {
            let _ = task.await;
        }
        let own = lock(&self.state.own_message).take();
        if let Some(message) = own {
            match self.channel.delete(message).await {
                Ok(()) => tracing::info!(message, "advert deleted"),
                Err(err) => tracing::warn!(error = %err, "deleting the advert failed"),
            }
        }
        let mapping = lock(&self.mapping).take();
        if let Some(mapping) = mapping.and_then(Arc::into_inner) {
            match mapping.close().await {
                Ok(()) => tracing::info!("UPnP port mapping removed"),
                Err(err) => tracing::warn!(error = %err, "removing the UPnP mapping failed; its lease ends it"),
            }
        }
        let server = lock(&self.server).take();
        if let Some((handle, task)) = server {
            handle.shutdown();
            let _ = task.await;
        }
    }
}

/// What the announce loop needs to sign a fresh advert.
struct AdvertSource {
    instance: String,
    endpoint: Option<Endpoint>,
    identity: Identity,
}

impl AdvertSource {
    /// The advert as it should read now, signed.
    fn message(&self) -> Result<String, PeerError> {
        let advert = Advert::new(
            &self.instance,
            self.endpoint.clone(),
            self.identity.host_key.public_key(),
            self.identity.client_public_key(),
            unix_now(),
        )?;
        Ok(advert.to_message(self.identity.host_key.private_key())?)
    }
}

/// Edits our advert in place, or posts it if there is none (or it was deleted).
async fn announce(channel: &AdvertChannel, state: &State, content: &str) -> Result<(), PeerError> {
    let current = *lock(&state.own_message);
    if let Some(message) = current
        && channel.edit(message, content).await?
    {
        return Ok(());
    }
    let message = channel.post(content).await?;
    *lock(&state.own_message) = Some(message);
    tracing::debug!(message, "advert posted");
    Ok(())
}

/// Reads the channel and replaces the peer table with what it says now.
async fn discover(channel: &AdvertChannel, state: &State) -> Result<(), PeerError> {
    take_in(state, &channel.recent().await?);
    Ok(())
}

/// Replaces the peer table with what the channel's recent `messages` say.
fn take_in(state: &State, messages: &[ChannelMessage]) {
    let own = *lock(&state.own_message);
    let own_visible = own.is_none_or(|own| messages.iter().any(|message| message.message_id == own));
    let report = lock(&state.table).replace(messages.iter().cloned(), unix_now());
    tracing::debug!(accepted = report.accepted, skipped = report.skipped(), "channel read");
    for warning in lock(&state.table).warnings(unix_now()) {
        state.warn(warning.to_string());
    }
    for warning in report.warnings {
        state.warn(warning.to_string());
    }
    if !own_visible {
        // Edited in place, our advert keeps its first position in the
        // history; newer messages have pushed it beyond what peers read.
        tracing::info!("our advert scrolled out of the channel's recent messages; posting it again");
        state.repost.notify_one();
    }
}

/// The address to advertise for a server bound to `bound`: itself, unless
/// it is the wildcard; then the address of the interface with the default
/// route (found without sending anything), or loopback.
fn reachable_ip(bound: IpAddr) -> IpAddr {
    if !bound.is_unspecified() {
        return bound;
    }
    let probe = || -> std::io::Result<IpAddr> {
        let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
        // TEST-NET-1: a UDP connect only picks a route, no packet leaves.
        socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9))?;
        Ok(socket.local_addr()?.ip())
    };
    probe().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}
