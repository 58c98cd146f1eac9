//! The workers' internal API: admission by the service password, unary
//! calls by the worker token Welcome gives, each worker confined to the
//! uploads routed to it, and no key in the public package.

use std::time::Duration;

use cordvault_client::proto as pb;
use cordvault_proto::worker::v1 as worker;
use cordvault_test_support::{Backend, TestServer, authed, backend_tests, channel};
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;
use worker::connect_response::Message as ToWorker;
use worker::worker_link_service_client::WorkerLinkServiceClient;

backend_tests!(
    worker_calls_take_only_a_connected_workers_token_for_its_own_uploads,
    list_workers_shows_the_jobs_a_thumbnail_worker_reports,
);

/// A hand-made upload worker: its stream, kept open, and what Welcome said.
struct FakeWorker {
    /// Dropping it ends the stream, and with it the registration.
    outbound: mpsc::Sender<worker::ConnectRequest>,
    inbound: tonic::Streaming<worker::ConnectResponse>,
    token: String,
}

impl FakeWorker {
    async fn connect(server: &TestServer, address: &str) -> FakeWorker {
        FakeWorker::connect_as(server, pb::WorkerKind::Upload, address).await
    }

    async fn connect_as(server: &TestServer, kind: pb::WorkerKind, address: &str) -> FakeWorker {
        let (hello, requests) = mpsc::channel(4);
        let first = worker::Hello {
            kind: kind as i32,
            service_password: server.service_password(),
            address: address.into(),
            capacity: 1,
        };
        hello
            .send(worker::ConnectRequest { message: Some(worker::connect_request::Message::Hello(first)) })
            .await
            .unwrap();
        let mut client = WorkerLinkServiceClient::new(channel(&server.url).await);
        let mut inbound = client.connect(ReceiverStream::new(requests)).await.unwrap().into_inner();
        let Some(worker::ConnectResponse { message: Some(ToWorker::Welcome(welcome)) }) =
            inbound.message().await.unwrap()
        else {
            panic!("the manager did not answer Hello with Welcome");
        };
        FakeWorker { outbound: hello, inbound, token: welcome.worker_token }
    }

    async fn next_assign(&mut self) -> worker::Assign {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.inbound.message()).await;
            match message.expect("an Assign in time").unwrap().and_then(|response| response.message) {
                Some(ToWorker::Assign(assign)) => return assign,
                Some(_) => continue,
                None => panic!("the stream ended"),
            }
        }
    }
}

async fn query(server: &TestServer, token: Option<&str>, upload_id: &str) -> Result<(), Code> {
    let request = worker::QueryChunksRequest { upload_id: upload_id.into() };
    let request = match token {
        Some(token) => authed(request, token),
        None => tonic::Request::new(request),
    };
    let mut client = WorkerLinkServiceClient::new(channel(&server.url).await);
    client.query_chunks(request).await.map(|_| ()).map_err(|status| status.code())
}

async fn record(server: &TestServer, token: &str, upload_id: &str) -> Code {
    let request = worker::RecordChunkRequest {
        upload_id: upload_id.into(),
        chunk_index: 0,
        locator: "0000000000000000".into(),
        sealed_size: 1,
        seal_id: String::new(),
    };
    let mut client = WorkerLinkServiceClient::new(channel(&server.url).await);
    client.record_chunk(authed(request, token)).await.map(|_| Code::Ok).unwrap_or_else(|status| status.code())
}

