"""``TapisAuth`` for `requests <https://requests.readthedocs.io>`_ (extra ``[requests]``)::

    import requests, tapis_auth.requests
    auth = tapis_auth.requests.TapisAuth()            # Session.restore() with no options
    r = requests.get(f"{auth.session.base_url}/v3/systems", auth=auth)

Each request gets a token valid for ``min_valid`` more seconds, in ``X-Tapis-Token`` (Tapis
v3) or ``Authorization: Bearer`` (Agave v2). When the service answers that the token expired,
the session refreshes once (one refresh for all threads and processes) and the request is sent
once more; never in a loop. The token goes only to the tenant's origin (scheme, host, port):
a request elsewhere raises :class:`tapis_auth.ConfigError` unless ``any_origin=True``, and a
redirect away from that origin is followed without the token.
"""

from typing import Any, Optional, Tuple
from urllib.parse import urljoin, urlsplit

import requests
from requests.auth import AuthBase

from ._session import Session

__all__ = ["TapisAuth"]

_TOKEN_ATTR = "_tapis_auth_token"
_RETRIED_ATTR = "_tapis_auth_retried"


def _origin(url: str) -> Tuple[str, Optional[str], Optional[int]]:
    u = urlsplit(url)
    default = {"http": 80, "https": 443}.get(u.scheme)
    return (u.scheme, u.hostname, u.port or default)


class TapisAuth(AuthBase):
    """Attaches the session's access token to each request (see the module's docs)."""

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

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        self._attach(r)
        r.register_hook("response", self._handle_response)
        return r

    def _attach(self, r: requests.PreparedRequest) -> None:
        name, value, token = self.session._authorize(r.url or "", self.min_valid, self.any_origin)
        r.headers.pop("Authorization", None)
        r.headers.pop("X-Tapis-Token", None)
        r.headers[name] = value
        setattr(r, _TOKEN_ATTR, token)

    def _handle_response(self, resp: requests.Response, **kwargs: Any) -> requests.Response:
        req = resp.request
        if resp.is_redirect and not self.any_origin:
            # requests copies this request's headers into the redirected one: the token must not
            # follow a redirect to another origin.
            target = urljoin(req.url or "", resp.headers.get("location", ""))
            if _origin(target) != _origin(self.session.base_url):
                req.headers.pop("X-Tapis-Token", None)
                req.headers.pop("Authorization", None)
            return resp
        token = getattr(req, _TOKEN_ATTR, None)
        if (
            resp.status_code < 400
            or token is None
            or getattr(req, _RETRIED_ATTR, False)
            or not self.session._rejects_token(resp.status_code, resp.content)
        ):
            return resp
        # Refresh once (unless another thread or process already did) and send once more.
        self.session._refresh_rejected(token)
        resp.close()
        retry = req.copy()
        self._attach(retry)
        setattr(retry, _RETRIED_ATTR, True)
        if getattr(req, "_body_position", None) is not None:
            requests.utils.rewind_body(retry)
        again = resp.connection.send(retry, **kwargs)
        again.history.append(resp)
        again.request = retry
        return again
