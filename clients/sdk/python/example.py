#!/usr/bin/env python3
"""End-to-end use of the cordvault Python SDK against a running manager:
register, log in, create a folder, upload a multi-chunk file with the
helper and a small file with the raw stubs, list, read both back and
compare. Exits non-zero on any mismatch or failed call.

    python example.py --address http://127.0.0.1:8080

Register needs no token only for the first account of a server; on a
server that already has users, pass an administrator with --admin-username
and --admin-password.
"""

import argparse
import hashlib
import os
import secrets
import sys

import grpc

import cordvault_sdk
from cordvault_sdk import bearer
from cordvault_sdk.gen.cordvault.v1 import (
    auth_pb2,
    auth_pb2_grpc,
    common_pb2,
    file_pb2,
    file_pb2_grpc,
    transfer_pb2,
    transfer_pb2_grpc,
)


def check(condition, message):
    if not condition:
        print(f"MISMATCH: {message}", file=sys.stderr)
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--address", default="http://127.0.0.1:8080")
    parser.add_argument("--admin-username", default="")
    parser.add_argument("--admin-password", default="")
    args = parser.parse_args()

    channel = cordvault_sdk.connect(args.address)
    auth = auth_pb2_grpc.AuthServiceStub(channel)
    files = file_pb2_grpc.FileServiceStub(channel)
    transfer = transfer_pb2_grpc.TransferServiceStub(channel)

    # 1. An account of our own, then a token for it.
    register_metadata = ()
    if args.admin_username:
        admin = auth.Login(
            auth_pb2.LoginRequest(username=args.admin_username, password=args.admin_password)
        )
        register_metadata = bearer(admin.token)
    username = f"sdk_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    user = auth.Register(
        auth_pb2.RegisterRequest(username=username, password=password), metadata=register_metadata
    ).user
    print(f"registered {user.username} (id {user.id}, admin={user.is_admin})")
    login = auth.Login(auth_pb2.LoginRequest(username=username, password=password))
    token = login.token
    who = auth.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=bearer(token)).user
    check(who.username == username, f"WhoAmI says {who.username}, expected {username}")
    print(f"logged in as {who.username}")

    # 2. A folder to work in.
    folder = f"/{username}-example"
    files.CreateFolder(file_pb2.CreateFolderRequest(path=folder), metadata=bearer(token))
    print(f"created folder {folder}")

    # 3. A few MiB of random bytes: several chunks at the default 4 MiB.
    big = os.urandom(9 * 1024 * 1024 + 12345)
    big_path = f"{folder}/big.bin"
    sent = []
    entry = cordvault_sdk.upload(
        channel, token, big_path, big, progress=lambda done, count: sent.append((done, count))
    )
    chunk_count = sent[-1][1] if sent else 0
    check(entry.size == len(big), f"{big_path}: size {entry.size}, expected {len(big)}")
    check(entry.sha256 == hashlib.sha256(big).hexdigest(), f"{big_path}: sha256 differs")
    print(f"uploaded {big_path}: {entry.size} bytes in {chunk_count} chunks")
    check(chunk_count > 1, f"{big_path} should span several chunks, took {chunk_count}")

    # 4. A small file with the generated stubs alone: StartUpload, PutChunk, CommitUpload.
    small = b"hello from the cordvault Python SDK\n"
    small_path = f"{folder}/hello.txt"
    start = transfer.StartUpload(
        transfer_pb2.StartUploadRequest(
            path=small_path,
            size=len(small),
            sha256=hashlib.sha256(small).hexdigest(),
            conflict_policy=common_pb2.CONFLICT_POLICY_FAIL,
        ),
        metadata=bearer(token),
    )
    check(start.chunk_count == 1, f"{small_path}: {start.chunk_count} chunks, expected 1")
    chunk_channel = cordvault_sdk.connect(start.upload_endpoint) if start.upload_endpoint else channel
    chunk_token = start.upload_token if start.upload_endpoint else token
    transfer_pb2_grpc.TransferServiceStub(chunk_channel).PutChunk(
        transfer_pb2.PutChunkRequest(upload_id=start.upload_id, chunk_index=0, data=small),
        metadata=bearer(chunk_token),
    )
    if chunk_channel is not channel:
        chunk_channel.close()
    entry = transfer.CommitUpload(
        transfer_pb2.CommitUploadRequest(upload_id=start.upload_id), metadata=bearer(token)
    ).entry
    check(entry.size == len(small), f"{small_path}: size {entry.size}, expected {len(small)}")
    print(f"uploaded {small_path}: {entry.size} bytes with one PutChunk")

    # 5. The folder lists both, names sorted.
    listing = files.List(file_pb2.ListRequest(path=folder), metadata=bearer(token))
    listed = {e.name: e.size for e in listing.entries}
    print(f"listed {folder}: " + ", ".join(f"{name} ({size} B)" for name, size in sorted(listed.items())))
    check(listed == {"big.bin": len(big), "hello.txt": len(small)}, f"unexpected listing {listed}")

    # 6. Both read back through the Read stream, plus one range.
    for path, expected in ((big_path, big), (small_path, small)):
        data = cordvault_sdk.read(channel, token, path)
        check(data == expected, f"{path}: read {len(data)} bytes that differ from what was uploaded")
        print(f"read {path}: {len(data)} bytes, identical")
    middle = cordvault_sdk.read(channel, token, big_path, offset=4 * 1024 * 1024 - 10, length=100)
    check(middle == big[4 * 1024 * 1024 - 10 : 4 * 1024 * 1024 + 90], "ranged read differs")
    print("read a 100-byte range across a chunk boundary: identical")

    print("example: ok")


if __name__ == "__main__":
    try:
        main()
    except grpc.RpcError as err:
        print(f"call failed: {err.code().name}: {err.details()}", file=sys.stderr)
        sys.exit(1)
