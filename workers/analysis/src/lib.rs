//! The analysis worker: a Discord data package (the GDPR export zip) into
//! the statistics database dumpus clients read, sealed under a key only the
//! package's owner holds.

pub mod analyse;
pub mod analytics;
pub mod database;
pub mod error;
pub mod layout;
pub mod messages;
pub mod owner;
pub mod sessions;
pub mod timestamp;

pub use analyse::{Limits, Report, analyse};
pub use error::{AnalysisError, Result};
