//! FileService over [`Tree`].

use cordvault_proto::v1 as pb;
use cordvault_proto::v1::file_service_server::FileService;
use tonic::{Request, Response, Status};

use super::convert;
use super::status::{ApiResult, caller};
use crate::services::tree::Tree;

pub struct FileApi {
    pub tree: Tree,
}

#[tonic::async_trait]
impl FileService for FileApi {
    async fn stat(&self, request: Request<pb::StatRequest>) -> Result<Response<pb::StatResponse>, Status> {
        let caller = caller(&request)?;
        let info = self.tree.stat(&caller, &request.get_ref().path).await.api()?;
        Ok(Response::new(pb::StatResponse { entry: Some(convert::entry(&info)) }))
    }

    async fn list(&self, request: Request<pb::ListRequest>) -> Result<Response<pb::ListResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        let sort_by = convert::sort_by(body.sort_by)?;
        let (entries, next_page_token) = self
            .tree
            .list(&caller, &body.path, body.page_size, &body.page_token, sort_by, body.descending)
            .await
            .api()?;
        Ok(Response::new(pb::ListResponse { entries: entries.iter().map(convert::entry).collect(), next_page_token }))
    }

    async fn create_folder(
        &self,
        request: Request<pb::CreateFolderRequest>,
    ) -> Result<Response<pb::CreateFolderResponse>, Status> {
        let caller = caller(&request)?;
        let info = self.tree.create_folder(&caller, &request.get_ref().path).await.api()?;
        Ok(Response::new(pb::CreateFolderResponse { entry: Some(convert::entry(&info)) }))
    }

    async fn r#move(&self, request: Request<pb::MoveRequest>) -> Result<Response<pb::MoveResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        let policy = convert::conflict_policy(body.conflict_policy)?;
        let info = self.tree.move_entry(&caller, &body.path, &body.destination_folder, policy).await.api()?;
        Ok(Response::new(pb::MoveResponse { entry: Some(convert::entry(&info)) }))
    }

    async fn rename(&self, request: Request<pb::RenameRequest>) -> Result<Response<pb::RenameResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        let policy = convert::conflict_policy(body.conflict_policy)?;
        let info = self.tree.rename(&caller, &body.path, &body.new_name, policy).await.api()?;
        Ok(Response::new(pb::RenameResponse { entry: Some(convert::entry(&info)) }))
    }

    async fn delete(&self, request: Request<pb::DeleteRequest>) -> Result<Response<pb::DeleteResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        let deleted_entries = self.tree.delete(&caller, &body.path, body.recursive).await.api()?;
        Ok(Response::new(pb::DeleteResponse { deleted_entries }))
    }
}
