"""Marks a tool's cached access token as expired, in place, leaving its refresh token as it is (test
set-up run before each measured run; never timed).

    expire.py ours DIR        tapis-auth JSON store: every session in DIR/config.json and the
                              DIR/current mirror get access_expires_at / created_at in the past
    expire.py agavepy DIR     DIR/current: created_at in the past, expires_in "1" (agavepy 0.9.5
                              decides from created_at + expires_in)
    expire.py tapipy FILE     the script's tokens.json: access_token replaced by the already
                              expired JWT in $BENCH_EXPIRED_JWT (tapipy reads `exp` from the JWT)
"""
import json
import os
import sys
import time

PAST = int(time.time()) - 100000


def rewrite(path, fn):
    with open(path) as f:
        data = json.load(f)
    fn(data)
    tmp = path + ".expire-tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.chmod(tmp, os.stat(path).st_mode & 0o777)
    os.replace(tmp, path)


def expire_session(s):
    if isinstance(s, dict) and "access_token" in s:
        if "access_expires_at" in s:
            s["access_expires_at"] = PAST
        s["created_at"] = str(PAST)
        s["expires_in"] = "1"


def walk(node):
    if isinstance(node, dict):
        if "access_token" in node:
            expire_session(node)
        else:
            for v in node.values():
                walk(v)


def main():
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "ours":
        rewrite(os.path.join(path, "config.json"), walk)
        if os.path.exists(os.path.join(path, "current")):
            rewrite(os.path.join(path, "current"), walk)
    elif kind == "agavepy":
        def fn(d):
            d["created_at"] = PAST
            d["expires_in"] = "1"
        rewrite(os.path.join(path, "current"), fn)
    elif kind == "tapipy":
        def fn(d):
            d["access_token"] = os.environ["BENCH_EXPIRED_JWT"]
        rewrite(path, fn)
    else:
        sys.exit("unknown kind " + kind)


if __name__ == "__main__":
    main()
