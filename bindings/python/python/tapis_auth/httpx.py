"""``TapisAuth`` for `httpx <https://www.python-httpx.org>`_ (extra ``[httpx]``)::

    import httpx, tapis_auth.httpx
    auth = tapis_auth.httpx.TapisAuth()
    with httpx.Client(auth=auth) as client:
        r = client.get(f"{auth.session.base_url}/v3/systems")

Each request gets a token valid for ``min_valid`` more seconds, in ``X-Tapis-Token`` (Tapis
v3) or ``Authorization: Bearer`` (Agave v2). When the service answers that the token expired,
the session refreshes once and the request is sent once more; never in a loop. The token goes
only to the tenant's origin: a request elsewhere raises :class:`tapis_auth.ConfigError` unless
``any_origin=True``. With ``httpx.AsyncClient`` a refresh (rare: once per token lifetime) runs
in a worker thread, so the event loop is not blocked.

Redirects: httpx follows them (``follow_redirects=True``) after the auth flow and removes only
``Authorization`` when leaving the origin — not ``X-Tapis-Token``. Keep httpx's default
``follow_redirects=False`` for Tapis v3 calls, or follow redirects yourself.
"""

from typing import Any, AsyncGenerator, Generator, Optional

import httpx

from ._session import Session

__all__ = ["TapisAuth"]


class TapisAuth(httpx.Auth):
    """Attaches the session's access token to each request (see the module's docs)."""

    requires_response_body = True

    def __init__(
        self,
        session: Optional[Session] = None,
        *,
        min_valid: int = 60,
        any_origin: bool = False,
        **restore_options: Any,
    ) -> None:
        self.session = session if session is not None else Session.restore(**restore_options)
        self.min_valid = min_valid
        self.any_origin = any_origin

    def _attach(self, request: httpx.Request) -> str:
        name, value, token = self.session._authorize(str(request.url), self.min_valid, self.any_origin)
        request.headers.pop("Authorization", None)
        request.headers.pop("X-Tapis-Token", None)
        request.headers[name] = value
        return token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._attach(request)
        response = yield request
        if response.status_code >= 400 and self.session._rejects_token(response.status_code, response.content):
            self.session._refresh_rejected(token)
            self._attach(request)
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        import anyio.to_thread

        token = await anyio.to_thread.run_sync(self._attach, request)
        response = yield request
        if response.status_code >= 400:
            await response.aread()
            if self.session._rejects_token(response.status_code, response.content):
                await anyio.to_thread.run_sync(self.session._refresh_rejected, token)
                await anyio.to_thread.run_sync(self._attach, request)
                yield request
