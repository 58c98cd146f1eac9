//! Accounts and tokens.

use cordvault_client::{ErrorCode, UploadOptions};
use cordvault_test_support::{Backend, TestServer, backend_tests, random_bytes};

backend_tests!(first_user_is_admin_and_registration_closes, password_change_revokes_tokens_and_streams);

async fn first_user_is_admin_and_registration_closes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let anonymous = server.anonymous().await;
    let first = anonymous.register("first", "first-password").await.unwrap();
    assert!(first.is_admin);
    let refused = anonymous.register("second", "second-password").await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::Unauthenticated, "{refused}");

    let login = anonymous.login("first", "first-password").await.unwrap();
    let admin = anonymous.with_token(login.token);
    let second = admin.register("second", "second-password").await.unwrap();
    assert!(!second.is_admin);
    let user = anonymous.with_token(anonymous.login("second", "second-password").await.unwrap().token);
    assert_eq!(user.who_am_i().await.unwrap().username, "second");
    let denied = user.register("third", "third-password").await.unwrap_err();
    assert_eq!(denied.code, ErrorCode::PermissionDenied, "{denied}");
    let wrong = anonymous.login("second", "not-the-password").await.unwrap_err();
    assert_eq!(wrong.code, ErrorCode::Unauthenticated);
    server.shutdown().await;
}

async fn password_change_revokes_tokens_and_streams(backend: Backend) {
    let server = TestServer::start(backend).await;
    let bob = server.user("bob").await;
    let data = random_bytes(3 * 1024 * 1024, 11);
    bob.upload_bytes(data.clone(), "/bob.bin", &UploadOptions::default()).await.unwrap();
    let mut reader = bob.open_reader("/bob.bin").await.unwrap();
    assert_eq!(reader.read(0, 100).await.unwrap(), data.slice(..100));

    let new_token = bob.update_password("bob-password", "bob-new-password").await.unwrap();

    // The old token fails on every service.
    let errors = [
        bob.who_am_i().await.err(),
        bob.stat("/bob.bin").await.err(),
        bob.list("/").await.err(),
        bob.create_folder("/x").await.err(),
        bob.read_range("/bob.bin", 0, 10).await.err(),
        bob.upload_bytes(data.slice(..10), "/y", &UploadOptions::default()).await.err(),
        bob.update_password("bob-new-password", "bob-third-password").await.err(),
    ];
    for error in errors {
        let error = error.expect("the old token must be refused");
        assert_eq!(error.code, ErrorCode::Unauthenticated, "{error}");
    }
    // The stream opened with it is closed.
    let closed = reader.read(0, 100).await.unwrap_err();
    assert_eq!(closed.code, ErrorCode::Unauthenticated, "{closed}");

    let bob = bob.with_token(new_token);
    assert_eq!(bob.read_range("/bob.bin", 0, 100).await.unwrap(), data.slice(..100));
    let relogin = server.anonymous().await.login("bob", "bob-new-password").await;
    assert!(relogin.is_ok());
    server.shutdown().await;
}
