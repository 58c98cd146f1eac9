from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PackageStep(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PACKAGE_STEP_UNSPECIFIED: _ClassVar[PackageStep]
    PACKAGE_STEP_LOCKED: _ClassVar[PackageStep]
    PACKAGE_STEP_DOWNLOADING: _ClassVar[PackageStep]
    PACKAGE_STEP_ANALYZING: _ClassVar[PackageStep]
    PACKAGE_STEP_PROCESSED: _ClassVar[PackageStep]
PACKAGE_STEP_UNSPECIFIED: PackageStep
PACKAGE_STEP_LOCKED: PackageStep
PACKAGE_STEP_DOWNLOADING: PackageStep
PACKAGE_STEP_ANALYZING: PackageStep
PACKAGE_STEP_PROCESSED: PackageStep

class PackageStatus(_message.Message):
    __slots__ = ("package_id", "step", "errored", "error_code", "premium", "premium_queue_total", "standard_queue_total", "queue_position", "standard_total_when_joined", "premium_total_when_joined")
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    ERRORED_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    PREMIUM_FIELD_NUMBER: _ClassVar[int]
    PREMIUM_QUEUE_TOTAL_FIELD_NUMBER: _ClassVar[int]
    STANDARD_QUEUE_TOTAL_FIELD_NUMBER: _ClassVar[int]
    QUEUE_POSITION_FIELD_NUMBER: _ClassVar[int]
    STANDARD_TOTAL_WHEN_JOINED_FIELD_NUMBER: _ClassVar[int]
    PREMIUM_TOTAL_WHEN_JOINED_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    step: PackageStep
    errored: bool
    error_code: str
    premium: bool
    premium_queue_total: int
    standard_queue_total: int
    queue_position: int
    standard_total_when_joined: int
    premium_total_when_joined: int
    def __init__(self, package_id: _Optional[str] = ..., step: _Optional[_Union[PackageStep, str]] = ..., errored: _Optional[bool] = ..., error_code: _Optional[str] = ..., premium: _Optional[bool] = ..., premium_queue_total: _Optional[int] = ..., standard_queue_total: _Optional[int] = ..., queue_position: _Optional[int] = ..., standard_total_when_joined: _Optional[int] = ..., premium_total_when_joined: _Optional[int] = ...) -> None: ...

class SubmitPackageRequest(_message.Message):
    __slots__ = ("link",)
    LINK_FIELD_NUMBER: _ClassVar[int]
    link: str
    def __init__(self, link: _Optional[str] = ...) -> None: ...

class UploadPackageRequest(_message.Message):
    __slots__ = ("key", "size", "data")
    KEY_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    key: str
    size: int
    data: bytes
    def __init__(self, key: _Optional[str] = ..., size: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class SubmitStoredPackageRequest(_message.Message):
    __slots__ = ("path", "key")
    PATH_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    path: str
    key: str
    def __init__(self, path: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class UploadPackageResponse(_message.Message):
    __slots__ = ("package_id", "queued")
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    queued: bool
    def __init__(self, package_id: _Optional[str] = ..., queued: _Optional[bool] = ...) -> None: ...

class SubmitStoredPackageResponse(_message.Message):
    __slots__ = ("package_id", "queued")
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    queued: bool
    def __init__(self, package_id: _Optional[str] = ..., queued: _Optional[bool] = ...) -> None: ...

class SubmitPackageResponse(_message.Message):
    __slots__ = ("package_id", "queued")
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    queued: bool
    def __init__(self, package_id: _Optional[str] = ..., queued: _Optional[bool] = ...) -> None: ...

class GetPackageStatusRequest(_message.Message):
    __slots__ = ("package_id", "key")
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    key: str
    def __init__(self, package_id: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class GetPackageStatusResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: PackageStatus
    def __init__(self, status: _Optional[_Union[PackageStatus, _Mapping]] = ...) -> None: ...

class FetchPackageResultRequest(_message.Message):
    __slots__ = ("package_id", "key")
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    key: str
    def __init__(self, package_id: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class FetchPackageResultResponse(_message.Message):
    __slots__ = ("iv", "size", "data")
    IV_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    iv: str
    size: int
    data: bytes
    def __init__(self, iv: _Optional[str] = ..., size: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class DeletePackageRequest(_message.Message):
    __slots__ = ("package_id", "key")
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    key: str
    def __init__(self, package_id: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class DeletePackageResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: _Optional[bool] = ...) -> None: ...

class LookupDiscordUserRequest(_message.Message):
    __slots__ = ("package_id", "key", "user_id")
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    key: str
    user_id: str
    def __init__(self, package_id: _Optional[str] = ..., key: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class LookupDiscordUserResponse(_message.Message):
    __slots__ = ("user_id", "username", "display_name", "avatar_url")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    AVATAR_URL_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    username: str
    display_name: str
    avatar_url: str
    def __init__(self, user_id: _Optional[str] = ..., username: _Optional[str] = ..., display_name: _Optional[str] = ..., avatar_url: _Optional[str] = ...) -> None: ...

class LookupGuildWidgetRequest(_message.Message):
    __slots__ = ("guild_id",)
    GUILD_ID_FIELD_NUMBER: _ClassVar[int]
    guild_id: str
    def __init__(self, guild_id: _Optional[str] = ...) -> None: ...

class LookupGuildWidgetResponse(_message.Message):
    __slots__ = ("name", "icon_url", "member_count")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ICON_URL_FIELD_NUMBER: _ClassVar[int]
    MEMBER_COUNT_FIELD_NUMBER: _ClassVar[int]
    name: str
    icon_url: str
    member_count: int
    def __init__(self, name: _Optional[str] = ..., icon_url: _Optional[str] = ..., member_count: _Optional[int] = ...) -> None: ...
