"""A `tapipy <https://pypi.org/project/tapipy/>`_ client whose access token comes from the shared
cache and is refreshed by ``tapis_auth`` — never by tapipy's own (unlocked, unsaved) refresh
(extra ``[tapipy]``)::

    from tapis_auth.tapipy import TapisClient
    t = TapisClient()                          # tapis_auth.Session.restore(), then tapipy.Tapis
    print(t.authenticator.get_userinfo().username)

Every request tapipy sends asks the session for a token valid ``min_valid`` more seconds (a
memory read when cached), so many processes running tapipy on one cache refresh once between
them and the refreshed token is saved for the next job. The client is given no refresh token,
password or client key: it cannot refresh or log in by itself.
"""

from typing import Any, Optional

from tapipy.tapis import Tapis, TapisResult  # type: ignore[import-untyped]  # (no py.typed)

from ._session import Session

__all__ = ["TapisClient"]

_NOT_HERE = ("access_token", "refresh_token", "jwt", "password", "client_key")


class TapisClient(Tapis):  # type: ignore[misc]  # (Tapis is untyped)
    """``tapipy.tapis.Tapis`` with its token from a :class:`tapis_auth.Session`. Other keyword
    arguments go to ``Tapis`` (``base_url``, ``tenant_id`` and ``username`` default to the
    session's)."""

    def __init__(self, session: Optional[Session] = None, *, min_valid: int = 60, **tapis_kwargs: Any) -> None:
        for k in _NOT_HERE:
            if k in tapis_kwargs:
                raise TypeError(f"TapisClient takes no {k}: the session provides the token")
        self.tapis_auth_session = session if session is not None else Session.restore()
        self.tapis_auth_min_valid = min_valid
        st = self.tapis_auth_session.status()
        if st.platform != "v3":
            raise TypeError("tapipy speaks Tapis v3; this session is an Agave v2 one (use agavepy)")
        tapis_kwargs.setdefault("base_url", st.base_url.rstrip("/"))
        if st.tenant_id is not None:
            tapis_kwargs.setdefault("tenant_id", st.tenant_id)
        if st.username is not None:
            tapis_kwargs.setdefault("username", st.username)
        self._tapis_auth_jwt: Optional[str] = None
        super().__init__(access_token=self._tapis_auth_token(), **tapis_kwargs)

    def _tapis_auth_token(self) -> str:
        jwt = self.tapis_auth_session.access_token(self.tapis_auth_min_valid)
        if jwt != self._tapis_auth_jwt:
            self._tapis_auth_jwt = jwt
            # tapipy reads `access_token.expires_in()` before each call: keep it current.
            if hasattr(self, "requests_session"):  # after Tapis.__init__
                self.access_token = self.add_claims_to_token(TapisResult(access_token=jwt))
        return jwt

    def get_access_jwt(self) -> str:
        """The token every tapipy request sends: from the session (refreshed there if needed)."""
        return self._tapis_auth_token()

    def refresh_user_tokens(self) -> None:
        """tapipy's refresh, replaced: the session refreshes (once for every process sharing
        the cache) and saves the new tokens."""
        self._tapis_auth_token()

    def refresh_tokens(self, tenant_id: Optional[str] = None) -> None:
        """See :meth:`refresh_user_tokens`."""
        self._tapis_auth_token()
