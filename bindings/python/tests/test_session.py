"""Session: restore, access_token, logins, status, logout — Tapis v3 and Agave v2, the json and
sqlite stores, the TAPIS_* environment profiles, precedence, threads."""

import threading
import time

import pytest

import tapis_auth
from conftest import PASSWORD, USER, V3_CLIENT, expire_json_cache, login, store_options


@pytest.mark.parametrize("platform", ["v3", "v2"])
@pytest.mark.parametrize("store", ["json", "sqlite"])
def test_login_restore_token_status_logout(server, cache, platform, store):
    s = login(server, cache, platform, store)
    token = s.access_token(min_valid=600)
    assert token and isinstance(token, str)

    again = tapis_auth.Session.restore(**store_options(cache, store))
    assert again.access_token(600) == token  # served from the store, no new grant
    assert again.platform == platform
    assert again.base_url.rstrip("/") == server.url
    assert again.profile == s.profile
    assert store in again.source

    st = again.status()
    assert isinstance(st, tapis_auth.Status)
    assert st.username == USER
    assert st.platform == platform
    assert st.has_refresh_token
    assert st.login_required is None
    assert st.expires_at is not None and st.expires_in > 600
    assert token not in repr(st)

    out = again.logout(delete_client=False)
    assert isinstance(out, tapis_auth.Logout)
    assert out.deleted
    with pytest.raises(tapis_auth.LoginRequiredError):
        tapis_auth.Session.restore(**store_options(cache, store))


@pytest.mark.parametrize("platform", ["v3", "v2"])
def test_expired_cache_is_refreshed_once_and_saved(server, cache, platform):
    login(server, cache, platform)
    expire_json_cache(cache)
    server.reset_stats()
    s = tapis_auth.Session.restore(**store_options(cache))
    t1 = s.access_token(600)
    t2 = tapis_auth.Session.restore(**store_options(cache)).access_token(600)
    assert t1 == t2  # the second process-alike adopted the saved token
    assert server.grants(f"{platform}.refresh_token") == 1


def test_forced_refresh_gives_a_new_token(server, cache):
    s = login(server, cache)
    old = s.access_token(0)
    new = s.refresh()
    assert new != old
    assert s.access_token(0) == new


def test_many_threads_on_an_expired_cache_make_one_grant(server, cache):
    login(server, cache)
    expire_json_cache(cache)
    server.reset_stats()
    s = tapis_auth.Session.restore(**store_options(cache))
    tokens, errors = [], []
    start = threading.Barrier(16)

    def work():
        start.wait()
        try:
            tokens.append(s.access_token(600))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(tokens)) == 1 and len(tokens) == 16
    assert server.grants("v3.refresh_token") == 1


def test_gil_is_released_while_waiting_for_the_network(server, cache):
    # While one thread waits 1.5 s for a slow token endpoint, another Python thread runs.
    s = login(server, cache)
    server.control("faults", {"endpoint": "v3.tokens", "kind": "delay", "delay_ms": 1500})
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.01)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        s.refresh()
    finally:
        done.set()
        t.join()
    assert len(ticks) > 20


# --- precedence and the environment ---------------------------------------------------------


def test_explicit_arguments_win_over_environment_and_store(server, cache, monkeypatch):
    stored = login(server, cache)
    stored_token = stored.access_token(0)
    minted = server.control("mint", {"username": "someone", "ttl": 3600})
    monkeypatch.setenv("TAPIS_BASE_URL", server.url)
    monkeypatch.setenv("TAPIS_TOKEN", stored_token)
    s = tapis_auth.Session.restore(base_url=server.url, access_token=minted["access_token"]["access_token"], store_path=str(cache))
    assert s.source == "explicit arguments"
    assert s.access_token(0) == minted["access_token"]["access_token"]
    assert s.status().username == "someone"


def test_environment_wins_over_the_store(server, cache, monkeypatch):
    login(server, cache)
    minted = server.control("mint", {"username": "envuser", "ttl": 3600})
    monkeypatch.setenv("TAPIS_BASE_URL", server.url)
    monkeypatch.setenv("TAPIS_TOKEN", minted["access_token"]["access_token"])
    monkeypatch.setenv("TAPIS_CACHE_DIR", str(cache))
    s = tapis_auth.Session.restore()
    assert s.source.startswith("environment")
    assert s.status().username == "envuser"
    # use_environment=False: the store.
    s = tapis_auth.Session.restore(use_environment=False)
    assert s.status().username == USER


def test_environment_refresh_token_profile_refreshes_in_memory(server, cache, monkeypatch):
    minted = server.control("mint", {"username": USER, "ttl": -10, "client_id": V3_CLIENT[0], "refresh": True})
    monkeypatch.setenv("TAPIS_BASE_URL", server.url)
    monkeypatch.setenv("TAPIS_TOKEN", minted["access_token"]["access_token"])
    monkeypatch.setenv("TAPIS_REFRESH_TOKEN", minted["refresh_token"]["refresh_token"])
    monkeypatch.setenv("TAPIS_CLIENT_ID", V3_CLIENT[0])
    monkeypatch.setenv("TAPIS_CLIENT_KEY", V3_CLIENT[1])
    monkeypatch.setenv("TAPIS_CACHE_DIR", str(cache))
    server.reset_stats()
    s = tapis_auth.Session.restore()
    assert s.source.startswith("environment")
    fresh = s.access_token(600)
    assert fresh != minted["access_token"]["access_token"]
    assert server.grants("v3.refresh_token") == 1
    assert not (cache / "config.json").exists()  # the environment store is read-only


def test_environment_password_profile(server, monkeypatch):
    monkeypatch.setenv("TAPIS_BASE_URL", server.url)
    monkeypatch.setenv("TAPIS_USERNAME", USER)
    monkeypatch.setenv("TAPIS_PASSWORD", PASSWORD)
    monkeypatch.setenv("TAPIS_PLATFORM", "v3")
    s = tapis_auth.Session.restore()
    assert s.access_token(600)
    assert s.status().username == USER


def test_a_job_environment_is_served_from_the_login_it_came_from(server, cache, monkeypatch):
    # What `eval "$(tapis-auth env)"` gives a job: TAPIS_BASE_URL, TAPIS_TOKEN, TAPIS_CACHE_DIR.
    stored = login(server, cache)
    monkeypatch.setenv("TAPIS_BASE_URL", server.url)
    monkeypatch.setenv("TAPIS_TOKEN", stored.access_token(0))
    monkeypatch.setenv("TAPIS_CACHE_DIR", str(cache))
    s = tapis_auth.Session.restore()
    assert "the login TAPIS_TOKEN came from" in s.source
    assert s.status().has_refresh_token


def test_unknown_options_are_refused_by_name(cache):
    with pytest.raises(tapis_auth.InvalidArgumentError, match="store_pth"):
        tapis_auth.Session.restore(store_pth=str(cache))


def test_threads_share_one_session_while_it_refreshes(server, cache):
    s = login(server, cache)
    server.reset_stats()
    results = []
    ts = [threading.Thread(target=lambda: results.append(s.refresh() and s.access_token(0))) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len(results) == 4
    assert s.access_token(0) in results
