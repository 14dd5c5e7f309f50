"""The exceptions of ``tapis_auth``: one class per status of the C library
(``include/tapis_auth.h``), grouped like the statuses' hundreds.

::

    TapisAuthError                      any failure; .status, .status_name, .http_status, .retryable
    ├── UsageError                      1xx a bad call
    │   ├── InvalidArgumentError        100
    │   ├── BufferTooSmallError         101 (C only: never raised in Python)
    │   ├── PanicError                  102 a bug inside the library was caught
    │   ├── ApiMisuseError              103
    │   └── CancelledError              104
    ├── LoginRequiredError              200 and every 2xx: only a new login helps
    │   ├── InvalidCredentialsError     201
    │   ├── InvalidClientError          202
    │   ├── RefreshRejectedError        203
    │   └── DeviceCodeExpiredError      204
    ├── AuthorizationPendingError       300 a device login is not approved yet
    ├── LoginFailedError                301
    ├── TokenRejectedError              302 a service rejected the access token
    ├── NetworkError                    400 and every 4xx: no usable HTTP response
    │   ├── ConnectError                401
    │   ├── NetworkTimeoutError         402
    │   ├── TlsError                    403
    │   └── InsecureHttpError           404
    ├── ServerError                     500 and every 5xx: the server answered with an error
    │   ├── MalformedResponseError      501
    │   └── RequestRefusedError         502 the server refused the request as invalid
    ├── StorageError                    600 and every 6xx: the credential store
    │   ├── CorruptCacheError           601 (the file is left as it is)
    │   ├── LockTimeoutError            602
    │   ├── StoreUnavailableError       603
    │   ├── StoreReadOnlyError          604
    │   ├── InvalidRecordError          605
    │   ├── UnsafeCacheError            606
    │   └── CacheTooNewError            607 written by a newer version: upgrade
    ├── ConfigError                     700 and every 7xx: a setting is wrong
    │   └── UnsupportedError            701 the platform or server does not offer it
    └── OtherError                      900

Messages never hold a password, client key or token.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing`: `import tapis_auth` stays cheap
if TYPE_CHECKING:
    from typing import Dict, Optional, Type

from . import _native

__all__ = [
    "TapisAuthError",
    "UsageError",
    "InvalidArgumentError",
    "BufferTooSmallError",
    "PanicError",
    "ApiMisuseError",
    "CancelledError",
    "LoginRequiredError",
    "InvalidCredentialsError",
    "InvalidClientError",
    "RefreshRejectedError",
    "DeviceCodeExpiredError",
    "AuthorizationPendingError",
    "LoginFailedError",
    "TokenRejectedError",
    "NetworkError",
    "ConnectError",
    "NetworkTimeoutError",
    "TlsError",
    "InsecureHttpError",
    "ServerError",
    "MalformedResponseError",
    "RequestRefusedError",
    "StorageError",
    "CorruptCacheError",
    "LockTimeoutError",
    "StoreUnavailableError",
    "StoreReadOnlyError",
    "InvalidRecordError",
    "UnsafeCacheError",
    "CacheTooNewError",
    "ConfigError",
    "UnsupportedError",
    "OtherError",
    "error_class",
]


class TapisAuthError(Exception):
    """Any failure of ``tapis_auth``.

    Attributes: ``status`` (the C status number), ``status_name`` (its C name, e.g.
    ``"TAPIS_AUTH_ERR_LOGIN_REQUIRED"``), ``http_status`` (of the server response behind the
    error, or ``None``) and ``retryable`` (trying again later may succeed).
    """

    STATUS = 0
    STATUS_NAME = ""

    def __init__(
        self,
        message: str,
        status: Optional[int] = None,
        http_status: Optional[int] = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = self.STATUS if status is None else status
        self.status_name = _NAMES.get(self.status, "TAPIS_AUTH_UNKNOWN_STATUS")
        self.http_status = http_status
        self.retryable = retryable


class UsageError(TapisAuthError):
    """1xx: a bad call (argument, misuse, a caught bug). A group: never raised itself."""

    STATUS = 100


class LoginRequiredError(TapisAuthError):
    """200 (and the base of every 2xx): there is no credential that can produce a token; only a
    new login helps (``tapis-auth login``)."""

    STATUS = 200


class NetworkError(TapisAuthError):
    """400 (and the base of every 4xx): no usable HTTP response was received."""

    STATUS = 400


class ServerError(TapisAuthError):
    """500 (and the base of 5xx): the server answered with an error status."""

    STATUS = 500


class StorageError(TapisAuthError):
    """600 (and the base of every 6xx): the credential store failed."""

    STATUS = 600


class InvalidArgumentError(UsageError):
    """100: A value was out of range or of the wrong type; the message names it."""

    STATUS = 100

class BufferTooSmallError(UsageError):
    """101: The caller's buffer is too small (C only: never raised in Python)."""

    STATUS = 101

