//! The connection, authentication and the folder-tree calls.

use std::sync::Arc;

use cordvault_core::path::ConflictPolicy;
use cordvault_proto::v1 as pb;
use cordvault_proto::v1::admin_service_client::AdminServiceClient;
use cordvault_proto::v1::auth_service_client::AuthServiceClient;
use cordvault_proto::v1::file_service_client::FileServiceClient;
use cordvault_proto::v1::link_service_client::LinkServiceClient;
use cordvault_proto::v1::lock_service_client::LockServiceClient;
use cordvault_proto::v1::package_service_client::PackageServiceClient;
use cordvault_proto::v1::transfer_service_client::TransferServiceClient;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Status};

use crate::error::{from_status, transport};
use crate::{Error, Result};

/// Largest message the SDK accepts or sends (chunks plus framing).
pub(crate) use cordvault_core::limits::MAX_MESSAGE;

/// A connection to a cordvault server; cheap to clone.
#[derive(Clone)]
pub struct Client {
    channel: Channel,
    token: Option<Arc<str>>,
    /// Connections to upload workers, by address.
    endpoints: Arc<std::sync::Mutex<std::collections::HashMap<String, Channel>>>,
}

/// Adds the token to every call.
#[derive(Clone)]
pub struct Bearer(Option<MetadataValue<tonic::metadata::Ascii>>);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request.metadata_mut().insert("authorization", value.clone());
        }
        Ok(request)
    }
}

pub type Authed = InterceptedService<Channel, Bearer>;

#[derive(Debug, Clone)]
pub struct LoginResult {
    pub token: String,
    pub expires_at_ms: i64,
    pub user: pb::User,
}

/// How to list a folder.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    pub page_size: u32,
    pub page_token: String,
    pub sort_by: pb::SortField,
    pub descending: bool,
}

impl Client {
    /// Connects to `endpoint`, e.g. `http://127.0.0.1:8080`.
    pub async fn connect(endpoint: &str) -> Result<Client> {
        let endpoint = Endpoint::from_shared(endpoint.to_owned())
            .map_err(|err| Error::invalid_argument(format!("bad server address {endpoint:?}: {err}")))?
            .tcp_nodelay(true)
            .http2_adaptive_window(true)
            .connect_timeout(std::time::Duration::from_secs(10));
        let channel = endpoint.connect().await.map_err(transport)?;
        Ok(Client { channel, token: None, endpoints: Arc::default() })
    }

    /// A client of `endpoint` that connects on its first call (and again
    /// after the server was away), e.g. for a gateway inside the server it
    /// talks to, built before that server listens.
    ///
    /// Its flow-control windows are fixed: 1 MiB per stream and 64 MiB for
    /// the connection, so that a Read stream nobody reads from holds at
    /// most 1 MiB and 64 of them are needed before the connection's other
    /// calls wait. (The adaptive window can let one stream take the whole
    /// connection window.)
    pub fn connect_lazy(endpoint: &str) -> Result<Client> {
        let channel = Endpoint::from_shared(endpoint.to_owned())
            .map_err(|err| Error::invalid_argument(format!("bad server address {endpoint:?}: {err}")))?
            .tcp_nodelay(true)
            .initial_stream_window_size(1 << 20)
            .initial_connection_window_size(64 << 20)
            .connect_timeout(std::time::Duration::from_secs(10))
            .connect_lazy();
        Ok(Client { channel, token: None, endpoints: Arc::default() })
    }

    /// The same connection, authenticated with `token`.
    pub fn with_token(&self, token: impl Into<String>) -> Client {
        Client {
            channel: self.channel.clone(),
            token: Some(Arc::from(token.into())),
            endpoints: self.endpoints.clone(),
        }
    }

    /// A client for another server (an upload worker), connected lazily and
    /// kept for reuse.
    pub(crate) fn for_endpoint(&self, address: &str) -> Result<Client> {
        let mut endpoints = self.endpoints.lock().expect("endpoints lock");
        let channel = match endpoints.get(address) {
            Some(channel) => channel.clone(),
            None => {
                let channel = Endpoint::from_shared(address.to_owned())
                    .map_err(|err| Error::invalid_argument(format!("bad worker address {address:?}: {err}")))?
                    .tcp_nodelay(true)
                    .http2_adaptive_window(true)
                    .connect_timeout(std::time::Duration::from_secs(5))
                    .connect_lazy();
                endpoints.insert(address.to_owned(), channel.clone());
                channel
            }
        };
        Ok(Client { channel, token: None, endpoints: self.endpoints.clone() })
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    fn bearer(&self) -> Result<Bearer> {
        let Some(token) = &self.token else {
            return Ok(Bearer(None));
        };
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| Error::invalid_argument("the token contains characters a header cannot carry"))?;
        Ok(Bearer(Some(value)))
    }

