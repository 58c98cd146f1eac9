//! The SFTP server: configuration, the accept loop with its connection
//! limit, and shutdown.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use russh::server::Config;
use russh::{Disconnect, MethodKind, MethodSet, SshId};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::auth::Authorizer;
use crate::fs::SftpFileSystem;
use crate::host_key::HostKey;
use crate::limits::Limits;
use crate::login::{Gatekeeper, SharedTree};
use crate::ssh_handler::{Shared, SshConnection};

/// How long `serve` waits for connections to close after a shutdown.
const SHUTDOWN_DRAIN: Duration = Duration::from_secs(5);

/// The SSH identification string: names the software, not its version.
const DEFAULT_SERVER_ID: &str = "SSH-2.0-cordvault";

/// Builds an [`SftpServer`].
pub struct SftpServerBuilder<G> {
    gatekeeper: G,
    host_key: HostKey,
    limits: Limits,
    server_id: String,
}

impl<G: Gatekeeper> SftpServerBuilder<G> {
    /// Replaces all limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The SSH identification string sent to clients (`SSH-2.0-...`).
    pub fn server_id(mut self, server_id: impl Into<String>) -> Self {
        self.server_id = server_id.into();
        self
    }

    pub fn build(self) -> SftpServer<G> {
        let (shutdown, _) = watch::channel(false);
        let methods: &[MethodKind] = if self.gatekeeper.accepts_passwords() {
            &[MethodKind::PublicKey, MethodKind::Password]
        } else {
            &[MethodKind::PublicKey]
        };
        let config = Config {
            server_id: SshId::Standard(Cow::Owned(self.server_id)),
            methods: MethodSet::from(methods),
            // OpenSSH starts with a "none" probe; answering it at once
            // saves every connection a second, the real rejections still wait.
            auth_rejection_time: Duration::from_secs(1),
            auth_rejection_time_initial: Some(Duration::ZERO),
            keys: vec![self.host_key.private_key().clone()],
            max_auth_attempts: self.limits.max_auth_attempts,
            inactivity_timeout: Some(self.limits.idle_timeout),
            // No keepalives: a client's replies to them would count as
            // activity and an idle connection would never time out.
            keepalive_interval: None,
            nodelay: true,
            ..Config::default()
        };
        let connections = Arc::new(Semaphore::new(self.limits.max_connections));
        SftpServer {
            shared: Arc::new(Shared { gatekeeper: self.gatekeeper, limits: self.limits }),
            config: Arc::new(config),
            host_key: self.host_key,
            connections,
            shutdown,
        }
    }
}

/// An SFTP server: logins decided by a [`Gatekeeper`], the `sftp`
/// subsystem only.
pub struct SftpServer<G> {
    shared: Arc<Shared<G>>,
    config: Arc<Config>,
    host_key: HostKey,
    connections: Arc<Semaphore>,
    shutdown: watch::Sender<bool>,
}

/// Stops a running [`SftpServer::serve`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    shutdown: watch::Sender<bool>,
}

impl ShutdownHandle {
    /// Stops accepting, disconnects every client, and lets `serve` return.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}

impl<F: SftpFileSystem> SftpServer<SharedTree<F>> {
    /// Starts configuring a server that shows `fs` to every client whose
    /// key `authorizer` allows, with `host_key`.
    pub fn builder(fs: F, host_key: HostKey, authorizer: impl Authorizer) -> SftpServerBuilder<SharedTree<F>> {
        SftpServer::with_gatekeeper(SharedTree::new(fs, authorizer), host_key)
    }
}

impl<G: Gatekeeper> SftpServer<G> {
    /// Starts configuring a server whose logins `gatekeeper` decides, with `host_key`.
    pub fn with_gatekeeper(gatekeeper: G, host_key: HostKey) -> SftpServerBuilder<G> {
        SftpServerBuilder { gatekeeper, host_key, limits: Limits::default(), server_id: DEFAULT_SERVER_ID.to_owned() }
    }

    /// The host key clients will see.
    pub fn host_key(&self) -> &HostKey {
        &self.host_key
    }

