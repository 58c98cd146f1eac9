from cordvault_sdk.gen.cordvault.v1 import transfer_pb2 as _transfer_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WorkerKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WORKER_KIND_UNSPECIFIED: _ClassVar[WorkerKind]
    WORKER_KIND_UPLOAD: _ClassVar[WorkerKind]
    WORKER_KIND_THUMBNAIL: _ClassVar[WorkerKind]
WORKER_KIND_UNSPECIFIED: WorkerKind
WORKER_KIND_UPLOAD: WorkerKind
WORKER_KIND_THUMBNAIL: WorkerKind

class ConnectRequest(_message.Message):
    __slots__ = ("hello", "chunk_stored", "query_chunks", "heartbeat", "thumbnail_result")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    CHUNK_STORED_FIELD_NUMBER: _ClassVar[int]
    QUERY_CHUNKS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_RESULT_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    chunk_stored: ChunkStored
    query_chunks: QueryChunks
    heartbeat: Heartbeat
    thumbnail_result: ThumbnailResult
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., chunk_stored: _Optional[_Union[ChunkStored, _Mapping]] = ..., query_chunks: _Optional[_Union[QueryChunks, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., thumbnail_result: _Optional[_Union[ThumbnailResult, _Mapping]] = ...) -> None: ...

class ConnectResponse(_message.Message):
    __slots__ = ("welcome", "assign", "release", "chunk_recorded", "chunks_durable", "thumbnail_job")
    WELCOME_FIELD_NUMBER: _ClassVar[int]
    ASSIGN_FIELD_NUMBER: _ClassVar[int]
    RELEASE_FIELD_NUMBER: _ClassVar[int]
    CHUNK_RECORDED_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_DURABLE_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_JOB_FIELD_NUMBER: _ClassVar[int]
    welcome: Welcome
    assign: Assign
    release: Release
    chunk_recorded: ChunkRecorded
    chunks_durable: ChunksDurable
    thumbnail_job: ThumbnailJob
    def __init__(self, welcome: _Optional[_Union[Welcome, _Mapping]] = ..., assign: _Optional[_Union[Assign, _Mapping]] = ..., release: _Optional[_Union[Release, _Mapping]] = ..., chunk_recorded: _Optional[_Union[ChunkRecorded, _Mapping]] = ..., chunks_durable: _Optional[_Union[ChunksDurable, _Mapping]] = ..., thumbnail_job: _Optional[_Union[ThumbnailJob, _Mapping]] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("kind", "service_password", "address", "capacity")
    KIND_FIELD_NUMBER: _ClassVar[int]
    SERVICE_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    kind: WorkerKind
    service_password: str
    address: str
    capacity: int
    def __init__(self, kind: _Optional[_Union[WorkerKind, str]] = ..., service_password: _Optional[str] = ..., address: _Optional[str] = ..., capacity: _Optional[int] = ...) -> None: ...

class Welcome(_message.Message):
    __slots__ = ("worker_id", "chunk_size", "chunk_store", "upload_token_key", "heartbeat_interval_secs")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_FIELD_NUMBER: _ClassVar[int]
    CHUNK_STORE_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_TOKEN_KEY_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_SECS_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    chunk_size: int
    chunk_store: str
    upload_token_key: bytes
    heartbeat_interval_secs: int
    def __init__(self, worker_id: _Optional[str] = ..., chunk_size: _Optional[int] = ..., chunk_store: _Optional[str] = ..., upload_token_key: _Optional[bytes] = ..., heartbeat_interval_secs: _Optional[int] = ...) -> None: ...

class Assign(_message.Message):
    __slots__ = ("upload_id", "size", "chunk_size", "data_key")
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_FIELD_NUMBER: _ClassVar[int]
    DATA_KEY_FIELD_NUMBER: _ClassVar[int]
    upload_id: str
    size: int
    chunk_size: int
    data_key: bytes
    def __init__(self, upload_id: _Optional[str] = ..., size: _Optional[int] = ..., chunk_size: _Optional[int] = ..., data_key: _Optional[bytes] = ...) -> None: ...

class Release(_message.Message):
    __slots__ = ("upload_id",)
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    upload_id: str
    def __init__(self, upload_id: _Optional[str] = ...) -> None: ...

class ChunkStored(_message.Message):
    __slots__ = ("request_id", "upload_id", "chunk_index", "locator", "sealed_size", "seal_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNK_INDEX_FIELD_NUMBER: _ClassVar[int]
    LOCATOR_FIELD_NUMBER: _ClassVar[int]
    SEALED_SIZE_FIELD_NUMBER: _ClassVar[int]
    SEAL_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    upload_id: str
    chunk_index: int
    locator: str
    sealed_size: int
    seal_id: str
    def __init__(self, request_id: _Optional[int] = ..., upload_id: _Optional[str] = ..., chunk_index: _Optional[int] = ..., locator: _Optional[str] = ..., sealed_size: _Optional[int] = ..., seal_id: _Optional[str] = ...) -> None: ...

class ChunkRecorded(_message.Message):
    __slots__ = ("request_id", "code", "message")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    code: int
    message: str
    def __init__(self, request_id: _Optional[int] = ..., code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class QueryChunks(_message.Message):
    __slots__ = ("request_id", "upload_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    upload_id: str
    def __init__(self, request_id: _Optional[int] = ..., upload_id: _Optional[str] = ...) -> None: ...

class ChunksDurable(_message.Message):
    __slots__ = ("request_id", "code", "message", "upload")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    code: int
    message: str
    upload: _transfer_pb2.QueryUploadResponse
    def __init__(self, request_id: _Optional[int] = ..., code: _Optional[int] = ..., message: _Optional[str] = ..., upload: _Optional[_Union[_transfer_pb2.QueryUploadResponse, _Mapping]] = ...) -> None: ...

class ThumbnailJob(_message.Message):
    __slots__ = ("job_id", "mime_type", "size", "chunk_size", "data_key", "chunk_locators", "max_width")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_FIELD_NUMBER: _ClassVar[int]
    DATA_KEY_FIELD_NUMBER: _ClassVar[int]
    CHUNK_LOCATORS_FIELD_NUMBER: _ClassVar[int]
    MAX_WIDTH_FIELD_NUMBER: _ClassVar[int]
    job_id: int
    mime_type: str
    size: int
    chunk_size: int
    data_key: bytes
    chunk_locators: _containers.RepeatedScalarFieldContainer[str]
    max_width: int
    def __init__(self, job_id: _Optional[int] = ..., mime_type: _Optional[str] = ..., size: _Optional[int] = ..., chunk_size: _Optional[int] = ..., data_key: _Optional[bytes] = ..., chunk_locators: _Optional[_Iterable[str]] = ..., max_width: _Optional[int] = ...) -> None: ...

class ThumbnailResult(_message.Message):
    __slots__ = ("job_id", "data", "mime_type", "width", "height", "skipped_reason")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_REASON_FIELD_NUMBER: _ClassVar[int]
    job_id: int
    data: bytes
    mime_type: str
    width: int
    height: int
    skipped_reason: str
    def __init__(self, job_id: _Optional[int] = ..., data: _Optional[bytes] = ..., mime_type: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., skipped_reason: _Optional[str] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("active_uploads",)
    ACTIVE_UPLOADS_FIELD_NUMBER: _ClassVar[int]
    active_uploads: int
    def __init__(self, active_uploads: _Optional[int] = ...) -> None: ...

class WorkerInfo(_message.Message):
    __slots__ = ("worker_id", "kind", "address", "capacity", "active_uploads")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_UPLOADS_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    kind: WorkerKind
    address: str
    capacity: int
    active_uploads: int
    def __init__(self, worker_id: _Optional[str] = ..., kind: _Optional[_Union[WorkerKind, str]] = ..., address: _Optional[str] = ..., capacity: _Optional[int] = ..., active_uploads: _Optional[int] = ...) -> None: ...

class ListWorkersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListWorkersResponse(_message.Message):
    __slots__ = ("workers",)
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    workers: _containers.RepeatedCompositeFieldContainer[WorkerInfo]
    def __init__(self, workers: _Optional[_Iterable[_Union[WorkerInfo, _Mapping]]] = ...) -> None: ...

class WatchWorkersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WatchWorkersResponse(_message.Message):
    __slots__ = ("change", "worker")
    class Change(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        CHANGE_UNSPECIFIED: _ClassVar[WatchWorkersResponse.Change]
        CHANGE_PRESENT: _ClassVar[WatchWorkersResponse.Change]
        CHANGE_JOINED: _ClassVar[WatchWorkersResponse.Change]
        CHANGE_LEFT: _ClassVar[WatchWorkersResponse.Change]
    CHANGE_UNSPECIFIED: WatchWorkersResponse.Change
    CHANGE_PRESENT: WatchWorkersResponse.Change
    CHANGE_JOINED: WatchWorkersResponse.Change
    CHANGE_LEFT: WatchWorkersResponse.Change
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    WORKER_FIELD_NUMBER: _ClassVar[int]
    change: WatchWorkersResponse.Change
    worker: WorkerInfo
    def __init__(self, change: _Optional[_Union[WatchWorkersResponse.Change, str]] = ..., worker: _Optional[_Union[WorkerInfo, _Mapping]] = ...) -> None: ...
