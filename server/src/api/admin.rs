//! AdminService over [`Admin`].

use cordvault_proto::v1 as pb;
use cordvault_proto::v1::admin_service_server::AdminService;
use cordvault_proto::v1::delete_user_request::Files;
use tonic::{Request, Response, Status};

use super::convert;
use super::status::{ApiResult, caller};
use crate::services::admin::{Admin, FilesChoice};
use crate::services::quotas::QuotaSetting;

pub struct AdminApi {
    pub admin: Admin,
}

/// The `files` oneof; `delete_files: false` chooses nothing.
fn files_choice(files: Option<Files>) -> Option<FilesChoice> {
    match files? {
        Files::DeleteFiles(true) => Some(FilesChoice::Delete),
        Files::DeleteFiles(false) => None,
        Files::TransferFilesTo(recipient) => Some(FilesChoice::TransferTo(recipient)),
    }
}

#[tonic::async_trait]
impl AdminService for AdminApi {
    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Result<Response<pb::ListUsersResponse>, Status> {
        let caller = caller(&request)?;
        let users = self.admin.list_users(&caller).await.api()?;
        Ok(Response::new(pb::ListUsersResponse { users: users.iter().map(convert::user).collect() }))
    }

    async fn create_user(
        &self,
        request: Request<pb::CreateUserRequest>,
    ) -> Result<Response<pb::CreateUserResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        let user = self.admin.create_user(&caller, &body.username, &body.password, body.is_admin).await.api()?;
        Ok(Response::new(pb::CreateUserResponse { user: Some(convert::user(&user)) }))
    }

    async fn delete_user(
        &self,
        request: Request<pb::DeleteUserRequest>,
    ) -> Result<Response<pb::DeleteUserResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        let affected = self.admin.delete_user(&caller, &body.username, files_choice(body.files)).await.api()?;
        Ok(Response::new(pb::DeleteUserResponse { affected_entries: affected }))
    }

    async fn set_admin(&self, request: Request<pb::SetAdminRequest>) -> Result<Response<pb::SetAdminResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        let user = self.admin.set_admin(&caller, &body.username, body.is_admin).await.api()?;
        Ok(Response::new(pb::SetAdminResponse { user: Some(convert::user(&user)) }))
    }

    async fn reset_password(
        &self,
        request: Request<pb::ResetPasswordRequest>,
    ) -> Result<Response<pb::ResetPasswordResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        self.admin.reset_password(&caller, &body.username, &body.new_password).await.api()?;
        Ok(Response::new(pb::ResetPasswordResponse {}))
    }

    async fn get_quota(&self, request: Request<pb::GetQuotaRequest>) -> Result<Response<pb::GetQuotaResponse>, Status> {
        let caller = caller(&request)?;
        let report = self.admin.quota(&caller, &request.get_ref().username).await.api()?;
        Ok(Response::new(pb::GetQuotaResponse { quota: Some(convert::quota(&report)) }))
    }

    async fn set_package_premium(
        &self,
        request: Request<pb::SetPackagePremiumRequest>,
    ) -> Result<Response<pb::SetPackagePremiumResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        self.admin.set_package_premium(&caller, &body.package_id, body.premium).await.api()?;
        Ok(Response::new(pb::SetPackagePremiumResponse {}))
    }

    async fn set_quota(&self, request: Request<pb::SetQuotaRequest>) -> Result<Response<pb::SetQuotaResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        let setting = QuotaSetting {
            max_bytes: body.max_bytes,
            max_entries: body.max_entries,
            max_upload_sessions: body.max_upload_sessions,
        };
        let report = self.admin.set_quota(&caller, &body.username, setting).await.api()?;
        Ok(Response::new(pb::SetQuotaResponse { quota: Some(convert::quota(&report)) }))
    }
}
