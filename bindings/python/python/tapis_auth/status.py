"""What ``Session.status()`` and ``Session.logout()`` return."""

import time
from dataclasses import dataclass
from typing import Optional, Tuple


@dataclass(frozen=True)
class Status:
    """What is held locally about a session (no network, no secret)."""

    profile: str
    """The profile name."""
    username: Optional[str]
    """The user, when known."""
    tenant_id: Optional[str]
    """The tenant id, when known."""
    base_url: str
    """The tenant's base URL."""
    platform: str
    """``"v3"`` (Tapis) or ``"v2"`` (Agave)."""
    client_id: Optional[str]
    """The OAuth client id, when there is a client."""
    source: str
    """Where the credentials came from."""
    expires_at: Optional[int]
    """When the access token expires (Unix seconds), when known."""
    refresh_expires_at: Optional[int]
    """When the refresh token expires, when known."""
    has_refresh_token: bool
    """Whether a refresh token is held."""
    refresh_rejected_at: Optional[int]
    """When the server rejected the refresh token (it is never sent again)."""
    login_required: Optional[str]
    """Why a person must log in before a token can be handed out; ``None`` when not needed."""

    @property
    def expires_in(self) -> Optional[int]:
        """Seconds until the access token expires (negative: expired), when known."""
        return None if self.expires_at is None else self.expires_at - int(time.time())


@dataclass(frozen=True)
class Logout:
    """What ``Session.logout()`` did."""

    deleted: bool
    """A stored session was deleted."""
    client_deleted: Optional[str]
    """The OAuth client this profile's login had created, deleted on the server."""
    client_kept: Optional[Tuple[str, str]]
    """The login's client, kept, and why."""
