"""A Session across os.fork() and in multiprocessing pools (fork and spawn): the child gets
tokens, refreshes over the network, and nothing hangs."""

import multiprocessing
import os
import time

import pytest

import tapis_auth
from conftest import login, store_options

_SESSION = None  # for the fork-pool workers


def _token_from_global(_):
    return _SESSION.access_token(600), os.getpid()


def _token_from_arg(session):
    return session.access_token(600), session.status().username, os.getpid()


def _wait(pid: int, seconds: float = 60) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail("the child hung")


def test_a_session_used_before_fork_works_in_the_child(server, cache):
    s = login(server, cache)
    s.refresh()  # the parent's HTTP client is in use
    parent_token = s.access_token(600)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 1
        try:
            os.close(r)
            same = s.access_token(600) == parent_token  # from the shared cache
            fresh = s.refresh()  # network, from the child's own client
            code = 0 if same and fresh and fresh != parent_token else 2
            os.write(w, fresh.encode())
        finally:
            os._exit(code)
    os.close(w)
    assert _wait(pid) == 0
    child_token = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        child_token += chunk
    os.close(r)
    # The child's refresh was saved: the parent adopts it.
    assert tapis_auth.Session.restore(**store_options(cache)).access_token(600) == child_token.decode()


def test_fork_pool_workers_share_the_parents_session(server, cache):
    global _SESSION
    _SESSION = login(server, cache)
    _SESSION.refresh()
    expected = _SESSION.access_token(600)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        out = pool.map(_token_from_global, range(8), chunksize=1)
    assert {t for t, _ in out} == {expected}


def test_a_session_can_be_sent_to_spawned_workers(server, cache):
    s = login(server, cache)
    s2 = tapis_auth.Session.restore(**store_options(cache))
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        out = pool.map(_token_from_arg, [s2, s2])
    assert {t for t, _, _ in out} == {s.access_token(600)}
    assert {u for _, u, _ in out} == {"testuser"}
    assert all(pid != os.getpid() for _, _, pid in out)
