"""tapis_auth.requests.TapisAuth and tapis_auth.httpx.TapisAuth against the test authenticator:
the platform's header, one refresh and one retry when the service says the token expired (never
a loop), and the token kept on the tenant's origin."""

import asyncio

import httpx
import pytest
import requests

import tapis_auth
import tapis_auth.httpx
import tapis_auth.requests
from conftest import login
from http_helpers import recorder, redirector

EXPIRED = "TAPIS_SECURITY_JWT_EXPIRED Exception message: JWT expired at 2020-01-01T00:00:00Z"
SERVICE = {"v3": "/v3/systems", "v2": "/profiles/v2/me"}


def _get(kind, url, auth):
    if kind == "requests":
        return requests.get(url, auth=auth, timeout=30)
    with httpx.Client(auth=auth, timeout=30) as c:
        return c.get(url)


def _auth(kind, session, **kw):
    return (tapis_auth.requests if kind == "requests" else tapis_auth.httpx).TapisAuth(session, **kw)


def _expire_once(server, count=1):
    server.control("faults", {"endpoint": "v3.systems", "kind": "respond", "status": 401, "body": EXPIRED, "content_type": "text/plain", "count": count})


@pytest.mark.parametrize("kind", ["requests", "httpx"])
@pytest.mark.parametrize("platform", ["v3", "v2"])
def test_a_service_call_carries_the_platforms_header(server, cache, kind, platform):
    s = login(server, cache, platform)
    server.reset_stats()
    r = _get(kind, server.url + SERVICE[platform], _auth(kind, s))
    assert r.status_code == 200, r.text
    sent = r.request.headers
    if platform == "v3":
        assert sent["X-Tapis-Token"] == s.access_token(0) and "Authorization" not in sent
    else:
        assert sent["Authorization"] == "Bearer " + s.access_token(0) and "X-Tapis-Token" not in sent
    assert server.stats()["grants"] == {}


@pytest.mark.parametrize("kind", ["requests", "httpx"])
def test_an_expired_answer_refreshes_once_and_retries_once(server, cache, kind):
    s = login(server, cache)
    old = s.access_token(0)
    server.reset_stats()
    _expire_once(server)
    try:
        r = _get(kind, server.url + "/v3/systems", _auth(kind, s))
    finally:
        server.control("faults", method="DELETE")
    assert r.status_code == 200
    assert r.request.headers["X-Tapis-Token"] != old
    st = server.stats()
    assert st["grants"].get("v3.refresh_token") == 1
    assert st["endpoints"]["v3.systems"] == 2


@pytest.mark.parametrize("kind", ["requests", "httpx"])
def test_a_second_expired_answer_is_returned_not_looped(server, cache, kind):
    s = login(server, cache)
    server.reset_stats()
    _expire_once(server, count=5)
    try:
        r = _get(kind, server.url + "/v3/systems", _auth(kind, s))
    finally:
        server.control("faults", method="DELETE")
    assert r.status_code == 401
    st = server.stats()
    assert st["grants"].get("v3.refresh_token") == 1
    assert st["endpoints"]["v3.systems"] == 2


@pytest.mark.parametrize("kind", ["requests", "httpx"])
def test_other_failures_are_not_retried(server, cache, kind):
    s = login(server, cache)
    server.reset_stats()
    server.control("faults", {"endpoint": "v3.systems", "kind": "respond", "status": 403, "body": "forbidden", "content_type": "text/plain"})
    try:
        r = _get(kind, server.url + "/v3/systems", _auth(kind, s))
    finally:
        server.control("faults", method="DELETE")
    assert r.status_code == 403
    assert server.stats()["grants"] == {}


@pytest.mark.parametrize("kind", ["requests", "httpx"])
def test_the_token_is_not_sent_to_another_origin(server, cache, kind):
    s = login(server, cache)
    srv, url, seen = recorder()
    try:
        with pytest.raises(tapis_auth.ConfigError):
            _get(kind, url + "/steal", _auth(kind, s))
        assert seen == []
        # On purpose: any_origin=True.
        r = _get(kind, url + "/mine", _auth(kind, s, any_origin=True))
        assert r.status_code == 200 and seen[-1]["x-tapis-token"] == s.access_token(0)
    finally:
        srv.shutdown()


def test_requests_drops_the_token_on_a_redirect_to_another_origin(server, cache):
    # The tenant is a loopback server that redirects; the token is a real one from the test
    # authenticator, given explicitly.
    token = server.control("mint", {"ttl": 3600})["access_token"]["access_token"]
    foreign, foreign_url, seen_foreign = recorder()
    tenant, tenant_url, seen_tenant = redirector(foreign_url + "/landed")
    try:
        s = tapis_auth.Session.restore(base_url=tenant_url, platform="v3", access_token=token, use_environment=False)
        r = requests.get(tenant_url + "/v3/files", auth=tapis_auth.requests.TapisAuth(s), timeout=30)
        assert r.status_code == 200
        assert seen_tenant[0]["x-tapis-token"] == token
        assert "x-tapis-token" not in seen_foreign[0] and "authorization" not in seen_foreign[0]
    finally:
        foreign.shutdown()
        tenant.shutdown()


def test_httpx_async_client_refreshes_once_and_retries(server, cache):
    s = login(server, cache)
    server.reset_stats()
    _expire_once(server)

    async def main():
        async with httpx.AsyncClient(auth=tapis_auth.httpx.TapisAuth(s), timeout=30) as c:
            return await c.get(server.url + "/v3/systems")

    try:
        r = asyncio.run(main())
    finally:
        server.control("faults", method="DELETE")
    assert r.status_code == 200
    assert server.stats()["grants"].get("v3.refresh_token") == 1


def test_the_auth_restores_a_session_itself(server, cache, monkeypatch):
    login(server, cache)
    monkeypatch.setenv("TAPIS_CACHE_DIR", str(cache))
    auth = tapis_auth.requests.TapisAuth()
    assert requests.get(server.url + "/v3/systems", auth=auth, timeout=30).status_code == 200
