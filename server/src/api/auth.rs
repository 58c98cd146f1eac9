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
use crate::services::quotas::Quotas;

pub struct AuthApi {
    pub accounts: Arc<Accounts>,
    pub quotas: Quotas,
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
}
