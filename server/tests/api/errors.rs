//! The one error boundary seen from outside: every error a service returns
//! reaches gRPC clients with its code in a `google.rpc.ErrorInfo` detail and
//! HTTP clients with its code in `x-cordvault-error`, and reads back as the
//! same code.

use cordvault_client::proto as pb;
use cordvault_client::{ErrorCode, UploadOptions};
use cordvault_core::status::{ERROR_DOMAIN, ERROR_HEADER, from_http, from_status};
use cordvault_test_support::{Backend, TestServer, backend_tests};
use tonic_types::StatusExt;

backend_tests!(errors_keep_their_code_over_grpc_and_http);

async fn errors_keep_their_code_over_grpc_and_http(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    alice.create_folder("/alice/full").await.unwrap();
    alice.upload_bytes(bytes::Bytes::from_static(b"x"), "/alice/full/f.txt", &UploadOptions::default()).await.unwrap();
    let bob = server.user("bob").await;

    let mut files = alice.files().unwrap();
    let mut bobs = bob.files().unwrap();
    let refused: Vec<(ErrorCode, tonic::Status)> = vec![
        (ErrorCode::NotFound, files.stat(pb::StatRequest { path: "/alice/none".into() }).await.unwrap_err()),
        (ErrorCode::InvalidArgument, files.stat(pb::StatRequest { path: "/a\\b".into() }).await.unwrap_err()),
        (
            ErrorCode::AlreadyExists,
            files.create_folder(pb::CreateFolderRequest { path: "/alice/full/f.txt".into() }).await.unwrap_err(),
        ),
        (
            ErrorCode::FailedPrecondition,
            files.delete(pb::DeleteRequest { path: "/alice/full".into(), recursive: false }).await.unwrap_err(),
        ),
        (
            ErrorCode::PermissionDenied,
            bobs.create_folder(pb::CreateFolderRequest { path: "/alice/full/planted".into() }).await.unwrap_err(),
        ),
    ];
    for (code, status) in refused {
        let info = status.get_details_error_info().unwrap_or_else(|| panic!("{code}: no ErrorInfo in {status:?}"));
        assert_eq!((info.reason.as_str(), info.domain.as_str()), (code.as_str(), ERROR_DOMAIN));
        assert_eq!(from_status(status).code, code);
    }

    let http = reqwest::Client::new();
    let token = alice.token().unwrap().to_owned();
    let download = |path: &str, token: Option<&str>| {
        let request = http.get(format!("{}/download", server.url)).query(&[("path", path)]);
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
        .send()
    };
    for (path, token, code) in [
        ("/alice/none", Some(token.as_str()), ErrorCode::NotFound),
        ("/alice/full/f.txt", None, ErrorCode::Unauthenticated),
        ("/alice/full/f.txt", Some("not-a-token"), ErrorCode::Unauthenticated),
    ] {
        let response = download(path, token).await.unwrap();
        let status = response.status();
        let header = response.headers().get(ERROR_HEADER).map(|value| value.to_str().unwrap().to_owned());
        assert_eq!(header.as_deref(), Some(code.as_str()), "{path}: {status}");
        let message = response.text().await.unwrap();
        assert_eq!(from_http(status, header.as_deref(), message).code, code, "{path}");
    }
    server.shutdown().await;
}
