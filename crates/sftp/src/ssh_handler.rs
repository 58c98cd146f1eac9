//! One SSH connection: logins through the server's [`Gatekeeper`], session
//! channels that may only run the `sftp` subsystem.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use russh::keys::{HashAlg, PublicKey};
use russh::server::{Auth, ChannelOpenHandle, Msg, PublicKeyOffer, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, ChannelOpenFailure, Pty};

use crate::limits::Limits;
use crate::login::Gatekeeper;
use crate::sftp_handler::{MAX_PACKET_LEN, SftpHandler};

/// Client requests buffered ahead of the request loop, per session: room
/// for OpenSSH's 64 pipelined requests, including 64 writes of 32 KiB
/// (beyond it the client waits, which is ordinary back-pressure).
const REQUEST_BUFFER: usize = 4 * 1024 * 1024;

/// What every connection of a server shares.
pub(crate) struct Shared<G> {
    pub(crate) gatekeeper: G,
    pub(crate) limits: Limits,
}

/// russh's per-connection handler.
pub(crate) struct SshConnection<G: Gatekeeper> {
    shared: Arc<Shared<G>>,
    peer: Option<SocketAddr>,
    /// Set once authentication succeeded; read by the login-grace timer.
    authenticated: Arc<AtomicBool>,
    /// The user name the client authenticated as, and the tree it sees.
    login: Option<(String, Arc<G::Fs>)>,
    /// Session channels opened but not yet running SFTP.
    pending: HashMap<ChannelId, Channel<Msg>>,
    /// All open session channels, to bound them per connection.
    open: HashSet<ChannelId>,
}

impl<G: Gatekeeper> SshConnection<G> {
    pub(crate) fn new(shared: Arc<Shared<G>>, peer: Option<SocketAddr>, authenticated: Arc<AtomicBool>) -> Self {
        Self { shared, peer, authenticated, login: None, pending: HashMap::new(), open: HashSet::new() }
    }

    fn peer(&self) -> String {
        self.peer.map(|peer| peer.to_string()).unwrap_or_default()
    }

    /// Refuses a channel request that is not SFTP. Closing matters for
    /// exec and shell: clients (rclone) that probe with exec otherwise wait
    /// forever for the reply.
    fn refuse_and_close(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), russh::Error> {
        self.pending.remove(&channel);
        session.channel_failure(channel)?;
        session.close(channel)
    }
}

fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

impl<G: Gatekeeper> russh::server::Handler for SshConnection<G> {
    type Error = russh::Error;

    /// Asked before the client proves it holds the key: refusing here spares
    /// signatures for keys that would be refused anyway.
    async fn auth_publickey_offered(&mut self, user: &str, offer: PublicKeyOffer<'_>) -> Result<Auth, Self::Error> {
        if self.shared.gatekeeper.key_offered(user, offer.public_key).await {
            Ok(Auth::Accept)
        } else {
            tracing::info!(
                peer = %self.peer(),
                user,
                key = %fingerprint(offer.public_key),
                "public key not authorised"
            );
            Ok(Auth::reject())
        }
    }

    /// The client proved it holds the key.
    async fn auth_publickey(&mut self, user: &str, key: VerifiedPublicKey<'_>) -> Result<Auth, Self::Error> {
        let Some(fs) = self.shared.gatekeeper.key_login(user, key.public_key).await else {
            return Ok(Auth::reject());
        };
        tracing::info!(peer = %self.peer(), user, key = %fingerprint(key.public_key), "client authenticated");
        self.login = Some((user.to_owned(), fs));
        Ok(Auth::Accept)
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        if !self.shared.gatekeeper.accepts_passwords() {
            return Ok(Auth::reject());
        }
        let Some(fs) = self.shared.gatekeeper.password_login(user, password).await else {
            tracing::info!(peer = %self.peer(), user, "password refused");
            return Ok(Auth::reject());
        };
        tracing::info!(peer = %self.peer(), user, "client authenticated with a password");
        self.login = Some((user.to_owned(), fs));
        Ok(Auth::Accept)
    }

    async fn auth_succeeded(&mut self, _session: &mut Session) -> Result<(), Self::Error> {
        self.authenticated.store(true, Ordering::Release);
        Ok(())
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.open.len() >= self.shared.limits.max_sessions_per_connection {
            tracing::warn!(peer = %self.peer(), limit = self.shared.limits.max_sessions_per_connection, "session channel refused: limit reached");
            reply.reject(ChannelOpenFailure::ResourceShortage).await;
            return Ok(());
        }
        self.open.insert(channel.id());
        self.pending.insert(channel.id(), channel);
        reply.accept().await;
        Ok(())
    }

    async fn channel_close(&mut self, channel: ChannelId, _session: &mut Session) -> Result<(), Self::Error> {
        self.pending.remove(&channel);
        self.open.remove(&channel);
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let pending = self.pending.remove(&channel);
        let (Some(stream), Some((user, fs))) = (pending.filter(|_| name == "sftp"), self.login.clone()) else {
            tracing::debug!(peer = %self.peer(), subsystem = name, "subsystem refused");
            return self.refuse_and_close(channel, session);
        };
        session.channel_success(channel)?;
        tracing::debug!(peer = %self.peer(), user, "sftp subsystem started");
        let handler = SftpHandler::new(fs, self.shared.limits.max_handles_per_session, user);
        let config = russh_sftp::server::Config { max_client_packet_len: MAX_PACKET_LEN };
        // russh-sftp answers one request at a time, and a reply waits for
        // the client's window. Meanwhile russh's session loop must keep
        // reading the socket (that is where the window adjusts arrive), but
        // it blocks once the channel's queue of incoming data is full: with
        // OpenSSH's 64 pipelined reads, a download deadlocked after ~28 MiB.
        // A task drains the channel into a buffer instead, so the loop never
        // waits on the request handler.
        let (mut from_client, to_client) = tokio::io::split(stream.into_stream());
        let (mut requests_in, requests_out) = tokio::io::duplex(REQUEST_BUFFER);
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut from_client, &mut requests_in).await;
            // Dropping requests_in ends the request loop with EOF.
        });
        // Spawns the request loop and returns at once.
        russh_sftp::server::run_with_config(tokio::io::join(requests_out, to_client), handler, config).await;
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        tracing::debug!(peer = %self.peer(), "exec refused");
        self.refuse_and_close(channel, session)
    }

    async fn shell_request(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        tracing::debug!(peer = %self.peer(), "shell refused");
        self.refuse_and_close(channel, session)
    }

    // Terminal, X11 and environment requests are answered "no" (when the
    // client asks for an answer at all) and the channel stays usable.

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }

    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _single_connection: bool,
        _x11_auth_protocol: &str,
        _x11_auth_cookie: &str,
        _x11_screen_number: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        _variable_name: &str,
        _variable_value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }
}
