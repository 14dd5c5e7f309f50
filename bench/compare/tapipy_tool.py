"""tapipy as a user script would drive it. tapipy keeps tokens only in memory, so the script keeps
them in a JSON file of its own ($TAPIPY_TOKENS_FILE: {"access_token", "refresh_token"}), written
with plain open() as such scripts do.

    tapipy_tool.py login   password on stdin: Tapis(username, password, client_id, client_key)
                           + get_tokens() (password grant with the existing client test-client;
                           tapipy does not create OAuth clients); save both tokens to the file
    tapipy_tool.py token   Tapis(access_token=..., refresh_token=..., client_id, client_key) from
                           the file; if the access token has < 5 s left (tapipy's own pre-request
                           threshold) refresh_tokens() and save the file; print the access token

Environment: BENCH_URL, BENCH_CA (passed as verify=), BENCH_USER, BENCH_TENANT (default test),
BENCH_CLIENT_ID / BENCH_CLIENT_KEY (default test-client / test-client-key), TAPIPY_TOKENS_FILE.
"""
import json
import os
import sys

from barrier import barrier


def common():
    return dict(base_url=os.environ["BENCH_URL"], tenant_id=os.environ.get("BENCH_TENANT", "test"),
                client_id=os.environ.get("BENCH_CLIENT_ID", "test-client"),
                client_key=os.environ.get("BENCH_CLIENT_KEY", "test-client-key"),
                verify=os.environ["BENCH_CA"])


def save(t):
    with open(os.environ["TAPIPY_TOKENS_FILE"], "w") as f:
        json.dump({"access_token": t.access_token.access_token,
                   "refresh_token": t.refresh_token.refresh_token}, f)


def login():
    from tapipy.tapis import Tapis

    password = sys.stdin.readline().rstrip("\n")
    t = Tapis(username=os.environ.get("BENCH_USER", "testuser"), password=password, **common())
    t.get_tokens()
    save(t)
    print(t.access_token.access_token)


def token():
    from tapipy.tapis import Tapis

    barrier()
    with open(os.environ["TAPIPY_TOKENS_FILE"]) as f:
        saved = json.load(f)
    t = Tapis(access_token=saved["access_token"], refresh_token=saved["refresh_token"], **common())
    if t.access_token.expires_in().total_seconds() < 5:
        t.refresh_tokens()
        save(t)
    print(t.access_token.access_token)


if __name__ == "__main__":
    {"login": login, "token": token}[sys.argv[1]]()
