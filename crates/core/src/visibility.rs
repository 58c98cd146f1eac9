//! Who besides its owner and shares may read an entry.

use crate::{Error, Result};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Owner, administrators and shares only.
    #[default]
    Private,
    /// Every user may read; changes still need ownership or a read-write share.
    Public,
}

impl Visibility {
    /// The one number for each visibility, in the API (`cordvault.v1.Visibility`)
    /// and in the database (`entries.visibility`) alike.
    pub fn code(self) -> i32 {
        match self {
            Visibility::Private => 1,
            Visibility::Public => 2,
        }
    }

    /// The visibility a number stands for. A request must name one: 0 (unset) is refused.
    pub fn from_code(code: i32) -> Result<Visibility> {
        match code {
            1 => Ok(Visibility::Private),
            2 => Ok(Visibility::Public),
            _ => Err(Error::invalid_argument("visibility must be public or private")),
        }
    }

    pub fn is_public(self) -> bool {
        self == Visibility::Public
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_nothing_else_parses() {
        for visibility in [Visibility::Private, Visibility::Public] {
            assert_eq!(Visibility::from_code(visibility.code()).unwrap(), visibility);
        }
        for bad in [0, 3, -1, i32::MAX] {
            assert_eq!(Visibility::from_code(bad).unwrap_err().code, crate::ErrorCode::InvalidArgument);
        }
    }
}
