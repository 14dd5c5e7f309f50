"""``Session`` and ``DeviceLogin``: the Python face of the native session.

Threads: one ``Session`` may be used by any number of threads at once; the GIL is released
while a call waits for the network or for another process's refresh.

``fork``: a ``Session`` made before ``os.fork()`` (or in a ``multiprocessing`` parent using the
fork start method) keeps working in the child: on its first call there, the child opens its own
native session from the same options (the parent's HTTP connections and locks are not used,
and are never freed in the child). What the parent held only in memory — tokens it refreshed
from a read-only ``TAPIS_*`` environment, or from explicit arguments — is not carried over:
the child starts from the same sources again (the shared cache holds every refreshed token of a
stored session, so for those nothing is lost). A ``Session`` can also be pickled (sent to a
``spawn`` or ``forkserver`` pool): it is reopened from its options in the receiving process,
so the options — a password or token given explicitly included — travel with it; pickle only
to your own processes.
"""

from __future__ import annotations

import os
import time

from . import _native

TYPE_CHECKING = False  # not `typing`: `import tapis_auth` stays cheap (see _session.pyi)
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

    from .status import Logout, Status


class _Fork:
    generation = 0


def _after_fork_in_child() -> None:
    _Fork.generation += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

# Native sessions inherited through fork: never used again and never freed in the child (their
# HTTP client's worker thread does not exist there, so freeing them could wait forever).
_inherited: List[Any] = []


class Session:
    """One profile's credentials. Make one with :meth:`restore` (or a login), then call
    :meth:`access_token` before each API call."""

    __slots__ = ("_native", "_options", "_how", "_generation", "__weakref__")

    def __init__(self, native: Any, options: Dict[str, Any], how: str) -> None:
        self._native = native
        self._options = options
        self._how = how
        self._generation = _Fork.generation

    # --- constructors -------------------------------------------------------------------------
    @classmethod
    def restore(cls, **options: Any) -> "Session":
        """Restores a session with the precedence every tapis-auth binding uses: explicit
        arguments (a ``base_url`` or ``tenant`` plus a ``password``, ``access_token`` or
        ``refresh_token``), then the ``TAPIS_*`` environment, then the store (default: the JSON
        cache in ``$TAPIS_CACHE_DIR``, ``$AGAVE_CACHE_DIR`` or ``~/.agave``). Raises
        :class:`LoginRequiredError` when no source holds a session. The options are listed in
        ``tapis_auth/_session.pyi``."""
        return cls(_native.Session.restore(**options), dict(options), "restore")

    @classmethod
    def login_password(
        cls, username: str, password: str, *, create_client: bool = True, **options: Any
    ) -> "Session":
        """Logs in with a username and password on the tenant named by ``tenant`` or
        ``base_url``, saves the session in the store under ``profile`` and makes it the current
        one. Without a ``client_id``, an OAuth client is created (``create_client``) so that
        the session can be refreshed later."""
        opts = dict(options, username=username, password=password)
        native = _native.Session.open(**opts)
        native.login_password(create_client)
        kept = {k: v for k, v in options.items() if k in _STORE_OPTIONS}
        kept["profile"] = native.profile
        return cls(native, kept, "open")

    @classmethod
    def login_device(cls, *, client_id: str, client_key: Optional[str] = None, **options: Any) -> "DeviceLogin":
        """Starts a device login (Tapis v3) with OAuth client ``client_id`` (and its key, to
        refresh later). Show ``verification_uri`` and ``user_code`` to the user, then call
        ``wait()`` (or ``poll()``)."""
        opts = dict(options, client_id=client_id, client_key=client_key)
        kept = {k: v for k, v in options.items() if k in _STORE_OPTIONS}
        return DeviceLogin(_native.DeviceLogin.start(**opts), kept)

    @classmethod
    def _reopen(cls, options: Dict[str, Any], how: str) -> "Session":
        native = getattr(_native.Session, how)(**options)
        return cls(native, options, how)

    def __reduce__(self) -> Tuple[Any, Tuple[Dict[str, Any], str]]:
        return (Session._reopen, (self._options, self._how))

    def _n(self) -> Any:
        if self._generation != _Fork.generation:
            _inherited.append(self._native)
            self._native = getattr(_native.Session, self._how)(**self._options)
            self._generation = _Fork.generation
        return self._native

    # --- tokens -------------------------------------------------------------------------------
    def access_token(self, min_valid: int = 600) -> str:
        """An access token valid for at least ``max(min_valid, margin)`` more seconds (margin
        60 s by default). A cached token that is valid long enough costs no I/O and no lock;
        otherwise exactly one thread of one process refreshes and saves it, and every other one
        picks the new token up."""
        return self._n().access_token(min_valid)

    def headers(self, min_valid: int = 600) -> Dict[str, str]:
        """The header that carries a token valid for ``min_valid`` more seconds, as a dict:
        ``{"X-Tapis-Token": ...}`` (v3) or ``{"Authorization": "Bearer ..."}`` (v2)."""
        n = self._n()
        name, value, _ = n.authorize(n.base_url(), min_valid, False)
        return {name: value}

    def refresh(self) -> str:
        """Refreshes now, whatever the cached expiry says; returns the new access token."""
        return self._n().refresh()

    def expires_at(self) -> Optional[int]:
        """When the access token expires (Unix seconds), when known."""
        return self._n().expires_at()

    # --- about the session --------------------------------------------------------------------
    def status(self) -> "Status":
        """What is held locally about this session (no network, no secret)."""
        from .status import Status

        return Status(**self._n().status())

    def logout(self, delete_client: bool = True) -> "Logout":
        """Revokes the tokens (best effort) and deletes the stored session; with
        ``delete_client``, first deletes the OAuth client this profile's login created (unless
        another profile uses it)."""
        from .status import Logout

        return Logout(**self._n().logout(delete_client))

    @property
    def profile(self) -> str:
        """The profile this session serves."""
        return self._n().profile

    @property
    def source(self) -> str:
        """Where the credentials came from."""
        return self._n().source

    @property
    def platform(self) -> str:
        """``"v3"`` (Tapis) or ``"v2"`` (Agave)."""
        return self._n().platform()

    @property
    def base_url(self) -> str:
        """The tenant's base URL."""
        return self._n().base_url()

    def take_warnings(self) -> List[str]:
        """The store's warnings since the last call (e.g. a cache file found readable by others
        and made private). Never a secret."""
        return self._n().take_warnings()

    # --- for the HTTP client integrations -----------------------------------------------------
    def _authorize(self, url: str, min_valid: int, any_origin: bool) -> Tuple[str, str, str]:
        return self._n().authorize(url, min_valid, any_origin)

    def _rejects_token(self, status: int, body: bytes) -> bool:
        return self._n().rejects_token(status, body)

    def _refresh_rejected(self, token: str) -> str:
        return self._n().refresh_rejected(token)

    def __repr__(self) -> str:
        return f"<tapis_auth.Session profile={self.profile!r} source={self.source!r}>"


