//! PackageService over [`Packages`]: calls authorised by the package's key,
//! not by a login.

use std::pin::Pin;

use cordvault_proto::v1 as pb;
use cordvault_proto::v1::package_service_server::PackageService;
use futures::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use super::status::{ApiResult, caller};
use crate::db::packages::{STEP_ANALYZING, STEP_DOWNLOADING, STEP_LOCKED, STEP_PROCESSED};
use crate::listener::PeerAddr;
use crate::services::lookups::Lookups;
use crate::services::packages::{PackageStatus, Packages, Submitted};

pub struct PackageApi {
    pub packages: Packages,
    pub lookups: Lookups,
}

/// The result goes out in messages of this size.
const PIECE: usize = 1024 * 1024;

type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

fn step(step: &str) -> pb::PackageStep {
    match step {
        STEP_LOCKED => pb::PackageStep::Locked,
        STEP_DOWNLOADING => pb::PackageStep::Downloading,
        STEP_ANALYZING => pb::PackageStep::Analyzing,
        STEP_PROCESSED => pb::PackageStep::Processed,
        _ => pb::PackageStep::Unspecified,
    }
}

fn status(status: &PackageStatus) -> pb::PackageStatus {
    let (row, queue) = (&status.row, status.queue);
    pb::PackageStatus {
        package_id: row.package_id.clone(),
        step: step(&row.step) as i32,
        errored: row.errored,
        error_code: row.error_code.clone().unwrap_or_default(),
        premium: row.premium,
        premium_queue_total: queue.premium_total.max(0) as u64,
        standard_queue_total: queue.standard_total.max(0) as u64,
        queue_position: if row.premium { queue.premium_ahead } else { queue.standard_ahead }.max(0) as u64,
        standard_total_when_joined: row.standard_total_when_joined.max(0) as u64,
        premium_total_when_joined: row.premium_total_when_joined.max(0) as u64,
    }
}

#[tonic::async_trait]
impl PackageService for PackageApi {
    async fn submit_package(
        &self,
        request: Request<pb::SubmitPackageRequest>,
    ) -> Result<Response<pb::SubmitPackageResponse>, Status> {
        let peer = request.extensions().get::<PeerAddr>().map(|PeerAddr(peer)| peer.ip());
        match self.packages.submit_link(&request.get_ref().link, peer).await.api()? {
            Submitted::Accepted { package_id, queued } => {
                Ok(Response::new(pb::SubmitPackageResponse { package_id: package_id.to_string(), queued }))
            }
            Submitted::InvalidLink => Err(Status::invalid_argument(
                "not a package link: https://click.discord.com/ls/click?upn=… or an allow-listed link",
            )),
        }
    }

    async fn upload_package(
        &self,
        request: Request<Streaming<pb::UploadPackageRequest>>,
    ) -> Result<Response<pb::UploadPackageResponse>, Status> {
        let caller = caller(&request)?;
        let mut inbound = request.into_inner();
        let first = inbound
            .message()
            .await?
            .ok_or_else(|| Status::invalid_argument("send the key and the zip's size in the first message"))?;
        let rest =
            inbound.map(|message| message.map(|message| message.data).map_err(cordvault_core::status::from_status));
        let pieces = futures::stream::iter([Ok(first.data)]).chain(rest);
        let (package_id, queued) =
            self.packages.upload(&caller, &first.key, first.size, Box::pin(pieces)).await.api()?;
        Ok(Response::new(pb::UploadPackageResponse { package_id: package_id.to_string(), queued }))
    }

    async fn submit_stored_package(
        &self,
        request: Request<pb::SubmitStoredPackageRequest>,
    ) -> Result<Response<pb::SubmitStoredPackageResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.get_ref();
        let (package_id, queued) = self.packages.submit_stored(&caller, &body.path, &body.key).await.api()?;
        Ok(Response::new(pb::SubmitStoredPackageResponse { package_id: package_id.to_string(), queued }))
    }

    async fn get_package_status(
        &self,
        request: Request<pb::GetPackageStatusRequest>,
    ) -> Result<Response<pb::GetPackageStatusResponse>, Status> {
        let body = request.into_inner();
        let (id, key) = self.packages.authorize(&body.package_id, Some(&body.key)).api()?;
        let found = self.packages.status(&id, key).await.api()?;
        Ok(Response::new(pb::GetPackageStatusResponse { status: Some(status(&found)) }))
    }

    type FetchPackageResultStream = ResponseStream<pb::FetchPackageResultResponse>;

    async fn fetch_package_result(
        &self,
        request: Request<pb::FetchPackageResultRequest>,
    ) -> Result<Response<Self::FetchPackageResultStream>, Status> {
        let body = request.into_inner();
        let (id, _) = self.packages.authorize(&body.package_id, Some(&body.key)).api()?;
        let (iv, sealed) = self.packages.result(&id).await.api()?;
        let size = sealed.len() as u64;
        let sealed = bytes::Bytes::from(sealed);
        let first = pb::FetchPackageResultResponse { iv, size, data: bytes::Bytes::new() };
        let pieces = (0..sealed.len()).step_by(PIECE).map(move |at| pb::FetchPackageResultResponse {
            data: sealed.slice(at..(at + PIECE).min(sealed.len())),
            ..Default::default()
        });
        let messages = std::iter::once(first).chain(pieces).map(Ok);
        Ok(Response::new(Box::pin(futures::stream::iter(messages))))
    }

    async fn delete_package(
        &self,
        request: Request<pb::DeletePackageRequest>,
    ) -> Result<Response<pb::DeletePackageResponse>, Status> {
        let body = request.into_inner();
        let (id, _) = self.packages.authorize(&body.package_id, Some(&body.key)).api()?;
        let deleted = self.packages.delete(&id).await.api()?;
        Ok(Response::new(pb::DeletePackageResponse { deleted }))
    }

    async fn lookup_discord_user(
        &self,
        request: Request<pb::LookupDiscordUserRequest>,
    ) -> Result<Response<pb::LookupDiscordUserResponse>, Status> {
        let peer = request.extensions().get::<PeerAddr>().map(|PeerAddr(peer)| peer.ip());
        let body = request.into_inner();
        let (id, key) = self.packages.authorize(&body.package_id, Some(&body.key)).api()?;
        // Only the holder of a package that exists may use the bot.
        self.packages.ensure_exists(&id, key).await.api()?;
        let user = self.lookups.user(&body.user_id, peer).await.api()?;
        Ok(Response::new(pb::LookupDiscordUserResponse {
            user_id: user.user_id,
            username: user.username.unwrap_or_default(),
            display_name: user.display_name.unwrap_or_default(),
            avatar_url: user.avatar_url,
        }))
    }

    async fn lookup_guild_widget(
        &self,
        request: Request<pb::LookupGuildWidgetRequest>,
    ) -> Result<Response<pb::LookupGuildWidgetResponse>, Status> {
        let peer = request.extensions().get::<PeerAddr>().map(|PeerAddr(peer)| peer.ip());
        let widget = self.lookups.guild_widget(&request.get_ref().guild_id, peer).await.api()?;
        Ok(Response::new(pb::LookupGuildWidgetResponse {
            name: widget.name,
            icon_url: widget.icon_url.unwrap_or_default(),
            member_count: widget.member_count,
        }))
    }
}
