//! What one SFTP server lets its clients use.

use std::time::Duration;

/// Resource limits; the defaults suit a personal share on the internet.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections served at once; further ones are closed on accept.
    pub max_connections: usize,
    /// Session channels (each one SFTP session) per connection; OpenSSH
    /// and rclone use one.
    pub max_sessions_per_connection: usize,
    /// Open file and directory handles per SFTP session; announced to
    /// clients through `limits@openssh.com`.
    pub max_handles_per_session: usize,
    /// A connection that sends nothing for this long is closed.
    pub idle_timeout: Duration,
    /// A connection must have authenticated within this time, so that
    /// unauthenticated clients cannot hold connection slots.
    pub login_grace: Duration,
    /// Failed authentication attempts before the connection is closed.
    pub max_auth_attempts: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 32,
            max_sessions_per_connection: 4,
            max_handles_per_session: 256,
            idle_timeout: Duration::from_secs(600),
            login_grace: Duration::from_secs(30),
            max_auth_attempts: 6,
        }
    }
}
