//! AuthService over [`Accounts`].

use std::sync::Arc;

use cordvault_core::path::TreePath;
use cordvault_core::ticket::TicketPurpose;
use cordvault_proto::v1 as pb;
use cordvault_proto::v1::auth_service_server::AuthService;
use tonic::{Request, Response, Status};

use super::convert;
use super::status::{ApiResult, caller};
use crate::listener::PeerAddr;
use crate::services::accounts::Accounts;
use crate::services::app_passwords::AppPasswords;
use crate::services::quotas::Quotas;
use crate::services::ssh_keys::SshKeys;

pub struct AuthApi {
    pub accounts: Arc<Accounts>,
    pub quotas: Quotas,
    pub ssh_keys: SshKeys,
    pub app_passwords: AppPasswords,
}

#[tonic::async_trait]
impl AuthService for AuthApi {
    async fn register(&self, request: Request<pb::RegisterRequest>) -> Result<Response<pb::RegisterResponse>, Status> {
        let caller = caller(&request).ok();
        let body = request.into_inner();
        let user = self.accounts.register(caller.as_ref(), &body.username, &body.password).await.api()?;
        Ok(Response::new(pb::RegisterResponse { user: Some(convert::user(&user)) }))
    }

    async fn login(&self, request: Request<pb::LoginRequest>) -> Result<Response<pb::LoginResponse>, Status> {
        let peer = request.extensions().get::<PeerAddr>().map(|PeerAddr(peer)| peer.ip());
        let body = request.into_inner();
        let (user, issued) = self.accounts.login(&body.username, &body.password, peer).await.api()?;
        Ok(Response::new(pb::LoginResponse {
            token: issued.token,
            expires_at_ms: issued.expires_at_ms,
            user: Some(convert::user(&user)),
        }))
    }

    async fn update_password(
        &self,
        request: Request<pb::UpdatePasswordRequest>,
    ) -> Result<Response<pb::UpdatePasswordResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        let issued = self.accounts.update_password(&caller, &body.old_password, &body.new_password).await.api()?;
        Ok(Response::new(pb::UpdatePasswordResponse { token: issued.token, expires_at_ms: issued.expires_at_ms }))
    }

    async fn who_am_i(&self, request: Request<pb::WhoAmIRequest>) -> Result<Response<pb::WhoAmIResponse>, Status> {
        let caller = caller(&request)?;
        let user = self.accounts.user(caller.user_id).await.api()?;
        let quota = self.quotas.report(caller.user_id).await.api()?;
        Ok(Response::new(pb::WhoAmIResponse { user: Some(convert::user(&user)), quota: Some(convert::quota(&quota)) }))
    }

    async fn create_download_ticket(
        &self,
        request: Request<pb::CreateDownloadTicketRequest>,
    ) -> Result<Response<pb::CreateDownloadTicketResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        let path = match body.purpose() {
            pb::TicketPurpose::Thumbnails => String::new(),
            _ => TreePath::parse(&body.path).api()?.to_string(),
        };
        let purpose = match body.purpose() {
            pb::TicketPurpose::Download => TicketPurpose::Download(&path),
            pb::TicketPurpose::Zip => TicketPurpose::Zip(&path),
            pb::TicketPurpose::Thumbnails => TicketPurpose::Thumbnails,
            pb::TicketPurpose::Unspecified => {
                return Err(Status::invalid_argument("purpose must be DOWNLOAD, ZIP or THUMBNAILS"));
            }
        };
        let issued = self.accounts.issue_ticket(&caller, purpose);
        Ok(Response::new(pb::CreateDownloadTicketResponse {
            ticket: issued.token,
            expires_at_ms: issued.expires_at_ms,
        }))
    }

    async fn add_ssh_key(
        &self,
        request: Request<pb::AddSshKeyRequest>,
    ) -> Result<Response<pb::AddSshKeyResponse>, Status> {
        let caller = caller(&request)?;
        let key = self.ssh_keys.add(&caller, &request.get_ref().public_key).await.api()?;
        Ok(Response::new(pb::AddSshKeyResponse { key: Some(convert::ssh_key(&key)) }))
    }

    async fn list_ssh_keys(
        &self,
        request: Request<pb::ListSshKeysRequest>,
    ) -> Result<Response<pb::ListSshKeysResponse>, Status> {
        let caller = caller(&request)?;
        let keys = self.ssh_keys.list(&caller).await.api()?;
        Ok(Response::new(pb::ListSshKeysResponse { keys: keys.iter().map(convert::ssh_key).collect() }))
    }

    async fn remove_ssh_key(
        &self,
        request: Request<pb::RemoveSshKeyRequest>,
    ) -> Result<Response<pb::RemoveSshKeyResponse>, Status> {
        let caller = caller(&request)?;
        self.ssh_keys.remove(&caller, request.get_ref().id).await.api()?;
        Ok(Response::new(pb::RemoveSshKeyResponse {}))
    }

    async fn create_app_password(
        &self,
        request: Request<pb::CreateAppPasswordRequest>,
    ) -> Result<Response<pb::CreateAppPasswordResponse>, Status> {
        let caller = caller(&request)?;
        let (row, secret) = self.app_passwords.create(&caller, &request.get_ref().label).await.api()?;
        Ok(Response::new(pb::CreateAppPasswordResponse { app_password: Some(convert::app_password(&row)), secret }))
    }

    async fn list_app_passwords(
        &self,
        request: Request<pb::ListAppPasswordsRequest>,
    ) -> Result<Response<pb::ListAppPasswordsResponse>, Status> {
        let caller = caller(&request)?;
        let rows = self.app_passwords.list(&caller).await.api()?;
        Ok(Response::new(pb::ListAppPasswordsResponse {
            app_passwords: rows.iter().map(convert::app_password).collect(),
        }))
    }

    async fn revoke_app_password(
        &self,
        request: Request<pb::RevokeAppPasswordRequest>,
    ) -> Result<Response<pb::RevokeAppPasswordResponse>, Status> {
        let caller = caller(&request)?;
        self.app_passwords.revoke(&caller, request.get_ref().id).await.api()?;
        Ok(Response::new(pb::RevokeAppPasswordResponse {}))
    }
}