    /// The raw FileService client, for calls this SDK has no helper for.
    pub fn files(&self) -> Result<FileServiceClient<Authed>> {
        self.file_service()
    }

    /// The raw AdminService client.
    pub fn admin(&self) -> Result<AdminServiceClient<Authed>> {
        Ok(AdminServiceClient::with_interceptor(self.channel.clone(), self.bearer()?))
    }

    /// The raw LinkService client.
    pub fn links(&self) -> Result<LinkServiceClient<Authed>> {
        Ok(LinkServiceClient::with_interceptor(self.channel.clone(), self.bearer()?))
    }

    /// The raw LockService client.
    pub fn locks(&self) -> Result<LockServiceClient<Authed>> {
        Ok(LockServiceClient::with_interceptor(self.channel.clone(), self.bearer()?))
    }

    /// The raw PackageService client: its calls need no login (a package's
    /// key authorises them).
    pub fn packages(&self) -> PackageServiceClient<Channel> {
        PackageServiceClient::new(self.channel.clone())
    }

    /// The raw PackageService client as the signed-in user (uploads and
    /// stored zips need a user; the other calls are authorised by the key).
    pub fn signed_in_packages(&self) -> Result<PackageServiceClient<Authed>> {
        Ok(PackageServiceClient::with_interceptor(self.channel.clone(), self.bearer()?))
    }

    pub(crate) fn auth_service(&self) -> Result<AuthServiceClient<Authed>> {
        Ok(AuthServiceClient::with_interceptor(self.channel.clone(), self.bearer()?))
    }

    pub(crate) fn file_service(&self) -> Result<FileServiceClient<Authed>> {
        Ok(FileServiceClient::with_interceptor(self.channel.clone(), self.bearer()?))
    }

