from cordvault_sdk.gen.cordvault.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
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

class SshKey(_message.Message):
    __slots__ = ("id", "fingerprint", "algorithm", "comment", "created_at_ms")
    ID_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    id: int
    fingerprint: str
    algorithm: str
    comment: str
    created_at_ms: int
    def __init__(self, id: _Optional[int] = ..., fingerprint: _Optional[str] = ..., algorithm: _Optional[str] = ..., comment: _Optional[str] = ..., created_at_ms: _Optional[int] = ...) -> None: ...

class AddSshKeyRequest(_message.Message):
    __slots__ = ("public_key",)
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    public_key: str
    def __init__(self, public_key: _Optional[str] = ...) -> None: ...

class AddSshKeyResponse(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: SshKey
    def __init__(self, key: _Optional[_Union[SshKey, _Mapping]] = ...) -> None: ...

class ListSshKeysRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSshKeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[SshKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[SshKey, _Mapping]]] = ...) -> None: ...

class RemoveSshKeyRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class RemoveSshKeyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AppPassword(_message.Message):
    __slots__ = ("id", "label", "created_at_ms", "last_used_at_ms")
    ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    id: int
    label: str
    created_at_ms: int
    last_used_at_ms: int
    def __init__(self, id: _Optional[int] = ..., label: _Optional[str] = ..., created_at_ms: _Optional[int] = ..., last_used_at_ms: _Optional[int] = ...) -> None: ...

class CreateAppPasswordRequest(_message.Message):
    __slots__ = ("label",)
    LABEL_FIELD_NUMBER: _ClassVar[int]
    label: str
    def __init__(self, label: _Optional[str] = ...) -> None: ...

class CreateAppPasswordResponse(_message.Message):
    __slots__ = ("app_password", "secret")
    APP_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    app_password: AppPassword
    secret: str
    def __init__(self, app_password: _Optional[_Union[AppPassword, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class ListAppPasswordsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAppPasswordsResponse(_message.Message):
    __slots__ = ("app_passwords",)
    APP_PASSWORDS_FIELD_NUMBER: _ClassVar[int]
    app_passwords: _containers.RepeatedCompositeFieldContainer[AppPassword]
    def __init__(self, app_passwords: _Optional[_Iterable[_Union[AppPassword, _Mapping]]] = ...) -> None: ...

class RevokeAppPasswordRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class RevokeAppPasswordResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
