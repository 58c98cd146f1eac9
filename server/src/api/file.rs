//! FileService over [`Tree`].

use cordvault_core::visibility::Visibility;
use cordvault_proto::v1 as pb;
use cordvault_proto::v1::file_service_server::FileService;
use tonic::{Request, Response, Status};

use std::pin::Pin;

use futures::Stream;

use super::convert;
use super::status::{ApiResult, caller};
use crate::services::access::Caller;
use crate::services::events::{ChangeEvent, ChangeKind, Events};
use crate::services::folders::Folders;
use crate::services::properties::Properties;
use crate::services::revocation::{Revocations, revoked};
use crate::services::sharing::{Sharing, Transfer, TransferTerms};
use crate::services::thumbnails::Thumbnails;
use crate::services::trash::Trash;
use crate::services::tree::Tree;

pub struct FileApi {
    pub tree: Tree,
    pub trash: Trash,
    pub folders: Folders,
    pub sharing: Sharing,
    pub events: Events,
    pub revocations: Revocations,
    pub thumbnails: Thumbnails,
    pub properties: Properties,
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<pb::WatchResponse, Status>> + Send>>;

struct WatchState {
    events: tokio::sync::broadcast::Receiver<ChangeEvent>,
    revoked: Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
    folder: String,
    caller: Caller,
    done: bool,
}

/// The next event a watcher may see; the stream ends after an error.
async fn next_event(mut state: WatchState) -> Option<(Result<pb::WatchResponse, Status>, WatchState)> {
    use tokio::sync::broadcast::error::RecvError;
    if state.done {
        return None;
    }
    loop {
        let event = tokio::select! {
            _ = &mut state.revoked => {
                state.done = true;
                return Some((Err(Status::unauthenticated("the token of this stream was revoked")), state));
            }
            event = state.events.recv() => event,
        };
        match event {
            Ok(event) if event.is_below(&state.folder) && event.visible_to(&state.caller) => {
                return Some((Ok(watch_response(&event)), state));
            }
            Ok(_) => {}
            Err(RecvError::Lagged(missed)) => {
                state.done = true;
                let message = format!("{missed} events were missed; list the folder again and watch anew");
                return Some((Err(Status::data_loss(message)), state));
            }
            Err(RecvError::Closed) => return None,
        }
    }
}

fn change_kind(kind: ChangeKind) -> pb::ChangeKind {
    match kind {
        ChangeKind::Added => pb::ChangeKind::Added,
        ChangeKind::Modified => pb::ChangeKind::Modified,
        ChangeKind::Moved => pb::ChangeKind::Moved,
        ChangeKind::Deleted => pb::ChangeKind::Deleted,
        ChangeKind::AccessChanged => pb::ChangeKind::AccessChanged,
    }
}

fn watch_response(event: &ChangeEvent) -> pb::WatchResponse {
    pb::WatchResponse {
        kind: change_kind(event.kind) as i32,
        path: event.path.clone(),
        previous_path: event.previous_path.clone(),
        entry_id: event.entry_id,
        is_folder: event.is_folder,
        at_ms: event.at_ms,
    }
}

#[tonic::async_trait]
impl FileService for FileApi {
    async fn stat(&self, request: Request<pb::StatRequest>) -> Result<Response<pb::StatResponse>, Status> {
        let caller = caller(&request)?;
        let (info, level) = self.tree.stat(&caller, &request.get_ref().path).await.api()?;
        Ok(Response::new(pb::StatResponse { entry: Some(convert::entry_with_access(&info, level)) }))
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
        let entries = entries.iter().map(|(info, level)| convert::entry_with_access(info, *level)).collect();
        Ok(Response::new(pb::ListResponse { entries, next_page_token }))
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
        let (deleted_entries, trash_id) = self.tree.delete(&caller, &body.path, body.recursive).await.api()?;
        Ok(Response::new(pb::DeleteResponse { deleted_entries, trash_id }))
    }

    async fn merge_folders(
        &self,
        request: Request<pb::MergeFoldersRequest>,
    ) -> Result<Response<pb::MergeFoldersResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        let policy = convert::conflict_policy(body.conflict_policy)?;
        let report = self.folders.merge(&caller, &body.source, &body.destination, policy).await.api()?;
        Ok(Response::new(pb::MergeFoldersResponse { moved_entries: report.moved, skipped: report.skipped }))
    }

