"""tapis_auth (bindings/python, this library's Python package) as a user script would use it.

    tapis_auth_tool.py token   Session.restore() (the JSON cache in $TAPIS_CACHE_DIR, logged in
                               by the tapis-auth command) and access_token(0), as `tapis-auth token`
                               asks; print it

Environment: TAPIS_CACHE_DIR; BENCH_CA (the test authenticator's CA, as ca_file), if any.
"""
import os
import sys

import tapis_auth

from barrier import barrier


def token():
    barrier()
    ca = os.environ.get("BENCH_CA")
    s = tapis_auth.Session.restore(**({"ca_file": ca} if ca else {}))
    print(s.access_token(0))  # as `tapis-auth token` (--min-valid 0: the 60 s margin)


if __name__ == "__main__":
    {"token": token}[sys.argv[1]]()
