"""Fixtures: the bundled test authenticator (``tapis-auth-testserver``, real HTTP over loopback)
and a private credential cache per test, with no ``TAPIS_*``/``AGAVE_*`` variable leaking in.

The server binary is ``$TAPIS_AUTH_TESTSERVER``, else ``<repo>/target/debug/tapis-auth-testserver``
(``cargo build -p tapis-auth-testserver``; scripts/test-python.sh builds it). A missing binary
is a test error, never a skip.
"""

import importlib.util
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
V3_CLIENT = ("test-client", "test-client-key")
V2_CLIENT = ("v2-test-key", "v2-test-secret")
USER, PASSWORD = "testuser", "testpass"


def _load_expire():
    # bench/compare/expire.py: marks a JSON cache's access tokens expired, in place.
    spec = importlib.util.spec_from_file_location("tapis_auth_expire", REPO / "bench" / "compare" / "expire.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_expire = _load_expire()


class Server:
    """A running test authenticator."""

    def __init__(self, tmp: Path, *args: str) -> None:
        binary = os.environ.get("TAPIS_AUTH_TESTSERVER") or str(REPO / "target" / "debug" / "tapis-auth-testserver")
        if not os.access(binary, os.X_OK):
            raise RuntimeError(f"no test authenticator at {binary}: run `cargo build -p tapis-auth-testserver` (or set TAPIS_AUTH_TESTSERVER)")
        url_file = tmp / "url"
        self.proc = subprocess.Popen([binary, "--url-file", str(url_file), "--time-limit", "900", *args])
        deadline = time.monotonic() + 60
        while not url_file.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the test authenticator did not start")
            time.sleep(0.02)
        self.url = url_file.read_text().strip().rstrip("/")

    def control(self, path: str, body=None, method=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + "/_test/" + path, data=data, method=method or ("POST" if data else "GET"))
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read()
        return json.loads(text) if text else None

    def stats(self) -> dict:
        return self.control("stats")

    def grants(self, key: str) -> int:
        return self.stats()["grants"].get(key, 0)

    def reset_stats(self) -> None:
        self.control("stats/reset", {})

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("server"))
    yield s
    s.stop()


@pytest.fixture(scope="session")
def single_use_server(tmp_path_factory):
    """A server whose v3 refresh tokens work once (like the real Tapis authenticator)."""
    s = Server(tmp_path_factory.mktemp("server1"), "--single-use-refresh")
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for k in list(os.environ):
        if k.startswith(("TAPIS_", "AGAVE_")) or k.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(k)
    # No test may reach the real ~/.agave.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()


@pytest.fixture
def cache(tmp_path) -> Path:
    d = tmp_path / "cache"
    return d


def store_options(cache: Path, store: str = "json") -> dict:
    path = cache / "sessions.db" if store == "sqlite" else cache
    return {"store": store, "store_path": str(path), "use_environment": False}


def login(server: Server, cache: Path, platform: str = "v3", store: str = "json", **extra):
    """Logs the test user in with the pre-registered client; returns the session."""
    import tapis_auth

    cid, ckey = V3_CLIENT if platform == "v3" else V2_CLIENT
    return tapis_auth.Session.login_password(
        USER,
        PASSWORD,
        base_url=server.url,
        platform=platform,
        client_id=cid,
        client_key=ckey,
        create_client=False,
        **store_options(cache, store),
        **extra,
    )


def _expire_session(node) -> None:
    # The access token's expiry in the past; its lifetime (expires_in) kept, so that a refresh
    # is known to give enough validity.
    if isinstance(node, dict):
        if "access_token" in node:
            past = int(time.time()) - 100000
            if "access_expires_at" in node:
                node["access_expires_at"] = past
            node["created_at"] = str(past)
        else:
            for v in node.values():
                _expire_session(v)


def expire_json_cache(cache: Path) -> None:
    """Marks every access token in the JSON cache expired (refresh tokens untouched), in place
    (with bench/compare/expire.py's atomic rewrite)."""
    _expire.rewrite(str(cache / "config.json"), _expire_session)
    if (cache / "current").exists():
        _expire.rewrite(str(cache / "current"), _expire_session)