    async fn list_trash(
        &self,
        request: Request<pb::ListTrashRequest>,
    ) -> Result<Response<pb::ListTrashResponse>, Status> {
        let caller = caller(&request)?;
        let items = self.trash.list(&caller).await.api()?;
        let items = items
            .into_iter()
            .map(|item| pb::TrashItem {
                trash_id: item.view.row.id,
                original_path: item.original_path.to_string(),
                deleted_at_ms: item.deleted_at,
                deleted_by: item.deleted_by.clone(),
                purge_at_ms: item.purge_at,
                entry: Some(convert::entry(&crate::services::tree::EntryInfo {
                    path: item.original_path,
                    view: item.view,
                })),
            })
            .collect();
        Ok(Response::new(pb::ListTrashResponse { items }))
    }

    async fn restore(&self, request: Request<pb::RestoreRequest>) -> Result<Response<pb::RestoreResponse>, Status> {
        let caller = caller(&request)?;
        let info = self.trash.restore(&caller, request.get_ref().trash_id).await.api()?;
        Ok(Response::new(pb::RestoreResponse { entry: Some(convert::entry(&info)) }))
    }

    async fn empty_trash(
        &self,
        request: Request<pb::EmptyTrashRequest>,
    ) -> Result<Response<pb::EmptyTrashResponse>, Status> {
        let caller = caller(&request)?;
        let purged_entries = self.trash.empty(&caller).await.api()?;
        Ok(Response::new(pb::EmptyTrashResponse { purged_entries }))
    }

    async fn folder_usage(
        &self,
        request: Request<pb::FolderUsageRequest>,
    ) -> Result<Response<pb::FolderUsageResponse>, Status> {
        let caller = caller(&request)?;
        let usage = self.folders.usage(&caller, &request.get_ref().path).await.api()?;
        Ok(Response::new(pb::FolderUsageResponse {
            total_bytes: usage.total_bytes,
            total_files: usage.total_files,
            total_folders: usage.total_folders,
            by_mime_type: usage
                .by_mime_type
                .into_iter()
                .map(|mime| pb::MimeUsage { mime_type: mime.mime_type, bytes: mime.bytes, files: mime.files })
                .collect(),
        }))
    }

