//! Plain Rust services: everything the API adapters call. They speak
//! `cordvault_core` types and know nothing of gRPC.

pub mod access;
pub mod accounts;
pub mod admin;
pub mod app_passwords;
pub mod events;
pub mod folders;
pub mod hasher;
pub mod janitor;
pub mod links;
pub mod lock_rules;
pub mod locks;
pub mod lookups;
pub mod packages;
pub mod properties;
pub mod quotas;
pub mod rate_limit;
pub mod reads;
pub mod revocation;
pub mod sharing;
pub mod ssh_keys;
pub mod throttle;
pub mod thumbnails;
pub mod tokens;
pub mod trash;
pub mod tree;
pub mod uploads;
pub mod worker_link;
pub mod workers;
