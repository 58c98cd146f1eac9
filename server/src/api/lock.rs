//! LockService over [`Locks`].

use cordvault_proto::v1 as pb;
use cordvault_proto::v1::lock_service_server::LockService;
use tonic::{Request, Response, Status};

use super::convert;
use super::status::{ApiResult, caller};
use crate::services::locks::{Created, LockRequest, Locks};

pub struct LockApi {
    pub locks: Locks,
}

#[tonic::async_trait]
impl LockService for LockApi {
    async fn create_lock(
        &self,
        request: Request<pb::CreateLockRequest>,
    ) -> Result<Response<pb::CreateLockResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.get_ref();
        let lock_request = LockRequest {
            path: &body.path,
            owner_xml: &body.owner_xml,
            timeout_seconds: body.timeout_seconds,
            shared: body.shared,
            deep: body.deep,
        };
        let response = match self.locks.create(&caller, lock_request).await.api()? {
            Created::Lock(lock) => pb::CreateLockResponse { lock: Some(convert::lock(lock)), conflict: None },
            Created::Conflict(lock) => pb::CreateLockResponse { lock: None, conflict: Some(convert::lock(lock)) },
        };
        Ok(Response::new(response))
    }

    async fn release_lock(
        &self,
        request: Request<pb::ReleaseLockRequest>,
    ) -> Result<Response<pb::ReleaseLockResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.get_ref();
        self.locks.release(&caller, &body.path, &body.token).await.api()?;
        Ok(Response::new(pb::ReleaseLockResponse {}))
    }

    async fn refresh_lock(
        &self,
        request: Request<pb::RefreshLockRequest>,
    ) -> Result<Response<pb::RefreshLockResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.get_ref();
        let lock = self.locks.refresh(&caller, &body.path, &body.token, body.timeout_seconds).await.api()?;
        Ok(Response::new(pb::RefreshLockResponse { lock: Some(convert::lock(lock)) }))
    }

    async fn check_locks(
        &self,
        request: Request<pb::CheckLocksRequest>,
    ) -> Result<Response<pb::CheckLocksResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.get_ref();
        let conflict =
            self.locks.check(&caller, &body.path, body.deep, body.ignore_principal, &body.tokens).await.api()?;
        Ok(Response::new(pb::CheckLocksResponse { conflict: conflict.map(convert::lock) }))
    }

    async fn list_locks(
        &self,
        request: Request<pb::ListLocksRequest>,
    ) -> Result<Response<pb::ListLocksResponse>, Status> {
        let caller = caller(&request)?;
        let locks = self.locks.list(&caller, &request.get_ref().path).await.api()?;
        Ok(Response::new(pb::ListLocksResponse { locks: locks.into_iter().map(convert::lock).collect() }))
    }

    async fn delete_locks(
        &self,
        request: Request<pb::DeleteLocksRequest>,
    ) -> Result<Response<pb::DeleteLocksResponse>, Status> {
        let caller = caller(&request)?;
        let deleted_locks = self.locks.delete(&caller, &request.get_ref().path).await.api()?;
        Ok(Response::new(pb::DeleteLocksResponse { deleted_locks }))
    }
}
