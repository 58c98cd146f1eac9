from cordvault_sdk.gen.cordvault.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StartUploadRequest(_message.Message):
    __slots__ = ("path", "size", "sha256", "conflict_policy", "mime_type", "resume_upload_id")
    PATH_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    CONFLICT_POLICY_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    RESUME_UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    path: str
    size: int
    sha256: str
    conflict_policy: _common_pb2.ConflictPolicy
    mime_type: str
    resume_upload_id: str
    def __init__(self, path: _Optional[str] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ..., conflict_policy: _Optional[_Union[_common_pb2.ConflictPolicy, str]] = ..., mime_type: _Optional[str] = ..., resume_upload_id: _Optional[str] = ...) -> None: ...

class StartUploadResponse(_message.Message):
    __slots__ = ("upload_id", "chunk_size", "chunk_count", "upload_endpoint", "resumed", "expires_at_ms", "upload_token")
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_FIELD_NUMBER: _ClassVar[int]
    CHUNK_COUNT_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    RESUMED_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_MS_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_TOKEN_FIELD_NUMBER: _ClassVar[int]
    upload_id: str
    chunk_size: int
    chunk_count: int
    upload_endpoint: str
    resumed: bool
    expires_at_ms: int
    upload_token: str
    def __init__(self, upload_id: _Optional[str] = ..., chunk_size: _Optional[int] = ..., chunk_count: _Optional[int] = ..., upload_endpoint: _Optional[str] = ..., resumed: _Optional[bool] = ..., expires_at_ms: _Optional[int] = ..., upload_token: _Optional[str] = ...) -> None: ...

class UploadRequest(_message.Message):
    __slots__ = ("upload_id", "chunk_index", "data")
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNK_INDEX_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    upload_id: str
    chunk_index: int
    data: bytes
    def __init__(self, upload_id: _Optional[str] = ..., chunk_index: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class UploadResponse(_message.Message):
    __slots__ = ("chunk_index",)
    CHUNK_INDEX_FIELD_NUMBER: _ClassVar[int]
    chunk_index: int
    def __init__(self, chunk_index: _Optional[int] = ...) -> None: ...

class PutChunkRequest(_message.Message):
    __slots__ = ("upload_id", "chunk_index", "data")
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNK_INDEX_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    upload_id: str
    chunk_index: int
    data: bytes
    def __init__(self, upload_id: _Optional[str] = ..., chunk_index: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class PutChunkResponse(_message.Message):
    __slots__ = ("chunk_index",)
    CHUNK_INDEX_FIELD_NUMBER: _ClassVar[int]
    chunk_index: int
    def __init__(self, chunk_index: _Optional[int] = ...) -> None: ...

class QueryUploadRequest(_message.Message):
    __slots__ = ("upload_id",)
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    upload_id: str
    def __init__(self, upload_id: _Optional[str] = ...) -> None: ...

class QueryUploadResponse(_message.Message):
    __slots__ = ("path", "size", "chunk_size", "chunk_count", "durable_chunks", "expires_at_ms")
    PATH_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_FIELD_NUMBER: _ClassVar[int]
    CHUNK_COUNT_FIELD_NUMBER: _ClassVar[int]
    DURABLE_CHUNKS_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_MS_FIELD_NUMBER: _ClassVar[int]
    path: str
    size: int
    chunk_size: int
    chunk_count: int
    durable_chunks: _containers.RepeatedScalarFieldContainer[int]
    expires_at_ms: int
    def __init__(self, path: _Optional[str] = ..., size: _Optional[int] = ..., chunk_size: _Optional[int] = ..., chunk_count: _Optional[int] = ..., durable_chunks: _Optional[_Iterable[int]] = ..., expires_at_ms: _Optional[int] = ...) -> None: ...

class CommitUploadRequest(_message.Message):
    __slots__ = ("upload_id", "sha256")
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    upload_id: str
    sha256: str
    def __init__(self, upload_id: _Optional[str] = ..., sha256: _Optional[str] = ...) -> None: ...

class CommitUploadResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _common_pb2.Entry
    def __init__(self, entry: _Optional[_Union[_common_pb2.Entry, _Mapping]] = ...) -> None: ...

class AbortUploadRequest(_message.Message):
    __slots__ = ("upload_id",)
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    upload_id: str
    def __init__(self, upload_id: _Optional[str] = ...) -> None: ...

class AbortUploadResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReadRequest(_message.Message):
    __slots__ = ("path", "offset", "length")
    PATH_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    path: str
    offset: int
    length: int
    def __init__(self, path: _Optional[str] = ..., offset: _Optional[int] = ..., length: _Optional[int] = ...) -> None: ...

class ReadResponse(_message.Message):
    __slots__ = ("entry", "offset", "data", "range_end")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    RANGE_END_FIELD_NUMBER: _ClassVar[int]
    entry: _common_pb2.Entry
    offset: int
    data: bytes
    range_end: bool
    def __init__(self, entry: _Optional[_Union[_common_pb2.Entry, _Mapping]] = ..., offset: _Optional[int] = ..., data: _Optional[bytes] = ..., range_end: _Optional[bool] = ...) -> None: ...
