//! The manager's services, built once from its configuration. The router
//! and the background tasks take what they need from here.

use std::sync::Arc;

use anyhow::Context;
use cordvault_core::ticket::TicketKey;
use cordvault_store::ChunkStore;

use super::{ServerConfig, open_store};
use crate::db::Db;
use crate::services::accounts::Accounts;
use crate::services::events::Events;
use crate::services::janitor::Janitor;
use crate::services::links::Links;
use crate::services::lookups::Lookups;
use crate::services::packages::{PackageStorage, Packages};
use crate::services::quotas::Quotas;
use crate::services::reads::Reads;
use crate::services::revocation::Revocations;
use crate::services::throttle::{Throttle, ThrottlePolicy};
use crate::services::thumbnails::Thumbnails;
use crate::services::tokens::TokenIssuer;
use crate::services::trash::Trash;
use crate::services::tree::Tree;
use crate::services::uploads::Uploads;
use crate::services::worker_link::WorkerLinks;
use crate::services::workers::WorkerRegistry;

pub(super) struct Services {
    pub db: Db,
    pub store: Arc<dyn ChunkStore>,
    pub accounts: Arc<Accounts>,
    pub revocations: Revocations,
    pub throttle: Throttle,
    pub events: Events,
    pub quotas: Quotas,
    pub tree: Tree,
    pub trash: Trash,
    pub thumbnails: Thumbnails,
    pub packages: Packages,
    pub lookups: Lookups,
    pub uploads: Arc<Uploads>,
    pub reads: Arc<Reads>,
    pub janitor: Arc<Janitor>,
    pub links: Links,
    pub workers: Arc<WorkerRegistry>,
    pub worker_links: Arc<WorkerLinks>,
}

impl Services {
    /// Opens the database and the chunk store and wires the services up.
    pub async fn build(config: &ServerConfig) -> anyhow::Result<Services> {
        let database_url = config.database_url();
        let db = Db::connect(&database_url).await.context("cannot open the metadata database")?;
        db.apply_data_migrations().await.context("cannot update data older versions wrote")?;
        if config.database_url.is_none() {
            for suffix in ["", "-wal", "-shm"] {
                // SQLite gives its WAL and shared-memory files the database file's mode.
                crate::data_dir::make_private_file(std::path::Path::new(&format!("{database_url}{suffix}")))
                    .context("cannot make the database file private")?;
            }
        }
        let (store, chunk_store_spec) = open_store(config).await?;
        let tokens = TokenIssuer::from_pem(&config.keys.private_pem, &config.keys.public_pem, config.token_ttl)?;

        let revocations = Revocations::default();
        let throttle = Throttle::new(ThrottlePolicy::default(), config.clock.clone());
        let tickets = TicketKey::derive(config.keys.private_pem.as_bytes());
        let accounts = Arc::new(Accounts::new(
            db.clone(),
            Arc::new(tokens),
            tickets.clone(),
            revocations.clone(),
            throttle.clone(),
        ));
        let master = config.keys.master.clone();
        let workers = Arc::new(WorkerRegistry::new(config.keys.service_password.clone(), config.heartbeat_interval));
        let events = Events::start(db.clone(), &database_url).await.context("cannot listen for change events")?;
        let quotas = Quotas::new(db.clone(), config.quotas);
        let tree = Tree::new(db.clone())
            .with_clock(config.clock.clone())
            .hiding_unreadable(config.hide_unreadable)
            .with_events(events.clone())
            .with_quotas(quotas.clone());
        let trash = Trash::new(tree.clone(), config.trash_retention);
        let thumbnails = Thumbnails::new(tree.clone(), master.clone(), config.thumbnail_width);
        let discord_api = match config.packages.discord_tokens.as_slice() {
            [] => None,
            tokens => Some(
                cordvault_store::DiscordApi::new(tokens, config.packages.discord_api_base.clone())
                    .context("cannot set up Discord lookups")?,
            ),
        };
        let lookups = Lookups::new(db.clone(), config.clock.clone(), discord_api);
        let package_storage = PackageStorage {
            tree: tree.clone(),
            store: store.clone(),
            master: master.clone(),
            chunk_size: config.chunk_size,
        };
        let packages = Packages::new(package_storage, config.packages.clone(), tickets.clone(), config.clock.clone());
        let uploads = Arc::new(Uploads::new(
            tree.clone(),
            store.clone(),
            master.clone(),
            config.chunk_size,
            config.upload_idle_timeout,
            workers.clone(),
            thumbnails.clone(),
        ));
        let reads = Arc::new(Reads::new(tree.clone(), store.clone(), master));
        let janitor =
            Arc::new(Janitor::new(db.clone(), store.clone(), uploads.clone(), trash.clone(), config.orphan_grace));
        let links = Links::new(tree.clone(), &config.keys, throttle.clone());
        let worker_links = Arc::new(WorkerLinks {
            registry: workers.clone(),
            accounts: accounts.clone(),
            uploads: uploads.clone(),
            thumbnails: thumbnails.clone(),
            packages: packages.clone(),
            chunk_size: config.chunk_size,
            chunk_store: chunk_store_spec,
            throttle: throttle.clone(),
        });
        Ok(Services {
            db,
            store,
            accounts,
            revocations,
            throttle,
            events,
            quotas,
            tree,
            trash,
            thumbnails,
            packages,
            lookups,
            uploads,
            reads,
            janitor,
            links,
            workers,
            worker_links,
        })
    }
}