    pub(crate) fn transfer_service(&self) -> Result<TransferServiceClient<Authed>> {
        Ok(TransferServiceClient::with_interceptor(self.channel.clone(), self.bearer()?)
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE))
    }

    pub async fn register(&self, username: &str, password: &str) -> Result<pb::User> {
        let request = pb::RegisterRequest { username: username.into(), password: password.into() };
        let response = self.auth_service()?.register(request).await.map_err(from_status)?;
        required(response.into_inner().user, "user")
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<LoginResult> {
        let request = pb::LoginRequest { username: username.into(), password: password.into() };
        let response = self.auth_service()?.login(request).await.map_err(from_status)?.into_inner();
        Ok(LoginResult {
            token: response.token,
            expires_at_ms: response.expires_at_ms,
            user: required(response.user, "user")?,
        })
    }

    /// Changes the password; returns a fresh token (the current one stops working).
    pub async fn update_password(&self, old_password: &str, new_password: &str) -> Result<String> {
        let request =
            pb::UpdatePasswordRequest { old_password: old_password.into(), new_password: new_password.into() };
        let response = self.auth_service()?.update_password(request).await.map_err(from_status)?;
        Ok(response.into_inner().token)
    }

    pub async fn who_am_i(&self) -> Result<pb::User> {
        let response = self.auth_service()?.who_am_i(pb::WhoAmIRequest {}).await.map_err(from_status)?;
        required(response.into_inner().user, "user")
    }

    /// The caller's quota: limits (0 is unlimited) and what is used of them.
    pub async fn quota(&self) -> Result<pb::Quota> {
        let response = self.auth_service()?.who_am_i(pb::WhoAmIRequest {}).await.map_err(from_status)?;
        required(response.into_inner().quota, "quota")
    }

    /// A short-lived ticket for a plain-HTTP URL (`?ticket=`), so that the
    /// login token stays out of URLs; `path` is ignored for thumbnails.
    pub async fn download_ticket(&self, purpose: pb::TicketPurpose, path: &str) -> Result<String> {
        let request = pb::CreateDownloadTicketRequest { purpose: purpose as i32, path: path.into() };
        let response = self.auth_service()?.create_download_ticket(request).await.map_err(from_status)?;
        Ok(response.into_inner().ticket)
    }

    pub async fn stat(&self, path: &str) -> Result<pb::Entry> {
        let response = self.file_service()?.stat(pb::StatRequest { path: path.into() }).await.map_err(from_status)?;
        required(response.into_inner().entry, "entry")
    }

    /// One page of a folder.
    pub async fn list_page(&self, path: &str, options: &ListOptions) -> Result<pb::ListResponse> {
        let request = pb::ListRequest {
            path: path.into(),
            page_size: options.page_size,
            page_token: options.page_token.clone(),
            sort_by: options.sort_by as i32,
            descending: options.descending,
        };
        Ok(self.file_service()?.list(request).await.map_err(from_status)?.into_inner())
    }

    /// Every entry of a folder, page after page, in the server's default order.
    pub async fn list(&self, path: &str) -> Result<Vec<pb::Entry>> {
        self.list_all(path, ListOptions::default()).await
    }

    /// Every entry of a folder in the order `options` asks for; its page
    /// token is where to start.
    pub async fn list_all(&self, path: &str, mut options: ListOptions) -> Result<Vec<pb::Entry>> {
        if options.page_size == 0 {
            options.page_size = cordvault_core::limits::MAX_PAGE_SIZE;
        }
        let mut entries = Vec::new();
        loop {
            let page = self.list_page(path, &options).await?;
            entries.extend(page.entries);
            if page.next_page_token.is_empty() {
                return Ok(entries);
            }
            options.page_token = page.next_page_token;
        }
    }

    pub async fn create_folder(&self, path: &str) -> Result<pb::Entry> {
        let request = pb::CreateFolderRequest { path: path.into() };
        let response = self.file_service()?.create_folder(request).await.map_err(from_status)?;
        required(response.into_inner().entry, "entry")
    }

    pub async fn move_entry(&self, path: &str, destination_folder: &str, policy: ConflictPolicy) -> Result<pb::Entry> {
        let request = pb::MoveRequest {
            path: path.into(),
            destination_folder: destination_folder.into(),
            conflict_policy: policy.code(),
        };
        let response = self.file_service()?.r#move(request).await.map_err(from_status)?;
        required(response.into_inner().entry, "entry")
    }

    pub async fn rename(&self, path: &str, new_name: &str, policy: ConflictPolicy) -> Result<pb::Entry> {
        let request =
            pb::RenameRequest { path: path.into(), new_name: new_name.into(), conflict_policy: policy.code() };
        let response = self.file_service()?.rename(request).await.map_err(from_status)?;
        required(response.into_inner().entry, "entry")
    }

    /// Moves a file or folder to the trash; returns how many entries went.
    pub async fn delete(&self, path: &str, recursive: bool) -> Result<u64> {
        let request = pb::DeleteRequest { path: path.into(), recursive };
        let response = self.file_service()?.delete(request).await.map_err(from_status)?;
        Ok(response.into_inner().deleted_entries)
    }

    /// Purges the caller's trash; returns how many entries went for good.
    pub async fn empty_trash(&self) -> Result<u64> {
        let response = self.file_service()?.empty_trash(pb::EmptyTrashRequest {}).await.map_err(from_status)?;
        Ok(response.into_inner().purged_entries)
    }

    pub async fn share(&self, path: &str, username: &str, level: pb::ShareLevel) -> Result<()> {
        let request = pb::ShareRequest { path: path.into(), username: username.into(), level: level as i32 };
        self.file_service()?.share(request).await.map_err(from_status)?;
        Ok(())
    }

    pub async fn set_public(&self, path: &str, public: bool) -> Result<pb::Entry> {
        let visibility = if public { pb::Visibility::Public } else { pb::Visibility::Private };
        let request = pb::SetVisibilityRequest { path: path.into(), visibility: visibility as i32 };
        let response = self.file_service()?.set_visibility(request).await.map_err(from_status)?;
        required(response.into_inner().entry, "entry")
    }

    /// A file's thumbnail; NOT_FOUND until a worker made one, or for files without a picture.
    pub async fn thumbnail(&self, path: &str) -> Result<pb::GetThumbnailResponse> {
        let request = pb::GetThumbnailRequest { path: path.into() };
        Ok(self.file_service()?.get_thumbnail(request).await.map_err(from_status)?.into_inner())
    }
}

pub(crate) fn required<T>(value: Option<T>, field: &str) -> Result<T> {
    value.ok_or_else(|| Error::internal(format!("the server's answer lacks {field}")))
}
