"""The real tapipy (from PyPI) through tapis_auth.tapipy.TapisClient against the test
authenticator: its calls carry the cache's token, and an expired cache is refreshed once, by
tapis_auth, and saved — tapipy's own refresh never runs."""

import pytest

import tapis_auth
from conftest import USER, expire_json_cache, login, store_options
from tapis_auth.tapipy import TapisClient  # needs tapipy: the [test] extra installs it


def test_tapipy_calls_carry_the_cache_token(server, cache):
    s = login(server, cache)
    t = TapisClient(s)
    me = t.authenticator.get_userinfo()
    assert me.username == USER
    assert t.get_access_jwt() == s.access_token(0)
    assert t.refresh_token is None  # tapipy holds nothing it could refresh with


def test_an_expired_cache_is_refreshed_by_tapis_auth_once_and_saved(server, cache):
    login(server, cache)
    expire_json_cache(cache)
    server.reset_stats()
    clients = [TapisClient(tapis_auth.Session.restore(**store_options(cache))) for _ in range(3)]
    for t in clients:
        assert t.authenticator.get_userinfo().username == USER
    st = server.stats()
    assert st["grants"] == {"v3.refresh_token": 1}
    # Saved: a new process finds a valid token without a grant.
    fresh = tapis_auth.Session.restore(**store_options(cache))
    assert fresh.access_token(600) == clients[0].get_access_jwt()
    assert server.stats()["grants"] == {"v3.refresh_token": 1}


def test_tapipys_own_refresh_goes_through_tapis_auth(server, cache):
    s = login(server, cache)
    t = TapisClient(s)
    expire_json_cache(cache)
    server.reset_stats()
    t.refresh_tokens()  # what tapipy calls when its token is about to expire
    assert server.stats()["grants"] == {}  # the session still holds a valid token in memory
    before = t.get_access_jwt()
    s.refresh()
    assert t.get_access_jwt() != before


def test_no_credentials_can_be_handed_to_tapipy_itself(server, cache):
    s = login(server, cache)
    with pytest.raises(TypeError, match="password"):
        TapisClient(s, password="x")
