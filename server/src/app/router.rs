//! One router for the manager's port: every gRPC service (also as
//! gRPC-web), reflection, health, the plain HTTP routes and the web UI, with
//! authentication, CORS and a tracing span per request.

use cordvault_core::limits::max_message;
use cordvault_proto::v1::admin_service_server::AdminServiceServer;
use cordvault_proto::v1::auth_service_server::AuthServiceServer;
use cordvault_proto::v1::file_service_server::FileServiceServer;
use cordvault_proto::v1::link_service_server::LinkServiceServer;
use cordvault_proto::v1::lock_service_server::LockServiceServer;
use cordvault_proto::v1::package_service_server::PackageServiceServer;
use cordvault_proto::v1::transfer_service_server::TransferServiceServer;
use cordvault_proto::v1::worker_service_server::WorkerServiceServer;
use cordvault_proto::worker::v1::worker_link_service_server::WorkerLinkServiceServer;

use super::ServerConfig;
use super::services::Services;
use crate::api::admin::AdminApi;
use crate::api::auth::AuthApi;
use crate::api::authn;
use crate::api::file::FileApi;
use crate::api::link::LinkApi;
use crate::api::lock::LockApi;
use crate::api::package::PackageApi;
use crate::api::transfer::TransferApi;
use crate::api::worker::WorkerApi;
use crate::api::worker_link::WorkerLinkApi;
use crate::http::HttpState;
use crate::services::admin::Admin;
use crate::services::folders::Folders;
use crate::services::locks::Locks;
use crate::services::properties::Properties;
use crate::services::sharing::Sharing;

pub(super) async fn router(services: &Services, config: &ServerConfig, own_port: u16) -> anyhow::Result<axum::Router> {
    let Services { accounts, tree, thumbnails, uploads, reads, revocations, quotas, .. } = services;
    let admin_api = AdminApi {
        admin: Admin::new(
            services.db.clone(),
            uploads.clone(),
            revocations.clone(),
            quotas.clone(),
            services.packages.clone(),
        ),
    };
    let file_api = FileApi {
        tree: tree.clone(),
        trash: services.trash.clone(),
        folders: Folders::new(tree.clone()),
        sharing: Sharing::new(tree.clone()),
        events: services.events.clone(),
        revocations: revocations.clone(),
        thumbnails: thumbnails.clone(),
        properties: Properties::new(tree.clone()),
    };
    let lock_api = LockApi { locks: Locks::new(tree.clone()) };
    let transfer_api = TransferApi { uploads: uploads.clone(), reads: reads.clone(), revocations: revocations.clone() };
    let max_message = max_message(config.chunk_size);

    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<AuthServiceServer<AuthApi>>().await;
    health.set_serving::<AdminServiceServer<AdminApi>>().await;
    health.set_serving::<FileServiceServer<FileApi>>().await;
    health.set_serving::<LinkServiceServer<LinkApi>>().await;
    health.set_serving::<LockServiceServer<LockApi>>().await;
    health.set_serving::<TransferServiceServer<TransferApi>>().await;
    health.set_serving::<WorkerServiceServer<WorkerApi>>().await;
    health.set_serving::<PackageServiceServer<PackageApi>>().await;
    health.set_serving::<WorkerLinkServiceServer<WorkerLinkApi>>().await;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(cordvault_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            // google.rpc.ErrorInfo, so that grpcurl shows every error's details.
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
    };

    let mut routes = tonic::service::Routes::builder();
    routes
        .add_service(AuthServiceServer::new(AuthApi {
            accounts: accounts.clone(),
            quotas: quotas.clone(),
            ssh_keys: accounts.ssh_keys().clone(),
            app_passwords: accounts.app_passwords().clone(),
        }))
        .add_service(AdminServiceServer::new(admin_api))
        .add_service(FileServiceServer::new(file_api))
        .add_service(LinkServiceServer::new(LinkApi { links: services.links.clone() }))
        .add_service(LockServiceServer::new(lock_api))
        .add_service(
            TransferServiceServer::new(transfer_api)
                .max_decoding_message_size(max_message)
                .max_encoding_message_size(max_message),
        )
        .add_service(WorkerServiceServer::new(WorkerApi { registry: services.workers.clone() }))
        .add_service(PackageServiceServer::new(PackageApi {
            packages: services.packages.clone(),
            lookups: services.lookups.clone(),
        }))
        .add_service(WorkerLinkServiceServer::new(WorkerLinkApi { links: services.worker_links.clone() }))
        .add_service(health_service)
        .add_service(reflection().build_v1()?)
        .add_service(reflection().build_v1alpha()?);
    let grpc = routes
        .routes()
        .into_axum_router()
        .layer(axum::middleware::from_fn_with_state(accounts.clone(), authn::authenticate))
        .layer(tonic_web::GrpcWebLayer::new());
    let http = crate::http::routes(HttpState {
        accounts: accounts.clone(),
        tree: tree.clone(),
        reads: reads.clone(),
        links: services.links.clone(),
        thumbnails: thumbnails.clone(),
        packages: services.packages.clone(),
        lookups: services.lookups.clone(),
        stall_timeout: config.download_stall_timeout,
    });
    // WebDAV is the gateway's, a client of this manager's own API like a
    // standalone gateway.
    let dav = cordvault_gateway::dav_routes(cordvault_gateway::DavGatewayConfig {
        manager: format!("http://127.0.0.1:{own_port}"),
        staging_dir: config.data_dir.join("gateway/dav-staging"),
        max_staged_bytes: 64 << 30,
    })?;
    Ok(axum::Router::new()
        .route("/health", axum::routing::get(|| async { "ok\n" }))
        .merge(http)
        .merge(crate::http::web::routes(config.web_ui.clone()))
        .merge(grpc)
        .layer(cordvault_proto::browser_cors())
        // Outside the CORS layer, which answers every OPTIONS itself: a
        // WebDAV client's OPTIONS must reach dav-server (its DAV header).
        .merge(dav)
        .layer(axum::middleware::from_fn(crate::trace::trace_request)))
}
