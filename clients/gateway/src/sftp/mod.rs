//! SFTP in front of the manager: each login gets an [`ApiTree`] acting as
//! that user.

mod file;
mod metadata;
mod tree;

use std::sync::Arc;

use cordvault_sftp::{Gatekeeper, PublicKey};

use crate::logins::Logins;
use crate::staging::StagingArea;
pub use file::ApiFile;
pub use tree::ApiTree;

/// Decides SFTP logins by asking the manager.
pub struct ApiGatekeeper {
    logins: Arc<Logins>,
    staging: Arc<StagingArea>,
}

impl ApiGatekeeper {
    pub fn new(logins: Arc<Logins>, staging: StagingArea) -> Self {
        Self { logins, staging: Arc::new(staging) }
    }

    fn tree(&self, client: cordvault_client::Client) -> Arc<ApiTree> {
        Arc::new(ApiTree::new(client, Arc::clone(&self.staging)))
    }
}

impl Gatekeeper for ApiGatekeeper {
    type Fs = ApiTree;

    fn accepts_passwords(&self) -> bool {
        true
    }

    /// Any key may be offered when key logins are on: whether it is
    /// registered is asked only once the client proved it holds it, so
    /// that the gateway is no oracle of who registered which key.
    async fn key_offered(&self, _user: &str, _key: &PublicKey) -> bool {
        self.logins.takes_keys()
    }

    async fn key_login(&self, user: &str, key: &PublicKey) -> Option<Arc<ApiTree>> {
        let Ok(text) = key.to_openssh() else { return None };
        match self.logins.with_ssh_key(user, &text).await {
            Ok(client) => Some(self.tree(client)),
            Err(err) => {
                tracing::info!(user, error = %err, "sftp key login refused by the manager");
                None
            }
        }
    }

    async fn password_login(&self, user: &str, password: &str) -> Option<Arc<ApiTree>> {
        match self.logins.with_password(user, password).await {
            Ok(client) => Some(self.tree(client)),
            Err(err) => {
                tracing::info!(user, error = %err, "sftp password login refused by the manager");
                None
            }
        }
    }
}
