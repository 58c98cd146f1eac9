from cordvault_sdk.gen.cordvault.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TicketPurpose(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TICKET_PURPOSE_UNSPECIFIED: _ClassVar[TicketPurpose]
    TICKET_PURPOSE_DOWNLOAD: _ClassVar[TicketPurpose]
    TICKET_PURPOSE_ZIP: _ClassVar[TicketPurpose]
    TICKET_PURPOSE_THUMBNAILS: _ClassVar[TicketPurpose]
TICKET_PURPOSE_UNSPECIFIED: TicketPurpose
TICKET_PURPOSE_DOWNLOAD: TicketPurpose
TICKET_PURPOSE_ZIP: TicketPurpose
TICKET_PURPOSE_THUMBNAILS: TicketPurpose

class RegisterRequest(_message.Message):
    __slots__ = ("username", "password")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    username: str
    password: str
    def __init__(self, username: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class RegisterResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: _common_pb2.User
    def __init__(self, user: _Optional[_Union[_common_pb2.User, _Mapping]] = ...) -> None: ...

class LoginRequest(_message.Message):
    __slots__ = ("username", "password")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    username: str
    password: str
    def __init__(self, username: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class LoginResponse(_message.Message):
    __slots__ = ("token", "expires_at_ms", "user")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_MS_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    token: str
    expires_at_ms: int
    user: _common_pb2.User
    def __init__(self, token: _Optional[str] = ..., expires_at_ms: _Optional[int] = ..., user: _Optional[_Union[_common_pb2.User, _Mapping]] = ...) -> None: ...

class UpdatePasswordRequest(_message.Message):
    __slots__ = ("old_password", "new_password")
    OLD_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    NEW_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    old_password: str
    new_password: str
    def __init__(self, old_password: _Optional[str] = ..., new_password: _Optional[str] = ...) -> None: ...

class UpdatePasswordResponse(_message.Message):
    __slots__ = ("token", "expires_at_ms")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_MS_FIELD_NUMBER: _ClassVar[int]
    token: str
    expires_at_ms: int
    def __init__(self, token: _Optional[str] = ..., expires_at_ms: _Optional[int] = ...) -> None: ...

class WhoAmIRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WhoAmIResponse(_message.Message):
    __slots__ = ("user", "quota")
    USER_FIELD_NUMBER: _ClassVar[int]
    QUOTA_FIELD_NUMBER: _ClassVar[int]
    user: _common_pb2.User
    quota: _common_pb2.Quota
    def __init__(self, user: _Optional[_Union[_common_pb2.User, _Mapping]] = ..., quota: _Optional[_Union[_common_pb2.Quota, _Mapping]] = ...) -> None: ...

class CreateDownloadTicketRequest(_message.Message):
    __slots__ = ("purpose", "path")
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    purpose: TicketPurpose
    path: str
    def __init__(self, purpose: _Optional[_Union[TicketPurpose, str]] = ..., path: _Optional[str] = ...) -> None: ...

class CreateDownloadTicketResponse(_message.Message):
    __slots__ = ("ticket", "expires_at_ms")
    TICKET_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_MS_FIELD_NUMBER: _ClassVar[int]
    ticket: str
    expires_at_ms: int
    def __init__(self, ticket: _Optional[str] = ..., expires_at_ms: _Optional[int] = ...) -> None: ...
