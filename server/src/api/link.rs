//! LinkService over [`Links`].

use cordvault_proto::v1 as pb;
use cordvault_proto::v1::link_service_server::LinkService;
use tonic::{Request, Response, Status};

use super::status::{ApiResult, caller};
use crate::services::links::{LinkInfo, LinkRequest, Links};

pub struct LinkApi {
    pub links: Links,
}

fn link(info: &LinkInfo) -> pb::Link {
    let row = &info.row;
    pb::Link {
        id: row.id.clone(),
        path: info.path.as_ref().map(ToString::to_string).unwrap_or_default(),
        is_folder: info.is_folder,
        expires_at_ms: row.expires_at.unwrap_or(0),
        has_password: row.password_hash.is_some(),
        max_downloads: row.max_downloads.unwrap_or(0).max(0) as u64,
        downloads: row.downloads.max(0) as u64,
        created_by: info.creator.clone(),
        created_at_ms: row.created_at,
        alive: info.alive(),
        url_path: info.url_path(),
    }
}

#[tonic::async_trait]
impl LinkService for LinkApi {
    async fn create_link(
        &self,
        request: Request<pb::CreateLinkRequest>,
    ) -> Result<Response<pb::CreateLinkResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        let request = LinkRequest {
            path: body.path,
            expires_at_ms: body.expires_at_ms,
            password: body.password,
            max_downloads: body.max_downloads,
        };
        let info = self.links.create(&caller, request).await.api()?;
        Ok(Response::new(pb::CreateLinkResponse { link: Some(link(&info)) }))
    }

    async fn list_links(
        &self,
        request: Request<pb::ListLinksRequest>,
    ) -> Result<Response<pb::ListLinksResponse>, Status> {
        let caller = caller(&request)?;
        let links = self.links.list(&caller, request.get_ref().all).await.api()?;
        Ok(Response::new(pb::ListLinksResponse { links: links.iter().map(link).collect() }))
    }

    async fn revoke_link(
        &self,
        request: Request<pb::RevokeLinkRequest>,
    ) -> Result<Response<pb::RevokeLinkResponse>, Status> {
        let caller = caller(&request)?;
        self.links.revoke(&caller, &request.get_ref().id).await.api()?;
        Ok(Response::new(pb::RevokeLinkResponse {}))
    }
}
