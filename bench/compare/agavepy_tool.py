"""agavepy 0.9.5 as a user script would drive it (the "classic" Agave(...) path).

    agavepy_tool.py login   password on stdin: create an OAuth client (POST /clients/v2 with the
                            user's Basic auth) and do the password grant; agavepy persists the
                            session into $AGAVE_CACHE_DIR/current (it only writes a file that
                            already exists, so an empty one is created first, as the bash CLI's
                            tenants-init does)
    agavepy_tool.py token   Agave.restore() from $AGAVE_CACHE_DIR/current; if created_at +
                            expires_in says the token has < 60 s left, ag.token.refresh() (which
                            rewrites `current`); print the access token

Environment: BENCH_URL (https://127.0.0.1, no port: agavepy 0.9.5 only sends Basic auth to
/clients/v2 when the URL has no port), BENCH_CA (CA file, passed as verify=), BENCH_USER,
AGAVE_CACHE_DIR; BENCH_V2_KEY / BENCH_V2_SECRET: skip the client creation and use this client.
"""
import os
import sys
import time

from barrier import barrier


def current_path():
    return os.path.join(os.environ["AGAVE_CACHE_DIR"], "current")


def login():
    from agavepy.agave import Agave

    password = sys.stdin.readline().rstrip("\n")
    path = current_path()
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write("{}")
    ag = Agave(api_server=os.environ["BENCH_URL"], username=os.environ.get("BENCH_USER", "testuser"),
               password=password, verify=os.environ["BENCH_CA"])
    if os.environ.get("BENCH_V2_KEY"):  # no client creation possible (URL with a port): use the given one
        key, secret = os.environ["BENCH_V2_KEY"], os.environ["BENCH_V2_SECRET"]
    else:
        client = ag.clients.create(body={"clientName": "bench-%d-%d" % (os.getpid(), time.time_ns())})
        key, secret = client["consumerKey"], client["consumerSecret"]
    ag.set_client(key, secret)  # password grant; agavepy writes `current`
    print(ag._token)


def token():
    from agavepy.agave import Agave

    barrier()
    ag = Agave.restore()
    try:
        remaining = int(ag.created_at) + int(ag.expires_in) - time.time()
    except (TypeError, ValueError):
        remaining = None  # unknown: agavepy would use it and refresh on a 401
    if remaining is not None and remaining < 60:
        ag.token.refresh()
    print(ag._token)


if __name__ == "__main__":
    {"login": login, "token": token}[sys.argv[1]]()
