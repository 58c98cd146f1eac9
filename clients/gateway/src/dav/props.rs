//! Dead properties (PROPPATCH) kept by the manager with the entry, so they
//! follow it through moves and renames.

use std::collections::BTreeMap;

use cordvault_client::Client;
use cordvault_client::proto as pb;
use dav_server::fs::{DavProp, FsError};
use http::StatusCode;

use crate::errors::dav_error;

fn key(prop: &DavProp) -> (String, String) {
    (prop.namespace.clone().unwrap_or_default(), prop.name.clone())
}

fn dav_prop(property: pb::Property, with_value: bool) -> DavProp {
    DavProp {
        name: property.name,
        prefix: None,
        namespace: (!property.namespace.is_empty()).then_some(property.namespace),
        xml: with_value.then(|| property.value.to_vec()),
    }
}

fn without_value(prop: &DavProp) -> DavProp {
    DavProp { xml: None, ..prop.clone() }
}

pub async fn get_all(client: &Client, path: &str, with_values: bool) -> Result<Vec<DavProp>, FsError> {
    let properties = client.get_properties(path).await.map_err(dav_error)?;
    Ok(properties.into_iter().map(|property| dav_prop(property, with_values)).collect())
}

pub async fn get_one(client: &Client, path: &str, wanted: &DavProp) -> Result<Vec<u8>, FsError> {
    let (namespace, name) = key(wanted);
    let properties = client.get_properties(path).await.map_err(dav_error)?;
    let found = properties.into_iter().find(|property| property.namespace == namespace && property.name == name);
    found.map(|property| property.value.to_vec()).ok_or(FsError::NotFound)
}

/// Applies a PROPPATCH: its instructions in order, so the last one about
/// a property decides, sent as one all-or-nothing change.
pub async fn patch(
    client: &Client,
    path: &str,
    patch: Vec<(bool, DavProp)>,
) -> Result<Vec<(StatusCode, DavProp)>, FsError> {
    let mut last: BTreeMap<(String, String), Option<Vec<u8>>> = BTreeMap::new();
    for (set, prop) in &patch {
        let value = set.then(|| prop.xml.clone().unwrap_or_default());
        last.insert(key(prop), value);
    }
    let (mut set, mut remove) = (Vec::new(), Vec::new());
    for ((namespace, name), value) in last {
        match value {
            Some(value) => set.push(pb::Property { namespace, name, value: value.into() }),
            None => remove.push(pb::PropertyName { namespace, name }),
        }
    }
    let status = match client.set_properties(path, set, remove).await {
        Ok(()) => StatusCode::OK,
        Err(err) => match dav_error(err) {
            FsError::NotFound => return Err(FsError::NotFound),
            FsError::InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE,
            _ => StatusCode::FORBIDDEN,
        },
    };
    Ok(patch.iter().map(|(_, prop)| (status, without_value(prop))).collect())
}