# What a session opened for a login is reopened with (after fork, or unpickled).
_STORE_OPTIONS = frozenset(
    ["profile", "store", "store_path", "ca_file", "allow_insecure_http", "connect_timeout", "timeout", "max_tries", "margin"]
)


class DeviceLogin:
    """A device login in progress: show :attr:`verification_uri` and :attr:`user_code`, then
    :meth:`wait` for the user to approve it."""

    __slots__ = ("_native", "_options")

    def __init__(self, native: Any, options: Dict[str, Any]) -> None:
        self._native = native
        self._options = options

    @property
    def verification_uri(self) -> str:
        """Where the user types the code."""
        return self._native.verification_uri

    @property
    def user_code(self) -> str:
        """The code the user types."""
        return self._native.user_code

    @property
    def expires_at(self) -> int:
        """When the code stops being accepted (Unix seconds)."""
        return self._native.expires_at

    def poll(self) -> bool:
        """Asks the server once if the poll interval has passed; True when the login is
        complete (the session is saved). Never sleeps."""
        return self._native.poll() is None

    def wait(self, timeout: Optional[float] = None) -> Session:
        """Polls until the user approves the login and returns the logged-in session. Raises
        :class:`DeviceCodeExpiredError` when the code expires first, :class:`CancelledError`
        when ``timeout`` seconds pass first."""
        from .errors import CancelledError

        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            next_at = self._native.poll()
            if next_at is None:
                native = self._native.session()
                opts = dict(self._options, profile=native.profile)
                return Session(native, opts, "open")
            pause = max(0.05, next_at - time.time())
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CancelledError("the device login was not approved in time", 104)
                pause = min(pause, left)
            time.sleep(pause)

