from cordvault_sdk.gen.cordvault.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListUsersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListUsersResponse(_message.Message):
    __slots__ = ("users",)
    USERS_FIELD_NUMBER: _ClassVar[int]
    users: _containers.RepeatedCompositeFieldContainer[_common_pb2.User]
    def __init__(self, users: _Optional[_Iterable[_Union[_common_pb2.User, _Mapping]]] = ...) -> None: ...

class CreateUserRequest(_message.Message):
    __slots__ = ("username", "password", "is_admin")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    IS_ADMIN_FIELD_NUMBER: _ClassVar[int]
    username: str
    password: str
    is_admin: bool
    def __init__(self, username: _Optional[str] = ..., password: _Optional[str] = ..., is_admin: _Optional[bool] = ...) -> None: ...

class CreateUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: _common_pb2.User
    def __init__(self, user: _Optional[_Union[_common_pb2.User, _Mapping]] = ...) -> None: ...

class DeleteUserRequest(_message.Message):
    __slots__ = ("username", "delete_files", "transfer_files_to")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    DELETE_FILES_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_FILES_TO_FIELD_NUMBER: _ClassVar[int]
    username: str
    delete_files: bool
    transfer_files_to: str
    def __init__(self, username: _Optional[str] = ..., delete_files: _Optional[bool] = ..., transfer_files_to: _Optional[str] = ...) -> None: ...

class DeleteUserResponse(_message.Message):
    __slots__ = ("affected_entries",)
    AFFECTED_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    affected_entries: int
    def __init__(self, affected_entries: _Optional[int] = ...) -> None: ...

class SetAdminRequest(_message.Message):
    __slots__ = ("username", "is_admin")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    IS_ADMIN_FIELD_NUMBER: _ClassVar[int]
    username: str
    is_admin: bool
    def __init__(self, username: _Optional[str] = ..., is_admin: _Optional[bool] = ...) -> None: ...

class SetAdminResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: _common_pb2.User
    def __init__(self, user: _Optional[_Union[_common_pb2.User, _Mapping]] = ...) -> None: ...

class ResetPasswordRequest(_message.Message):
    __slots__ = ("username", "new_password")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    NEW_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    username: str
    new_password: str
    def __init__(self, username: _Optional[str] = ..., new_password: _Optional[str] = ...) -> None: ...

class ResetPasswordResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetQuotaRequest(_message.Message):
    __slots__ = ("username",)
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    username: str
    def __init__(self, username: _Optional[str] = ...) -> None: ...

class GetQuotaResponse(_message.Message):
    __slots__ = ("quota",)
    QUOTA_FIELD_NUMBER: _ClassVar[int]
    quota: _common_pb2.Quota
    def __init__(self, quota: _Optional[_Union[_common_pb2.Quota, _Mapping]] = ...) -> None: ...

class SetQuotaRequest(_message.Message):
    __slots__ = ("username", "max_bytes", "max_entries", "max_upload_sessions")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    MAX_UPLOAD_SESSIONS_FIELD_NUMBER: _ClassVar[int]
    username: str
    max_bytes: int
    max_entries: int
    max_upload_sessions: int
    def __init__(self, username: _Optional[str] = ..., max_bytes: _Optional[int] = ..., max_entries: _Optional[int] = ..., max_upload_sessions: _Optional[int] = ...) -> None: ...

class SetQuotaResponse(_message.Message):
    __slots__ = ("quota",)
    QUOTA_FIELD_NUMBER: _ClassVar[int]
    quota: _common_pb2.Quota
    def __init__(self, quota: _Optional[_Union[_common_pb2.Quota, _Mapping]] = ...) -> None: ...

class SetPackagePremiumRequest(_message.Message):
    __slots__ = ("package_id", "premium")
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    PREMIUM_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    premium: bool
    def __init__(self, package_id: _Optional[str] = ..., premium: _Optional[bool] = ...) -> None: ...

class SetPackagePremiumResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
