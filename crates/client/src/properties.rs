//! Dead properties of entries (WebDAV PROPPATCH and PROPFIND).

use cordvault_proto::v1 as pb;

use crate::error::from_status;
use crate::{Client, Result};

impl Client {
    /// Sets `set` (adding or replacing) and removes `remove` on the entry
    /// at `path`, all or nothing. Needs write access to the entry.
    pub async fn set_properties(
        &self,
        path: &str,
        set: Vec<pb::Property>,
        remove: Vec<pb::PropertyName>,
    ) -> Result<()> {
        let request = pb::SetPropertiesRequest { path: path.into(), set, remove };
        self.file_service()?.set_properties(request).await.map_err(from_status)?;
        Ok(())
    }

    /// The properties of the entry at `path`, by namespace, then name.
    pub async fn get_properties(&self, path: &str) -> Result<Vec<pb::Property>> {
        let request = pb::GetPropertiesRequest { path: path.into() };
        let response = self.file_service()?.get_properties(request).await.map_err(from_status)?;
        Ok(response.into_inner().properties)
    }
}