class PanicError(UsageError):
    """102: A bug inside the library was caught; please report it."""

    STATUS = 102

class ApiMisuseError(UsageError):
    """103: Functions were called out of order."""

    STATUS = 103

class CancelledError(UsageError):
    """104: The operation was cancelled."""

    STATUS = 104

class InvalidCredentialsError(LoginRequiredError):
    """201: Wrong username or password."""

    STATUS = 201

class InvalidClientError(LoginRequiredError):
    """202: The OAuth client id/key pair was rejected."""

    STATUS = 202

class RefreshRejectedError(LoginRequiredError):
    """203: The refresh token is dead (expired, revoked or used): log in again."""

    STATUS = 203

class DeviceCodeExpiredError(LoginRequiredError):
    """204: The device code expired before it was approved."""

    STATUS = 204

class AuthorizationPendingError(TapisAuthError):
    """300: A device login is not approved yet: poll again later."""

    STATUS = 300

class LoginFailedError(TapisAuthError):
    """301: A login flow failed for good (invalid code, state mismatch, ...)."""

    STATUS = 301

class TokenRejectedError(TapisAuthError):
    """302: A service rejected the access token as expired or invalid."""

    STATUS = 302

class ConnectError(NetworkError):
    """401: The server could not be reached (connection refused, DNS)."""

    STATUS = 401

class NetworkTimeoutError(NetworkError):
    """402: The request timed out."""

    STATUS = 402

class TlsError(NetworkError):
    """403: TLS failure (unknown CA, bad certificate)."""

    STATUS = 403

class InsecureHttpError(NetworkError):
    """404: Plain http:// to a host other than loopback was refused."""

    STATUS = 404

class MalformedResponseError(ServerError):
    """501: The server's response did not have the expected shape."""

    STATUS = 501

class RequestRefusedError(ServerError):
    """502: The server refused the request as invalid (a client id already taken, data it could
    not validate, headers a user token must not carry). Not retryable: change the request
    (``http_status`` holds the server's status)."""

    STATUS = 502

class CorruptCacheError(StorageError):
    """601: The credential cache file is corrupt; it was left unchanged."""

    STATUS = 601

class LockTimeoutError(StorageError):
    """602: The cache lock was not obtained in time."""

    STATUS = 602

class StoreUnavailableError(StorageError):
    """603: The store is not available here (no keyring service, not built)."""

    STATUS = 603

class StoreReadOnlyError(StorageError):
    """604: The store is read-only (the environment store)."""

    STATUS = 604

class InvalidRecordError(StorageError):
    """605: A stored record is not a valid session."""

    STATUS = 605

class UnsafeCacheError(StorageError):
    """606: A cache file others could have planted or changed was refused."""

    STATUS = 606

class CacheTooNewError(StorageError):
    """607: The cache was written by a newer version of the library in a format this one cannot
    read; it was left unchanged (not corrupt): upgrade, or use another cache."""

    STATUS = 607

class ConfigError(TapisAuthError):
    """700 (and the base of every 7xx): a setting is wrong (no tenant, unknown tenant or
    platform, bad URL, ...)."""

    STATUS = 700

class UnsupportedError(ConfigError):
    """701: The platform or server does not offer this operation (device login or client updates
    on Agave v2, a grant type the tenant does not accept). A ``ConfigError``, like a wrong
    setting: no retry helps, only doing it another way."""

    STATUS = 701

class OtherError(TapisAuthError):
    """900: Any other error."""

    STATUS = 900


_NAMES: Dict[int, str] = dict(_native.statuses())
_BY_STATUS: Dict[int, Type[TapisAuthError]] = {}
for _name in __all__:
    _cls = globals().get(_name)
    if isinstance(_cls, type) and issubclass(_cls, TapisAuthError) and _cls not in (TapisAuthError, UsageError):
        _BY_STATUS[_cls.STATUS] = _cls
        _cls.STATUS_NAME = _NAMES[_cls.STATUS]
del _name, _cls


def error_class(status: int) -> Type[TapisAuthError]:
    """The exception class of C status ``status`` (``TapisAuthError`` for an unknown one)."""
    return _BY_STATUS.get(status, TapisAuthError)


try:
    _native.set_error_classes(_BY_STATUS)
except RuntimeError:  # the module was reloaded: the first classes stay registered
    pass
