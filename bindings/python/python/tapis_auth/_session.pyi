from os import PathLike
from typing import Any, Dict, List, Optional, Tuple, Union

from .status import Logout, Status

_Path = Union[str, "PathLike[str]"]

class Session:
    """One profile's credentials; thread-safe, usable after fork and in multiprocessing pools."""

    @classmethod
    def restore(
        cls,
        *,
        profile: Optional[str] = ...,
        store: Optional[str] = ...,
        store_path: Optional[_Path] = ...,
        base_url: Optional[str] = ...,
        tenant: Optional[str] = ...,
        platform: Optional[str] = ...,
        username: Optional[str] = ...,
        password: Optional[str] = ...,
        client_id: Optional[str] = ...,
        client_key: Optional[str] = ...,
        access_token: Optional[str] = ...,
        refresh_token: Optional[str] = ...,
        use_environment: bool = ...,
        persist: bool = ...,
        margin: int = ...,
        tenants_url: Optional[str] = ...,
        make_current: bool = ...,
        ca_file: Optional[_Path] = ...,
        allow_insecure_http: bool = ...,
        connect_timeout: float = ...,
        timeout: float = ...,
        max_tries: int = ...,
    ) -> "Session":
        """Explicit arguments, then the ``TAPIS_*`` environment, then the store."""
    @classmethod
    def login_password(
        cls,
        username: str,
        password: str,
        *,
        create_client: bool = ...,
        profile: Optional[str] = ...,
        store: Optional[str] = ...,
        store_path: Optional[_Path] = ...,
        base_url: Optional[str] = ...,
        tenant: Optional[str] = ...,
        platform: Optional[str] = ...,
        client_id: Optional[str] = ...,
        client_key: Optional[str] = ...,
        tenants_url: Optional[str] = ...,
        make_current: bool = ...,
        margin: int = ...,
        ca_file: Optional[_Path] = ...,
        allow_insecure_http: bool = ...,
        connect_timeout: float = ...,
        timeout: float = ...,
        max_tries: int = ...,
    ) -> "Session":
        """Logs in with a password and saves the session in the store."""
    @classmethod
    def login_device(
        cls,
        *,
        client_id: str,
        client_key: Optional[str] = ...,
        profile: Optional[str] = ...,
        store: Optional[str] = ...,
        store_path: Optional[_Path] = ...,
        base_url: Optional[str] = ...,
        tenant: Optional[str] = ...,
        username: Optional[str] = ...,
        make_current: bool = ...,
        margin: int = ...,
        ca_file: Optional[_Path] = ...,
        allow_insecure_http: bool = ...,
        connect_timeout: float = ...,
        timeout: float = ...,
        max_tries: int = ...,
    ) -> "DeviceLogin":
        """Starts a device login (Tapis v3)."""
    def access_token(self, min_valid: int = 600) -> str:
        """A token valid for at least ``max(min_valid, margin)`` more seconds."""
    def headers(self, min_valid: int = 600) -> Dict[str, str]:
        """``{"X-Tapis-Token": ...}`` (v3) or ``{"Authorization": "Bearer ..."}`` (v2)."""
    def refresh(self) -> str:
        """Refreshes now; returns the new access token."""
    def expires_at(self) -> Optional[int]:
        """When the access token expires (Unix seconds), when known."""
    def status(self) -> Status:
        """What is held locally about this session (no network, no secret)."""
    def logout(self, delete_client: bool = True) -> Logout:
        """Revokes the tokens (best effort) and deletes the stored session."""
    @property
    def profile(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def platform(self) -> str: ...
    @property
    def base_url(self) -> str: ...
    def take_warnings(self) -> List[str]: ...
    def _authorize(self, url: str, min_valid: int, any_origin: bool) -> Tuple[str, str, str]: ...
    def _rejects_token(self, status: int, body: bytes) -> bool: ...
    def _refresh_rejected(self, token: str) -> str: ...
    def __reduce__(self) -> Tuple[Any, Tuple[Dict[str, Any], str]]: ...

class DeviceLogin:
    """A device login in progress."""

    @property
    def verification_uri(self) -> str: ...
    @property
    def user_code(self) -> str: ...
    @property
    def expires_at(self) -> int: ...
    def poll(self) -> bool: ...
    def wait(self, timeout: Optional[float] = None) -> Session: ...