async fn worker_calls_take_only_a_connected_workers_token_for_its_own_uploads(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let mut first = FakeWorker::connect(&server, "http://127.0.0.1:9").await;

    let start = pb::StartUploadRequest { path: "/a.bin".into(), size: 10, ..Default::default() };
    let mut transfers = pb::transfer_service_client::TransferServiceClient::new(channel(&server.url).await);
    let started = transfers.start_upload(authed(start, alice.token().unwrap())).await.unwrap().into_inner();
    assert_eq!(started.upload_endpoint, "http://127.0.0.1:9", "routed to the only upload worker");
    let assign = first.next_assign().await;
    assert_eq!(assign.upload_id, started.upload_id);
    let upload_id = started.upload_id;

    // The worker it was routed to may ask about it.
    query(&server, Some(&first.token), &upload_id).await.expect("the assigned worker's query");

    // No token, a forged one, a user's token: not a worker.
    assert_eq!(query(&server, None, &upload_id).await, Err(Code::Unauthenticated));
    let forged = format!("{}.{}", first.token.split('.').next().unwrap(), "0".repeat(64));
    assert_eq!(query(&server, Some(&forged), &upload_id).await, Err(Code::Unauthenticated));
    assert_eq!(query(&server, Some(alice.token().unwrap()), &upload_id).await, Err(Code::Unauthenticated));
    assert_eq!(record(&server, &forged, &upload_id).await, Code::Unauthenticated);

    // Another connected worker may not touch the first one's upload.
    let second = FakeWorker::connect(&server, "http://127.0.0.1:10").await;
    assert_eq!(query(&server, Some(&second.token), &upload_id).await, Err(Code::FailedPrecondition));
    assert_eq!(record(&server, &second.token, &upload_id).await, Code::FailedPrecondition);
    // The first one's record is checked against the upload: 1 byte is no sealed chunk of 10.
    assert_eq!(record(&server, &first.token, &upload_id).await, Code::InvalidArgument);

    // A worker gone is a token gone.
    let token = first.token.clone();
    drop(first);
    let mut refused = None;
    for _ in 0..100 {
        refused = query(&server, Some(&token), &upload_id).await.err();
        if refused == Some(Code::Unauthenticated) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(refused, Some(Code::Unauthenticated), "the token of a disconnected worker");
    drop(second);
    server.shutdown().await;
}

/// A thumbnail worker has no uploads; what it is busy with is what its
/// heartbeats say, and ListWorkers shows exactly that.
async fn list_workers_shows_the_jobs_a_thumbnail_worker_reports(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let token = admin.token().unwrap().to_owned();
    let fake = FakeWorker::connect_as(&server, pb::WorkerKind::Thumbnail, "thumbnailer").await;
    let heartbeat = worker::Heartbeat { active_jobs: 3 };
    let message = worker::connect_request::Message::Heartbeat(heartbeat);
    fake.outbound.send(worker::ConnectRequest { message: Some(message) }).await.unwrap();

    let mut reported = None;
    for _ in 0..100 {
        let mut client = pb::worker_service_client::WorkerServiceClient::new(channel(&server.url).await);
        let workers =
            client.list_workers(authed(pb::ListWorkersRequest {}, &token)).await.unwrap().into_inner().workers;
        reported = workers.iter().find(|info| info.address == "thumbnailer").map(|info| info.active_uploads);
        if reported == Some(3) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(reported, Some(3), "the thumbnail worker's reported jobs");
    drop(fake);
    server.shutdown().await;
}

/// The public package, which the web UI and the SDKs are generated from,
/// holds no secret: data keys, token keys and worker credentials live in
/// `cordvault.worker.v1` alone.
#[test]
fn no_key_or_worker_credential_in_the_public_package() {
    let set = prost_types::FileDescriptorSet::decode(cordvault_proto::FILE_DESCRIPTOR_SET).unwrap();
    let secret = ["data_key", "upload_token_key", "service_password", "worker_token"];
    let mut public_fields = 0;
    let mut found = Vec::new();
    for file in set.file.iter().filter(|file| file.package() == "cordvault.v1") {
        for message in &file.message_type {
            for field in &message.field {
                public_fields += 1;
                if secret.contains(&field.name()) {
                    found.push(format!("{}.{}", message.name(), field.name()));
                }
            }
        }
    }
    assert!(public_fields > 100, "the descriptor set holds the public package");
    assert!(found.is_empty(), "secrets in cordvault.v1: {found:?}");
    let internal = set.file.iter().find(|file| file.package() == "cordvault.worker.v1").expect("the worker package");
    assert!(internal.message_type.iter().any(|message| message.field.iter().any(|field| field.name() == "data_key")));
}
