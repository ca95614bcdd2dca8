"""MongoDB errors, one table of codes for the whole server.

Every failure a client can see is a :class:`MongoError` raised where it happens; the server turns it
into ``{ok: 0, errmsg, code, codeName}`` in exactly one place (``server/dispatch.py``). The enum member
name *is* MongoDB's ``codeName`` (from ``src/mongo/base/error_codes.yml``). Codes that MongoDB raises
without a named entry ("location" codes such as 40324) are passed as plain ints and reported with the
codeName ``Location<code>``, as mongod does.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class ErrorCode(IntEnum):
    """Named MongoDB error codes; sorted by code."""

    InternalError = 1
    BadValue = 2
    UserNotFound = 11
    NoSuchKey = 4
    GraphContainsCycle = 5
    HostUnreachable = 6
    HostNotFound = 7
    UnknownError = 8
    FailedToParse = 9
    UnsupportedFormat = 12
    Unauthorized = 13
    TypeMismatch = 14
    Overflow = 15
    InvalidLength = 16
    ProtocolError = 17
    AuthenticationFailed = 18
    IllegalOperation = 20
    EmptyArrayOperation = 21
    InvalidBSON = 22
    AlreadyInitialized = 23
    NamespaceNotFound = 26
    IndexNotFound = 27
    PathNotViable = 28
    NonExistentPath = 29
    InvalidPath = 30
    RoleNotFound = 31
    ConflictingUpdateOperators = 40
    CursorNotFound = 43
    NoMatchingDocument = 47
    NamespaceExists = 48
    InvalidRoleModification = 49
    MaxTimeMSExpired = 50
    DollarPrefixedFieldName = 52
    InvalidIdField = 53
    NotSingleValueField = 54
    InvalidDBRef = 55
    EmptyFieldName = 56
    DottedFieldName = 57
    CommandNotFound = 59
    WriteConcernTimeout = 64
    ImmutableField = 66
    CannotCreateIndex = 67
    IndexAlreadyExists = 68
    InvalidOptions = 72
    InvalidNamespace = 73
    NodeNotFound = 74
    NoReplicationEnabled = 76
    IndexOptionsConflict = 85
    IndexKeySpecsConflict = 86
    NetworkTimeout = 89
    ShutdownInProgress = 91
    InvalidReplicaSetConfig = 93
    NotSecondary = 95
    OperationFailed = 96
    DBPathInUse = 98
    NewReplicaSetConfigurationIncompatible = 103
    WriteConflict = 112
    CommandNotSupported = 115
    ConflictingOperationInProgress = 117
    DocumentValidationFailure = 121
    NotAReplicaSet = 123
    CommandFailed = 125
    ReadConcernMajorityNotAvailableYet = 134
    CappedPositionLost = 136
    JSInterpreterFailure = 139
    ViewDepthLimitExceeded = 165
    CommandNotSupportedOnView = 166
    OptionNotSupportedOnView = 167
    InvalidPipelineOperator = 168
    CannotIndexParallelArrays = 171
    IncompatibleCollationVersion = 174
    QueryPlanKilled = 175
    PrimarySteppedDown = 189
    InvalidIndexSpecificationOption = 197
    ClusterTimeFailsRateLimiter = 205
    NoSuchSession = 206
    InvalidUUID = 207
    IncompleteTransactionHistory = 217
    IllegalOpMsgFlag = 223
    QueryFeatureNotAllowed = 224
    TransactionTooOld = 225
    TooManyDocumentSequences = 233
    CursorKilled = 237
    NotImplemented = 238
    SnapshotTooOld = 239
    ConversionFailure = 241
    CannotCreateCollection = 242
    NoSuchTransaction = 251
    InvalidResumeToken = 260
    ExceededTimeLimit = 262
    FailPointSetFailed = 266
    TransactionCommitted = 256
    OperationNotSupportedInTransaction = 263
    ClientDisconnect = 279
    ChangeStreamFatalError = 280
    ChangeStreamHistoryLost = 286
    NoQueryExecutionPlans = 291
    APIVersionError = 322
    APIStrictError = 323
    APIDeprecationError = 324
    SocketException = 9001
    NotWritablePrimary = 10107
    BSONObjectTooLarge = 10334
    DuplicateKey = 11000
    InterruptedAtShutdown = 11600
    Interrupted = 11601
    InterruptedDueToReplStateChange = 11602
    MergeStageNoMatchingDocument = 13113
    NotPrimaryNoSecondaryOk = 13435
    NotPrimaryOrSecondary = 13436
    OutOfDiskSpace = 14031
    NotARetryableWriteCommand = 50768


def code_name(code: int) -> str:
    """MongoDB's codeName for ``code``: the enum name, else ``Location<code>``.

    >>> code_name(59), code_name(40324)
    ('CommandNotFound', 'Location40324')
    """
    try:
        return ErrorCode(code).name
    except ValueError:
        return f"Location{code}"


class MongoError(Exception):
    """A MongoDB command error.

    ``extra`` holds fields MongoDB adds beside errmsg/code/codeName (for E11000: keyPattern, keyValue).
    """

    def __init__(self, code: int, errmsg: str, **extra: Any) -> None:
        super().__init__(errmsg)
        self.code = int(code)
        self.errmsg = errmsg
        self.extra = extra

    @property
    def code_name(self) -> str:
        return code_name(self.code)

    def to_document(self) -> dict[str, Any]:
        """The error as a reply body (``ok: 0``), the only shape clients ever see."""
        return {"ok": 0.0, "errmsg": self.errmsg, "code": self.code, "codeName": self.code_name, **self.extra}

    def __repr__(self) -> str:
        return f"MongoError({self.code_name}, {self.errmsg!r})"


def failed_wait_document(error: BaseException) -> dict[str, Any]:
    """The reply of a command whose wait (an fsync, a parked write) failed with ``error``: a MongoError as
    itself, anything else as InternalError naming it."""
    if isinstance(error, MongoError):
        return error.to_document()
    return MongoError(ErrorCode.InternalError, f"{type(error).__name__}: {error}").to_document()


class ProtocolError(Exception):
    """A frame that cannot be parsed; the connection that sent it is closed, nothing is replied."""


class StorageError(Exception):
    """The .mdb file cannot be used (locked, unreadable, wrong key); the server refuses to start."""


class CorruptLogError(StorageError):
    """A record in the middle of the log fails verification: corruption, not a torn tail.

    ``offset`` is the byte offset of the first bad record, reported so an operator can run
    ``docdb repair``.
    """

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"corrupt record at offset {offset}: {reason}")
        self.offset = offset
        self.reason = reason
