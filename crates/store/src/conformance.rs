//! The behaviour every [`ChunkStore`] must show. A store's tests call [`run_all`].

use std::collections::HashSet;

use bytes::Bytes;

use crate::{ChunkLocator, ChunkStore, StoreError};

/// Runs every conformance check against `store`, panicking on the first failure.
pub async fn run_all(store: &dyn ChunkStore) {
    round_trip_and_ranges(store).await;
    empty_objects(store).await;
    missing_objects(store).await;
    delete_is_idempotent(store).await;
    list_tracks_objects(store).await;
    concurrent_puts_get_distinct_locators(store).await;
    oversized_objects_are_refused(store).await;
}

fn pattern(len: usize, seed: u8) -> Bytes {
    Bytes::from((0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect::<Vec<_>>())
}

async fn round_trip_and_ranges(store: &dyn ChunkStore) {
    let data = pattern(200_000, 1);
    let locator = store.put(data.clone()).await.expect("put");
    let len = data.len() as u64;
    for range in [0..len, 0..1, 65_535..65_537, len - 1..len, 1000..1000, 150_000..len + 100] {
        let got = store.get_range(&locator, range.clone()).await.expect("get_range");
        let end = range.end.min(len) as usize;
        assert_eq!(got, data.slice(range.start as usize..end), "range {range:?}");
    }
    store.delete(&locator).await.expect("delete");
}

async fn empty_objects(store: &dyn ChunkStore) {
    let locator = store.put(Bytes::new()).await.expect("put empty");
    assert!(store.get_range(&locator, 0..10).await.expect("get empty").is_empty());
    store.delete(&locator).await.expect("delete empty");
}

async fn missing_objects(store: &dyn ChunkStore) {
    let locator = store.put(pattern(10, 2)).await.expect("put");
    store.delete(&locator).await.expect("delete");
    match store.get_range(&locator, 0..10).await {
        Err(StoreError::NotFound(missing)) => assert_eq!(missing, locator),
        other => panic!("reading a deleted object gave {other:?}, not NotFound"),
    }
    match store.get_range(&ChunkLocator("../../etc/passwd".into()), 0..10).await {
        Err(StoreError::InvalidLocator(_)) | Err(StoreError::NotFound(_)) => {}
        other => panic!("a foreign locator gave {other:?}"),
    }
}

async fn delete_is_idempotent(store: &dyn ChunkStore) {
    let locator = store.put(pattern(10, 3)).await.expect("put");
    store.delete(&locator).await.expect("first delete");
    store.delete(&locator).await.expect("second delete");
}

async fn list_tracks_objects(store: &dyn ChunkStore) {
    let kept = store.put(pattern(100, 4)).await.expect("put kept");
    let gone = store.put(pattern(100, 5)).await.expect("put gone");
    store.delete(&gone).await.expect("delete");
    let before_put = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    let listed = store.list().await.expect("list");
    assert!(listed.iter().all(|object| object.stored_at > before_put), "stored_at is plausible");
    let listed: HashSet<_> = listed.into_iter().map(|object| object.locator).collect();
    assert!(listed.contains(&kept), "list misses a stored object");
    assert!(!listed.contains(&gone), "list shows a deleted object");
    store.delete(&kept).await.expect("delete");
}

async fn concurrent_puts_get_distinct_locators(store: &dyn ChunkStore) {
    let puts = (0..16u8).map(|seed| store.put(pattern(1000, seed)));
    let locators: Vec<ChunkLocator> = futures::future::try_join_all(puts).await.expect("concurrent puts");
    let distinct: HashSet<_> = locators.iter().collect();
    assert_eq!(distinct.len(), locators.len());
    for (seed, locator) in locators.iter().enumerate() {
        let got = store.get_range(locator, 0..1000).await.expect("get");
        assert_eq!(got, pattern(1000, seed as u8));
        store.delete(locator).await.expect("delete");
    }
}

async fn oversized_objects_are_refused(store: &dyn ChunkStore) {
    let limit = store.max_object_size();
    let too_big = Bytes::from(vec![0u8; limit as usize + 1]);
    match store.put(too_big).await {
        Err(StoreError::TooLarge { size, limit: reported }) => {
            assert_eq!((size, reported), (limit + 1, limit));
        }
        other => panic!("an oversized put gave {other:?}"),
    }
}
