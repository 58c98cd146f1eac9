use cordvault_store::{LocalStore, conformance};

#[tokio::test]
async fn local_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path().join("chunks")).unwrap().with_max_object_size(1 << 20);
    conformance::run_all(&store).await;
}
