//! The caller's other credentials: SSH public keys for the SFTP gateway and
//! app passwords, which log in in place of the password.

use cordvault_proto::v1 as pb;

use crate::client::required;
use crate::error::from_status;
use crate::{Client, Result};

/// A new app password: the secret is shown this once.
#[derive(Debug, Clone)]
pub struct CreatedAppPassword {
    pub app_password: pb::AppPassword,
    /// What to give [`Client::login`] as the password.
    pub secret: String,
}

impl Client {
    /// Adds an SSH public key, one authorized_keys line ("ssh-ed25519 AAAA... comment").
    pub async fn add_ssh_key(&self, public_key: &str) -> Result<pb::SshKey> {
        let request = pb::AddSshKeyRequest { public_key: public_key.into() };
        let response = self.auth_service()?.add_ssh_key(request).await.map_err(from_status)?;
        required(response.into_inner().key, "key")
    }

    /// The caller's SSH keys, oldest first.
    pub async fn list_ssh_keys(&self) -> Result<Vec<pb::SshKey>> {
        let response = self.auth_service()?.list_ssh_keys(pb::ListSshKeysRequest {}).await.map_err(from_status)?;
        Ok(response.into_inner().keys)
    }

    /// Removes one of the caller's SSH keys.
    pub async fn remove_ssh_key(&self, id: i64) -> Result<()> {
        self.auth_service()?.remove_ssh_key(pb::RemoveSshKeyRequest { id }).await.map_err(from_status)?;
        Ok(())
    }

    /// Creates an app password labelled `label`.
    pub async fn create_app_password(&self, label: &str) -> Result<CreatedAppPassword> {
        let request = pb::CreateAppPasswordRequest { label: label.into() };
        let response = self.auth_service()?.create_app_password(request).await.map_err(from_status)?.into_inner();
        Ok(CreatedAppPassword {
            app_password: required(response.app_password, "app_password")?,
            secret: response.secret,
        })
    }

    /// The caller's app passwords, oldest first (without their secrets).
    pub async fn list_app_passwords(&self) -> Result<Vec<pb::AppPassword>> {
        let request = pb::ListAppPasswordsRequest {};
        let response = self.auth_service()?.list_app_passwords(request).await.map_err(from_status)?;
        Ok(response.into_inner().app_passwords)
    }

    /// Revokes one of the caller's app passwords: logging in with it fails from now on.
    pub async fn revoke_app_password(&self, id: i64) -> Result<()> {
        self.auth_service()?.revoke_app_password(pb::RevokeAppPasswordRequest { id }).await.map_err(from_status)?;
        Ok(())
    }
}
