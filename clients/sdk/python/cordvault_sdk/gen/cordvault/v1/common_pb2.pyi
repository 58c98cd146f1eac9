from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EntryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENTRY_KIND_UNSPECIFIED: _ClassVar[EntryKind]
    ENTRY_KIND_FILE: _ClassVar[EntryKind]
    ENTRY_KIND_FOLDER: _ClassVar[EntryKind]

class ConflictPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONFLICT_POLICY_UNSPECIFIED: _ClassVar[ConflictPolicy]
    CONFLICT_POLICY_FAIL: _ClassVar[ConflictPolicy]
    CONFLICT_POLICY_RENAME: _ClassVar[ConflictPolicy]
    CONFLICT_POLICY_OVERWRITE: _ClassVar[ConflictPolicy]

class Access(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACCESS_UNSPECIFIED: _ClassVar[Access]
    ACCESS_NONE: _ClassVar[Access]
    ACCESS_READ: _ClassVar[Access]
    ACCESS_WRITE: _ClassVar[Access]
    ACCESS_MANAGE: _ClassVar[Access]
ENTRY_KIND_UNSPECIFIED: EntryKind
ENTRY_KIND_FILE: EntryKind
ENTRY_KIND_FOLDER: EntryKind
CONFLICT_POLICY_UNSPECIFIED: ConflictPolicy
CONFLICT_POLICY_FAIL: ConflictPolicy
CONFLICT_POLICY_RENAME: ConflictPolicy
CONFLICT_POLICY_OVERWRITE: ConflictPolicy
ACCESS_UNSPECIFIED: Access
ACCESS_NONE: Access
ACCESS_READ: Access
ACCESS_WRITE: Access
ACCESS_MANAGE: Access

class Entry(_message.Message):
    __slots__ = ("id", "path", "name", "kind", "size", "mime_type", "owner", "created_at_ms", "updated_at_ms", "sha256", "public", "has_thumbnail", "access")
    ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    HAS_THUMBNAIL_FIELD_NUMBER: _ClassVar[int]
    ACCESS_FIELD_NUMBER: _ClassVar[int]
    id: int
    path: str
    name: str
    kind: EntryKind
    size: int
    mime_type: str
    owner: str
    created_at_ms: int
    updated_at_ms: int
    sha256: str
    public: bool
    has_thumbnail: bool
    access: Access
    def __init__(self, id: _Optional[int] = ..., path: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[EntryKind, str]] = ..., size: _Optional[int] = ..., mime_type: _Optional[str] = ..., owner: _Optional[str] = ..., created_at_ms: _Optional[int] = ..., updated_at_ms: _Optional[int] = ..., sha256: _Optional[str] = ..., public: _Optional[bool] = ..., has_thumbnail: _Optional[bool] = ..., access: _Optional[_Union[Access, str]] = ...) -> None: ...

class User(_message.Message):
    __slots__ = ("id", "username", "is_admin", "created_at_ms")
    ID_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    IS_ADMIN_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    id: int
    username: str
    is_admin: bool
    created_at_ms: int
    def __init__(self, id: _Optional[int] = ..., username: _Optional[str] = ..., is_admin: _Optional[bool] = ..., created_at_ms: _Optional[int] = ...) -> None: ...

class Quota(_message.Message):
    __slots__ = ("max_bytes", "used_bytes", "max_entries", "used_entries", "max_upload_sessions", "open_upload_sessions")
    MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    USED_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    MAX_UPLOAD_SESSIONS_FIELD_NUMBER: _ClassVar[int]
    OPEN_UPLOAD_SESSIONS_FIELD_NUMBER: _ClassVar[int]
    max_bytes: int
    used_bytes: int
    max_entries: int
    used_entries: int
    max_upload_sessions: int
    open_upload_sessions: int
    def __init__(self, max_bytes: _Optional[int] = ..., used_bytes: _Optional[int] = ..., max_entries: _Optional[int] = ..., used_entries: _Optional[int] = ..., max_upload_sessions: _Optional[int] = ..., open_upload_sessions: _Optional[int] = ...) -> None: ...