    /// A handle that stops [`serve`](Self::serve).
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle { shutdown: self.shutdown.clone() }
    }

    /// Serves connections from `listener` until shut down, then disconnects
    /// the clients and waits (briefly) for their connections to close.
    pub async fn serve(&self, listener: TcpListener) {
        let mut shutdown = self.shutdown.subscribe();
        if let Ok(address) = listener.local_addr() {
            tracing::info!(%address, fingerprint = %self.host_key.fingerprint(), "sftp server listening");
        }
        loop {
            if *shutdown.borrow_and_update() {
                break;
            }
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => self.accept(stream, peer),
                    Err(err) => {
                        // Usually out of file descriptors: wait instead of spinning.
                        tracing::warn!(error = %err, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                _ = shutdown.changed() => {}
            }
        }
        drop(listener);
        let all = u32::try_from(self.shared.limits.max_connections).unwrap_or(u32::MAX);
        if tokio::time::timeout(SHUTDOWN_DRAIN, self.connections.acquire_many(all)).await.is_err() {
            tracing::warn!("sftp server stopped with connections still closing");
        } else {
            tracing::info!("sftp server stopped");
        }
    }

    fn accept(&self, stream: TcpStream, peer: SocketAddr) {
        let Ok(permit) = Arc::clone(&self.connections).try_acquire_owned() else {
            tracing::warn!(%peer, limit = self.shared.limits.max_connections, "connection refused: limit reached");
            return;
        };
        tracing::debug!(%peer, "connection accepted");
        let connection = Connection {
            shared: Arc::clone(&self.shared),
            config: Arc::clone(&self.config),
            shutdown: self.shutdown.subscribe(),
            peer,
            _permit: permit,
        };
        tokio::spawn(connection.run(stream));
    }
}

/// One accepted TCP connection, holding its slot until it ends.
struct Connection<G> {
    shared: Arc<Shared<G>>,
    config: Arc<Config>,
    shutdown: watch::Receiver<bool>,
    peer: SocketAddr,
    _permit: OwnedSemaphorePermit,
}

impl<G: Gatekeeper> Connection<G> {
    async fn run(mut self, stream: TcpStream) {
        let peer = self.peer;
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(%peer, error = %err, "set_nodelay failed");
        }
        let authenticated = Arc::new(AtomicBool::new(false));
        let handler = SshConnection::new(Arc::clone(&self.shared), Some(peer), Arc::clone(&authenticated));
        // The login grace counts from the accept and covers the version
        // exchange too, which russh alone would wait for up to the idle timeout.
        let deadline = tokio::time::Instant::now() + self.shared.limits.login_grace;
        let handshake = tokio::time::timeout_at(deadline, russh::server::run_stream(self.config, stream, handler));
        let session = tokio::select! {
            started = handshake => match started {
                Ok(Ok(session)) => session,
                Ok(Err(err)) => {
                    tracing::debug!(%peer, error = %err, "ssh handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "ssh handshake timed out");
                    return;
                }
            },
            _ = self.shutdown.wait_for(|stop| *stop) => return,
        };
        let handle = session.handle();
        let grace_over = async {
            tokio::time::sleep_until(deadline).await;
            if authenticated.load(Ordering::Acquire) {
                std::future::pending::<()>().await;
            }
        };
        let shutdown = self.shutdown.wait_for(|stop| *stop);
        tokio::pin!(session, grace_over, shutdown);
        let reason = tokio::select! {
            result = &mut session => {
                match result {
                    Ok(()) => tracing::debug!(%peer, "connection closed"),
                    Err(err) => tracing::debug!(%peer, error = %err, "connection ended with an error"),
                }
                return;
            }
            _ = &mut grace_over => {
                tracing::info!(%peer, "disconnecting: not authenticated in time");
                "authentication timeout"
            }
            _ = &mut shutdown => "server shutting down",
        };
        let _ = handle.disconnect(Disconnect::ByApplication, reason.to_owned(), String::new()).await;
        let _ = tokio::time::timeout(SHUTDOWN_DRAIN, session).await;
    }
}
