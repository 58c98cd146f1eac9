from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Lock(_message.Message):
    __slots__ = ("token", "path", "owner_username", "owner_xml", "shared", "deep", "expires_at_ms", "timeout_seconds")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    OWNER_USERNAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_XML_FIELD_NUMBER: _ClassVar[int]
    SHARED_FIELD_NUMBER: _ClassVar[int]
    DEEP_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_MS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    token: str
    path: str
    owner_username: str
    owner_xml: str
    shared: bool
    deep: bool
    expires_at_ms: int
    timeout_seconds: int
    def __init__(self, token: _Optional[str] = ..., path: _Optional[str] = ..., owner_username: _Optional[str] = ..., owner_xml: _Optional[str] = ..., shared: _Optional[bool] = ..., deep: _Optional[bool] = ..., expires_at_ms: _Optional[int] = ..., timeout_seconds: _Optional[int] = ...) -> None: ...

class CreateLockRequest(_message.Message):
    __slots__ = ("path", "owner_xml", "timeout_seconds", "shared", "deep")
    PATH_FIELD_NUMBER: _ClassVar[int]
    OWNER_XML_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SHARED_FIELD_NUMBER: _ClassVar[int]
    DEEP_FIELD_NUMBER: _ClassVar[int]
    path: str
    owner_xml: str
    timeout_seconds: int
    shared: bool
    deep: bool
    def __init__(self, path: _Optional[str] = ..., owner_xml: _Optional[str] = ..., timeout_seconds: _Optional[int] = ..., shared: _Optional[bool] = ..., deep: _Optional[bool] = ...) -> None: ...

class CreateLockResponse(_message.Message):
    __slots__ = ("lock", "conflict")
    LOCK_FIELD_NUMBER: _ClassVar[int]
    CONFLICT_FIELD_NUMBER: _ClassVar[int]
    lock: Lock
    conflict: Lock
    def __init__(self, lock: _Optional[_Union[Lock, _Mapping]] = ..., conflict: _Optional[_Union[Lock, _Mapping]] = ...) -> None: ...

class ReleaseLockRequest(_message.Message):
    __slots__ = ("path", "token")
    PATH_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    path: str
    token: str
    def __init__(self, path: _Optional[str] = ..., token: _Optional[str] = ...) -> None: ...

class ReleaseLockResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RefreshLockRequest(_message.Message):
    __slots__ = ("path", "token", "timeout_seconds")
    PATH_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    path: str
    token: str
    timeout_seconds: int
    def __init__(self, path: _Optional[str] = ..., token: _Optional[str] = ..., timeout_seconds: _Optional[int] = ...) -> None: ...

class RefreshLockResponse(_message.Message):
    __slots__ = ("lock",)
    LOCK_FIELD_NUMBER: _ClassVar[int]
    lock: Lock
    def __init__(self, lock: _Optional[_Union[Lock, _Mapping]] = ...) -> None: ...

class CheckLocksRequest(_message.Message):
    __slots__ = ("path", "deep", "ignore_principal", "tokens")
    PATH_FIELD_NUMBER: _ClassVar[int]
    DEEP_FIELD_NUMBER: _ClassVar[int]
    IGNORE_PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    path: str
    deep: bool
    ignore_principal: bool
    tokens: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, path: _Optional[str] = ..., deep: _Optional[bool] = ..., ignore_principal: _Optional[bool] = ..., tokens: _Optional[_Iterable[str]] = ...) -> None: ...

class CheckLocksResponse(_message.Message):
    __slots__ = ("conflict",)
    CONFLICT_FIELD_NUMBER: _ClassVar[int]
    conflict: Lock
    def __init__(self, conflict: _Optional[_Union[Lock, _Mapping]] = ...) -> None: ...

class ListLocksRequest(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class ListLocksResponse(_message.Message):
    __slots__ = ("locks",)
    LOCKS_FIELD_NUMBER: _ClassVar[int]
    locks: _containers.RepeatedCompositeFieldContainer[Lock]
    def __init__(self, locks: _Optional[_Iterable[_Union[Lock, _Mapping]]] = ...) -> None: ...

class DeleteLocksRequest(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class DeleteLocksResponse(_message.Message):
    __slots__ = ("deleted_locks",)
    DELETED_LOCKS_FIELD_NUMBER: _ClassVar[int]
    deleted_locks: int
    def __init__(self, deleted_locks: _Optional[int] = ...) -> None: ...
