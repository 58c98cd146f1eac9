"""cordvault Python SDK: the generated gRPC stubs plus a few small helpers.

The stubs live in `cordvault_sdk.gen.cordvault.v1` (regenerate with
`buf generate`); everything here is plain use of them:

    channel = cordvault_sdk.connect("http://127.0.0.1:8080")
    auth = auth_pb2_grpc.AuthServiceStub(channel)
    token = auth.Login(auth_pb2.LoginRequest(username=..., password=...)).token
    entry = cordvault_sdk.upload(channel, token, "/docs/a.txt", b"hello")
    assert cordvault_sdk.read(channel, token, "/docs/a.txt") == b"hello"
"""

import hashlib
from urllib.parse import urlsplit

import grpc

from cordvault_sdk.gen.cordvault.v1 import common_pb2, transfer_pb2, transfer_pb2_grpc

# Chunks (4 MiB by default, CHUNK_SIZE on the server) travel in single
# messages, above gRPC's default 4 MiB receive limit.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


def connect(address):
    """A channel to `address`: "http://host:port" (plaintext HTTP/2),
    "https://host:port" (TLS) or a bare "host:port" (plaintext)."""
    parts = urlsplit(address if "://" in address else f"http://{address}")
    options = [
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ]
    if parts.scheme == "https":
        return grpc.secure_channel(parts.netloc, grpc.ssl_channel_credentials(), options)
    if parts.scheme != "http":
        raise ValueError(f"unsupported scheme in {address!r}: use http:// or https://")
    return grpc.insecure_channel(parts.netloc, options)


def bearer(token):
    """Call metadata carrying a token from Login/Register (or an upload token)."""
    return (("authorization", f"Bearer {token}"),)


def upload(
    channel,
    token,
    path,
    data,
    conflict_policy=common_pb2.CONFLICT_POLICY_FAIL,
    mime_type="",
    progress=None,
):
    """Uploads `data` to `path` with StartUpload, one PutChunk per chunk and
    CommitUpload; returns the committed Entry.

    When the manager routes the upload to a worker (upload_endpoint set),
    the chunks go there with the upload token; Start and Commit stay on the
    manager with the user's token. A resumed session skips durable chunks.
    `progress(chunk_number, chunk_count)`, if given, is called after each chunk sent.
    """
    manager = transfer_pb2_grpc.TransferServiceStub(channel)
    start = manager.StartUpload(
        transfer_pb2.StartUploadRequest(
            path=path,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            conflict_policy=conflict_policy,
            mime_type=mime_type,
        ),
        metadata=bearer(token),
    )
    durable = set()
    if start.resumed:
        query = manager.QueryUpload(
            transfer_pb2.QueryUploadRequest(upload_id=start.upload_id), metadata=bearer(token)
        )
        durable = set(query.durable_chunks)

    if start.upload_endpoint:
        chunk_channel = connect(start.upload_endpoint)
        chunk_metadata = bearer(start.upload_token)
    else:
        chunk_channel = channel
        chunk_metadata = bearer(token)
    try:
        chunks = transfer_pb2_grpc.TransferServiceStub(chunk_channel)
        for index in range(start.chunk_count):
            if index in durable:
                continue
            begin = index * start.chunk_size
            chunks.PutChunk(
                transfer_pb2.PutChunkRequest(
                    upload_id=start.upload_id,
                    chunk_index=index,
                    data=data[begin : begin + start.chunk_size],
                ),
                metadata=chunk_metadata,
            )
            if progress:
                progress(index + 1, start.chunk_count)
    finally:
        if chunk_channel is not channel:
            chunk_channel.close()

    commit = manager.CommitUpload(
        transfer_pb2.CommitUploadRequest(upload_id=start.upload_id), metadata=bearer(token)
    )
    return commit.entry


def read(channel, token, path, offset=0, length=0):
    """Reads a file (or the range offset..offset+length; length 0 = to the
    end) through the bidirectional Read stream: one range is sent, the data
    messages up to range_end are joined."""
    stub = transfer_pb2_grpc.TransferServiceStub(channel)
    requests = iter([transfer_pb2.ReadRequest(path=path, offset=offset, length=length)])
    parts = []
    position = offset
    call = stub.Read(requests, metadata=bearer(token))
    try:
        for response in call:
            if response.data:
                if response.offset != position:
                    raise RuntimeError(f"Read of {path}: expected offset {position}, got {response.offset}")
                parts.append(response.data)
                position += len(response.data)
            if response.range_end:
                break
    finally:
        call.cancel()  # a no-op once the server has ended the stream
    return b"".join(parts)
