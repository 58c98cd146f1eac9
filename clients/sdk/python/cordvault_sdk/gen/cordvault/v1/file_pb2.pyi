from cordvault_sdk.gen.cordvault.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Visibility(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VISIBILITY_UNSPECIFIED: _ClassVar[Visibility]
    VISIBILITY_PRIVATE: _ClassVar[Visibility]
    VISIBILITY_PUBLIC: _ClassVar[Visibility]

class ShareLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SHARE_LEVEL_UNSPECIFIED: _ClassVar[ShareLevel]
    SHARE_LEVEL_READ: _ClassVar[ShareLevel]
    SHARE_LEVEL_READ_WRITE: _ClassVar[ShareLevel]

class SortField(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SORT_FIELD_UNSPECIFIED: _ClassVar[SortField]
    SORT_FIELD_NAME: _ClassVar[SortField]
    SORT_FIELD_SIZE: _ClassVar[SortField]
    SORT_FIELD_UPDATED: _ClassVar[SortField]

class ChangeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANGE_KIND_UNSPECIFIED: _ClassVar[ChangeKind]
    CHANGE_KIND_ADDED: _ClassVar[ChangeKind]
    CHANGE_KIND_MODIFIED: _ClassVar[ChangeKind]
    CHANGE_KIND_MOVED: _ClassVar[ChangeKind]
    CHANGE_KIND_DELETED: _ClassVar[ChangeKind]
    CHANGE_KIND_ACCESS_CHANGED: _ClassVar[ChangeKind]
VISIBILITY_UNSPECIFIED: Visibility
VISIBILITY_PRIVATE: Visibility
VISIBILITY_PUBLIC: Visibility
SHARE_LEVEL_UNSPECIFIED: ShareLevel
SHARE_LEVEL_READ: ShareLevel
SHARE_LEVEL_READ_WRITE: ShareLevel
SORT_FIELD_UNSPECIFIED: SortField
SORT_FIELD_NAME: SortField
SORT_FIELD_SIZE: SortField
SORT_FIELD_UPDATED: SortField
CHANGE_KIND_UNSPECIFIED: ChangeKind
CHANGE_KIND_ADDED: ChangeKind
CHANGE_KIND_MODIFIED: ChangeKind
CHANGE_KIND_MOVED: ChangeKind
CHANGE_KIND_DELETED: ChangeKind
CHANGE_KIND_ACCESS_CHANGED: ChangeKind

class StatRequest(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class StatResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _common_pb2.Entry
    def __init__(self, entry: _Optional[_Union[_common_pb2.Entry, _Mapping]] = ...) -> None: ...

class ListRequest(_message.Message):
    __slots__ = ("path", "page_size", "page_token", "sort_by", "descending")
    PATH_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SORT_BY_FIELD_NUMBER: _ClassVar[int]
    DESCENDING_FIELD_NUMBER: _ClassVar[int]
    path: str
    page_size: int
    page_token: str
    sort_by: SortField
    descending: bool
    def __init__(self, path: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., sort_by: _Optional[_Union[SortField, str]] = ..., descending: _Optional[bool] = ...) -> None: ...

class ListResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[_common_pb2.Entry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[_common_pb2.Entry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateFolderRequest(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class CreateFolderResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _common_pb2.Entry
    def __init__(self, entry: _Optional[_Union[_common_pb2.Entry, _Mapping]] = ...) -> None: ...

class MoveRequest(_message.Message):
    __slots__ = ("path", "destination_folder", "conflict_policy")
    PATH_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FOLDER_FIELD_NUMBER: _ClassVar[int]
    CONFLICT_POLICY_FIELD_NUMBER: _ClassVar[int]
    path: str
    destination_folder: str
    conflict_policy: _common_pb2.ConflictPolicy
    def __init__(self, path: _Optional[str] = ..., destination_folder: _Optional[str] = ..., conflict_policy: _Optional[_Union[_common_pb2.ConflictPolicy, str]] = ...) -> None: ...

class MoveResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _common_pb2.Entry
    def __init__(self, entry: _Optional[_Union[_common_pb2.Entry, _Mapping]] = ...) -> None: ...

class RenameRequest(_message.Message):
    __slots__ = ("path", "new_name", "conflict_policy")
    PATH_FIELD_NUMBER: _ClassVar[int]
    NEW_NAME_FIELD_NUMBER: _ClassVar[int]
    CONFLICT_POLICY_FIELD_NUMBER: _ClassVar[int]
    path: str
    new_name: str
    conflict_policy: _common_pb2.ConflictPolicy
    def __init__(self, path: _Optional[str] = ..., new_name: _Optional[str] = ..., conflict_policy: _Optional[_Union[_common_pb2.ConflictPolicy, str]] = ...) -> None: ...

class RenameResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _common_pb2.Entry
    def __init__(self, entry: _Optional[_Union[_common_pb2.Entry, _Mapping]] = ...) -> None: ...

class DeleteRequest(_message.Message):
    __slots__ = ("path", "recursive")
    PATH_FIELD_NUMBER: _ClassVar[int]
    RECURSIVE_FIELD_NUMBER: _ClassVar[int]
    path: str
    recursive: bool
    def __init__(self, path: _Optional[str] = ..., recursive: _Optional[bool] = ...) -> None: ...

class DeleteResponse(_message.Message):
    __slots__ = ("deleted_entries", "trash_id")
    DELETED_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    TRASH_ID_FIELD_NUMBER: _ClassVar[int]
    deleted_entries: int
    trash_id: int
    def __init__(self, deleted_entries: _Optional[int] = ..., trash_id: _Optional[int] = ...) -> None: ...

class MergeFoldersRequest(_message.Message):
    __slots__ = ("source", "destination", "conflict_policy")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    CONFLICT_POLICY_FIELD_NUMBER: _ClassVar[int]
    source: str
    destination: str
    conflict_policy: _common_pb2.ConflictPolicy
    def __init__(self, source: _Optional[str] = ..., destination: _Optional[str] = ..., conflict_policy: _Optional[_Union[_common_pb2.ConflictPolicy, str]] = ...) -> None: ...

class MergeFoldersResponse(_message.Message):
    __slots__ = ("moved_entries", "skipped")
    MOVED_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    moved_entries: int
    skipped: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, moved_entries: _Optional[int] = ..., skipped: _Optional[_Iterable[str]] = ...) -> None: ...

class TrashItem(_message.Message):
    __slots__ = ("trash_id", "original_path", "entry", "deleted_at_ms", "deleted_by", "purge_at_ms")
    TRASH_ID_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_PATH_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    DELETED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    DELETED_BY_FIELD_NUMBER: _ClassVar[int]
    PURGE_AT_MS_FIELD_NUMBER: _ClassVar[int]
    trash_id: int
    original_path: str
    entry: _common_pb2.Entry
    deleted_at_ms: int
    deleted_by: str
    purge_at_ms: int
    def __init__(self, trash_id: _Optional[int] = ..., original_path: _Optional[str] = ..., entry: _Optional[_Union[_common_pb2.Entry, _Mapping]] = ..., deleted_at_ms: _Optional[int] = ..., deleted_by: _Optional[str] = ..., purge_at_ms: _Optional[int] = ...) -> None: ...

class ListTrashRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTrashResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[TrashItem]
    def __init__(self, items: _Optional[_Iterable[_Union[TrashItem, _Mapping]]] = ...) -> None: ...

class RestoreRequest(_message.Message):
    __slots__ = ("trash_id",)
    TRASH_ID_FIELD_NUMBER: _ClassVar[int]
    trash_id: int
    def __init__(self, trash_id: _Optional[int] = ...) -> None: ...

class RestoreResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _common_pb2.Entry
    def __init__(self, entry: _Optional[_Union[_common_pb2.Entry, _Mapping]] = ...) -> None: ...

class EmptyTrashRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class EmptyTrashResponse(_message.Message):
    __slots__ = ("purged_entries",)
    PURGED_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    purged_entries: int
    def __init__(self, purged_entries: _Optional[int] = ...) -> None: ...

class FolderUsageRequest(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class MimeUsage(_message.Message):
    __slots__ = ("mime_type", "bytes", "files")
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    mime_type: str
    bytes: int
    files: int
    def __init__(self, mime_type: _Optional[str] = ..., bytes: _Optional[int] = ..., files: _Optional[int] = ...) -> None: ...

class FolderUsageResponse(_message.Message):
    __slots__ = ("total_bytes", "total_files", "total_folders", "by_mime_type")
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FILES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FOLDERS_FIELD_NUMBER: _ClassVar[int]
    BY_MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    total_bytes: int
    total_files: int
    total_folders: int
    by_mime_type: _containers.RepeatedCompositeFieldContainer[MimeUsage]
    def __init__(self, total_bytes: _Optional[int] = ..., total_files: _Optional[int] = ..., total_folders: _Optional[int] = ..., by_mime_type: _Optional[_Iterable[_Union[MimeUsage, _Mapping]]] = ...) -> None: ...

class SetVisibilityRequest(_message.Message):
    __slots__ = ("path", "visibility")
    PATH_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    path: str
    visibility: Visibility
    def __init__(self, path: _Optional[str] = ..., visibility: _Optional[_Union[Visibility, str]] = ...) -> None: ...

class SetVisibilityResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _common_pb2.Entry
    def __init__(self, entry: _Optional[_Union[_common_pb2.Entry, _Mapping]] = ...) -> None: ...

class ShareRequest(_message.Message):
    __slots__ = ("path", "username", "level")
    PATH_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    path: str
    username: str
    level: ShareLevel
    def __init__(self, path: _Optional[str] = ..., username: _Optional[str] = ..., level: _Optional[_Union[ShareLevel, str]] = ...) -> None: ...

class ShareResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UnshareRequest(_message.Message):
    __slots__ = ("path", "username")
    PATH_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    path: str
    username: str
    def __init__(self, path: _Optional[str] = ..., username: _Optional[str] = ...) -> None: ...

class UnshareResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSharesRequest(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class ShareGrant(_message.Message):
    __slots__ = ("username", "level")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    username: str
    level: ShareLevel
    def __init__(self, username: _Optional[str] = ..., level: _Optional[_Union[ShareLevel, str]] = ...) -> None: ...

class ListSharesResponse(_message.Message):
    __slots__ = ("shares",)
    SHARES_FIELD_NUMBER: _ClassVar[int]
    shares: _containers.RepeatedCompositeFieldContainer[ShareGrant]
    def __init__(self, shares: _Optional[_Iterable[_Union[ShareGrant, _Mapping]]] = ...) -> None: ...

class TransferOwnershipRequest(_message.Message):
    __slots__ = ("path", "new_owner", "drop_shares", "keep_share_for_previous_owner")
    PATH_FIELD_NUMBER: _ClassVar[int]
    NEW_OWNER_FIELD_NUMBER: _ClassVar[int]
    DROP_SHARES_FIELD_NUMBER: _ClassVar[int]
    KEEP_SHARE_FOR_PREVIOUS_OWNER_FIELD_NUMBER: _ClassVar[int]
    path: str
    new_owner: str
    drop_shares: bool
    keep_share_for_previous_owner: bool
    def __init__(self, path: _Optional[str] = ..., new_owner: _Optional[str] = ..., drop_shares: _Optional[bool] = ..., keep_share_for_previous_owner: _Optional[bool] = ...) -> None: ...

class TransferOwnershipResponse(_message.Message):
    __slots__ = ("entry", "transferred_entries", "pending")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    TRANSFERRED_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    entry: _common_pb2.Entry
    transferred_entries: int
    pending: bool
    def __init__(self, entry: _Optional[_Union[_common_pb2.Entry, _Mapping]] = ..., transferred_entries: _Optional[int] = ..., pending: _Optional[bool] = ...) -> None: ...

class OwnershipOffer(_message.Message):
    __slots__ = ("path", "from_user", "keep_share_for_previous_owner", "drop_shares", "offered_at_ms", "is_folder")
    PATH_FIELD_NUMBER: _ClassVar[int]
    FROM_USER_FIELD_NUMBER: _ClassVar[int]
    KEEP_SHARE_FOR_PREVIOUS_OWNER_FIELD_NUMBER: _ClassVar[int]
    DROP_SHARES_FIELD_NUMBER: _ClassVar[int]
    OFFERED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    IS_FOLDER_FIELD_NUMBER: _ClassVar[int]
    path: str
    from_user: str
    keep_share_for_previous_owner: bool
    drop_shares: bool
    offered_at_ms: int
    is_folder: bool
    def __init__(self, path: _Optional[str] = ..., from_user: _Optional[str] = ..., keep_share_for_previous_owner: _Optional[bool] = ..., drop_shares: _Optional[bool] = ..., offered_at_ms: _Optional[int] = ..., is_folder: _Optional[bool] = ...) -> None: ...

class ListOwnershipOffersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListOwnershipOffersResponse(_message.Message):
    __slots__ = ("offers",)
    OFFERS_FIELD_NUMBER: _ClassVar[int]
    offers: _containers.RepeatedCompositeFieldContainer[OwnershipOffer]
    def __init__(self, offers: _Optional[_Iterable[_Union[OwnershipOffer, _Mapping]]] = ...) -> None: ...

class AnswerOwnershipOfferRequest(_message.Message):
    __slots__ = ("path", "accept")
    PATH_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_FIELD_NUMBER: _ClassVar[int]
    path: str
    accept: bool
    def __init__(self, path: _Optional[str] = ..., accept: _Optional[bool] = ...) -> None: ...

class AnswerOwnershipOfferResponse(_message.Message):
    __slots__ = ("entry", "transferred_entries")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    TRANSFERRED_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entry: _common_pb2.Entry
    transferred_entries: int
    def __init__(self, entry: _Optional[_Union[_common_pb2.Entry, _Mapping]] = ..., transferred_entries: _Optional[int] = ...) -> None: ...

class SearchUsersRequest(_message.Message):
    __slots__ = ("query",)
    QUERY_FIELD_NUMBER: _ClassVar[int]
    query: str
    def __init__(self, query: _Optional[str] = ...) -> None: ...

class SearchUsersResponse(_message.Message):
    __slots__ = ("users",)
    USERS_FIELD_NUMBER: _ClassVar[int]
    users: _containers.RepeatedCompositeFieldContainer[_common_pb2.User]
    def __init__(self, users: _Optional[_Iterable[_Union[_common_pb2.User, _Mapping]]] = ...) -> None: ...

class WatchRequest(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class WatchResponse(_message.Message):
    __slots__ = ("kind", "path", "previous_path", "entry_id", "is_folder", "at_ms")
    KIND_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_PATH_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    IS_FOLDER_FIELD_NUMBER: _ClassVar[int]
    AT_MS_FIELD_NUMBER: _ClassVar[int]
    kind: ChangeKind
    path: str
    previous_path: str
    entry_id: int
    is_folder: bool
    at_ms: int
    def __init__(self, kind: _Optional[_Union[ChangeKind, str]] = ..., path: _Optional[str] = ..., previous_path: _Optional[str] = ..., entry_id: _Optional[int] = ..., is_folder: _Optional[bool] = ..., at_ms: _Optional[int] = ...) -> None: ...

class GetThumbnailRequest(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class GetThumbnailResponse(_message.Message):
    __slots__ = ("mime_type", "data", "width", "height")
    MIME_TYPE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    mime_type: str
    data: bytes
    width: int
    height: int
    def __init__(self, mime_type: _Optional[str] = ..., data: _Optional[bytes] = ..., width: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class Property(_message.Message):
    __slots__ = ("namespace", "name", "value")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    name: str
    value: bytes
    def __init__(self, namespace: _Optional[str] = ..., name: _Optional[str] = ..., value: _Optional[bytes] = ...) -> None: ...

class PropertyName(_message.Message):
    __slots__ = ("namespace", "name")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    name: str
    def __init__(self, namespace: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class SetPropertiesRequest(_message.Message):
    __slots__ = ("path", "set", "remove")
    PATH_FIELD_NUMBER: _ClassVar[int]
    SET_FIELD_NUMBER: _ClassVar[int]
    REMOVE_FIELD_NUMBER: _ClassVar[int]
    path: str
    set: _containers.RepeatedCompositeFieldContainer[Property]
    remove: _containers.RepeatedCompositeFieldContainer[PropertyName]
    def __init__(self, path: _Optional[str] = ..., set: _Optional[_Iterable[_Union[Property, _Mapping]]] = ..., remove: _Optional[_Iterable[_Union[PropertyName, _Mapping]]] = ...) -> None: ...

class SetPropertiesResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetPropertiesRequest(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class GetPropertiesResponse(_message.Message):
    __slots__ = ("properties",)
    PROPERTIES_FIELD_NUMBER: _ClassVar[int]
    properties: _containers.RepeatedCompositeFieldContainer[Property]
    def __init__(self, properties: _Optional[_Iterable[_Union[Property, _Mapping]]] = ...) -> None: ...
