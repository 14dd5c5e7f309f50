"""The device login (Tapis v3): the URL and code to show, polling, approval, expiry."""

import pytest

import tapis_auth
from conftest import USER, V3_CLIENT, store_options


def _start(server, cache):
    return tapis_auth.Session.login_device(
        client_id=V3_CLIENT[0], client_key=V3_CLIENT[1], base_url=server.url, platform="v3", **store_options(cache)
    )


def test_device_login_shows_a_code_and_completes_when_approved(server, cache):
    login = _start(server, cache)
    assert login.user_code and login.verification_uri.startswith(server.url)
    assert not login.poll()  # not approved yet: pending, not an error
    server.control("device/approve", {"user_code": login.user_code, "username": USER})
    s = login.wait(timeout=60)
    assert s.status().username == USER
    assert tapis_auth.Session.restore(**store_options(cache)).access_token(600) == s.access_token(600)


def test_an_expired_device_code_is_device_code_expired(server, cache):
    server.control("config", {"v3_device_code_lifetime": 1})
    try:
        login = _start(server, cache)
        with pytest.raises(tapis_auth.DeviceCodeExpiredError):
            login.wait(timeout=60)
    finally:
        server.control("config", {"v3_device_code_lifetime": 600})


def test_waiting_too_long_is_cancelled(server, cache):
    login = _start(server, cache)
    with pytest.raises(tapis_auth.CancelledError):
        login.wait(timeout=0.3)
