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
    WORKER_KIND_ANALYSIS: _ClassVar[WorkerKind]
WORKER_KIND_UNSPECIFIED: WorkerKind
WORKER_KIND_UPLOAD: WorkerKind
WORKER_KIND_THUMBNAIL: WorkerKind
WORKER_KIND_ANALYSIS: WorkerKind

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