    async fn set_visibility(
        &self,
        request: Request<pb::SetVisibilityRequest>,
    ) -> Result<Response<pb::SetVisibilityResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        let visibility = Visibility::from_code(body.visibility).api()?;
        let info = self.sharing.set_visibility(&caller, &body.path, visibility).await.api()?;
        Ok(Response::new(pb::SetVisibilityResponse { entry: Some(convert::entry(&info)) }))
    }

    async fn share(&self, request: Request<pb::ShareRequest>) -> Result<Response<pb::ShareResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        let level = convert::share_level(body.level)?;
        self.sharing.share(&caller, &body.path, &body.username, level).await.api()?;
        Ok(Response::new(pb::ShareResponse {}))
    }

    async fn unshare(&self, request: Request<pb::UnshareRequest>) -> Result<Response<pb::UnshareResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        self.sharing.unshare(&caller, &body.path, &body.username).await.api()?;
        Ok(Response::new(pb::UnshareResponse {}))
    }

    async fn list_shares(
        &self,
        request: Request<pb::ListSharesRequest>,
    ) -> Result<Response<pb::ListSharesResponse>, Status> {
        let caller = caller(&request)?;
        let shares = self.sharing.list_shares(&caller, &request.get_ref().path).await.api()?;
        let shares = shares
            .into_iter()
            .map(|(username, level)| pb::ShareGrant { username, level: convert::share_level_to_pb(level) as i32 })
            .collect();
        Ok(Response::new(pb::ListSharesResponse { shares }))
    }

    async fn transfer_ownership(
        &self,
        request: Request<pb::TransferOwnershipRequest>,
    ) -> Result<Response<pb::TransferOwnershipResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        let terms = TransferTerms {
            new_owner: &body.new_owner,
            drop_shares: body.drop_shares,
            keep_share: body.keep_share_for_previous_owner,
        };
        let response = match self.sharing.transfer_ownership(&caller, &body.path, terms).await.api()? {
            Transfer::Done(info, transferred_entries) => pb::TransferOwnershipResponse {
                entry: Some(convert::entry(&info)),
                transferred_entries,
                pending: false,
            },
            Transfer::Offered(info) => pb::TransferOwnershipResponse {
                entry: Some(convert::entry(&info)),
                transferred_entries: 0,
                pending: true,
            },
        };
        Ok(Response::new(response))
    }

    async fn list_ownership_offers(
        &self,
        request: Request<pb::ListOwnershipOffersRequest>,
    ) -> Result<Response<pb::ListOwnershipOffersResponse>, Status> {
        let caller = caller(&request)?;
        let offers = self.sharing.offers(&caller).await.api()?;
        let offers = offers
            .into_iter()
            .map(|offer| pb::OwnershipOffer {
                path: offer.info.path.to_string(),
                from_user: offer.from,
                keep_share_for_previous_owner: offer.row.keep_share_for_previous_owner,
                drop_shares: offer.row.drop_shares,
                offered_at_ms: offer.row.created_at,
                is_folder: offer.info.view.row.is_folder,
            })
            .collect();
        Ok(Response::new(pb::ListOwnershipOffersResponse { offers }))
    }

    async fn answer_ownership_offer(
        &self,
        request: Request<pb::AnswerOwnershipOfferRequest>,
    ) -> Result<Response<pb::AnswerOwnershipOfferResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.get_ref();
        let answered = self.sharing.answer_offer(&caller, &body.path, body.accept).await.api()?;
        let response = match answered {
            Some((info, transferred_entries)) => {
                pb::AnswerOwnershipOfferResponse { entry: Some(convert::entry(&info)), transferred_entries }
            }
            None => pb::AnswerOwnershipOfferResponse::default(),
        };
        Ok(Response::new(response))
    }

    async fn search_users(
        &self,
        request: Request<pb::SearchUsersRequest>,
    ) -> Result<Response<pb::SearchUsersResponse>, Status> {
        let caller = caller(&request)?;
        let users = self.sharing.search_users(&caller, &request.get_ref().query).await.api()?;
        // Who holds administrator rights is for administrators to know.
        let users = users
            .iter()
            .map(|user| pb::User { is_admin: caller.is_admin && user.is_admin, ..convert::user(user) })
            .collect();
        Ok(Response::new(pb::SearchUsersResponse { users }))
    }

    type WatchStream = WatchStream;

    /// Streams events below a folder that the caller may see, until the
    /// client goes away or the caller's tokens are revoked.
    async fn watch(&self, request: Request<pb::WatchRequest>) -> Result<Response<Self::WatchStream>, Status> {
        let caller = caller(&request)?;
        let (info, _) = self.tree.stat(&caller, &request.get_ref().path).await.api()?;
        let folder = info.path.to_string();
        let revoked = revoked(self.revocations.watch(caller.user_id, caller.token_version), caller.token_version);
        let state =
            WatchState { events: self.events.subscribe(), revoked: Box::pin(revoked), folder, caller, done: false };
        let stream = futures::stream::unfold(state, next_event);
        Ok(Response::new(Box::pin(stream)))
    }

    async fn get_thumbnail(
        &self,
        request: Request<pb::GetThumbnailRequest>,
    ) -> Result<Response<pb::GetThumbnailResponse>, Status> {
        let caller = caller(&request)?;
        let thumbnail = self.thumbnails.by_path(&caller, &request.get_ref().path).await.api()?;
        Ok(Response::new(pb::GetThumbnailResponse {
            mime_type: thumbnail.mime_type,
            data: thumbnail.data.into(),
            width: thumbnail.width as u32,
            height: thumbnail.height as u32,
        }))
    }

    async fn set_properties(
        &self,
        request: Request<pb::SetPropertiesRequest>,
    ) -> Result<Response<pb::SetPropertiesResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        let set = body.set.into_iter().map(convert::property_row).collect();
        let remove = body.remove.into_iter().map(|name| (name.namespace, name.name)).collect();
        self.properties.change(&caller, &body.path, set, remove).await.api()?;
        Ok(Response::new(pb::SetPropertiesResponse {}))
    }

    async fn get_properties(
        &self,
        request: Request<pb::GetPropertiesRequest>,
    ) -> Result<Response<pb::GetPropertiesResponse>, Status> {
        let caller = caller(&request)?;
        let rows = self.properties.get(&caller, &request.get_ref().path).await.api()?;
        Ok(Response::new(pb::GetPropertiesResponse { properties: rows.into_iter().map(convert::property).collect() }))
    }
}
