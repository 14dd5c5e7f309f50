"""The storm: 32 Python processes find one expired cache at the same instant, with single-use
refresh tokens (as the real Tapis authenticator issues them). Exactly one refresh grant, no
failed caller, one token for all. Driven by bench/compare/storm.py (the harness bench/compare.sh
runs agavepy and tapipy through) with bench/compare/tapis_auth_tool.py."""

import json
import os
import subprocess
import sys

from conftest import REPO, expire_json_cache, login

N = 32


def test_32_processes_on_an_expired_cache_make_one_grant_and_none_fails(single_use_server, cache):
    server = single_use_server
    login(server, cache)
    expire_json_cache(cache)
    server.reset_stats()
    here = REPO / "bench" / "compare"
    env = dict(os.environ, TAPIS_CACHE_DIR=str(cache))
    env.pop("BENCH_CA", None)
    out = subprocess.run(
        [sys.executable, str(here / "storm.py"), str(N), "120", sys.executable, str(here / "tapis_auth_tool.py"), "token"],
        env=env, check=True, capture_output=True, text=True, timeout=300,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["n"] == N
    assert result["failed"] == 0, result
    assert result["distinct_tokens"] == 1
    st = server.stats()
    assert st["grants"] == {"v3.refresh_token": 1}, st["grants"]
    assert st["rejected_refresh"].get("v3", 0) == 0
