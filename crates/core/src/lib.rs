//! The vocabulary every cordvault crate shares: the error code, names and
//! paths of the folder tree, keys, the sealed chunk format and the arithmetic
//! that maps byte ranges of a file onto chunks and blocks.

pub mod calendar;
pub mod chunk;
pub mod clock;
pub mod crypto;
pub mod error;
pub mod fields;
pub mod http_range;
pub mod ids;
pub mod limits;
pub mod link_form;
pub mod media_type;
pub mod package;
pub mod path;
pub mod range;
pub mod retry;
#[cfg(feature = "grpc")]
pub mod status;
pub mod ticket;
pub mod token;
pub mod visibility;

pub use error::{Error, ErrorCode, Result};
