"""Drives the real agavepy (0.9.5 or 1.0.0a11, from PyPI) the way its users do, for the
interoperability tests in crates/cli/tests/agavepy.rs. Prints one JSON object on stdout.

Usage: python tool.py MODE   with AGAVE_CACHE_DIR (the shared cache), TEST_URL (the test
authenticator), TEST_USER, TEST_PASS and TEST_TENANT (its Agave v2 tenant code) set.
"""
import collections
import collections.abc
import getpass
import importlib.metadata
import json
import os
import sys

# agavepy 1.0 (through attrdict) imports collections.Mapping & co., which Python 3.10 removed.
for _n in ("Mapping", "MutableMapping", "Sequence", "Iterable", "Callable"):
    if not hasattr(collections, _n):
        setattr(collections, _n, getattr(collections.abc, _n))

# agavepy 0.9.5's interactive commands prompt for the password with getpass.
getpass.getpass = lambda prompt="": os.environ["TEST_PASS"]

import agavepy  # noqa: E402
from agavepy.agave import Agave  # noqa: E402

URL = os.environ["TEST_URL"]
USER = os.environ["TEST_USER"]
PASS = os.environ["TEST_PASS"]
TENANT = os.environ["TEST_TENANT"]
CACHE = os.environ["AGAVE_CACHE_DIR"]
VERSION = importlib.metadata.version("agavepy")
V1 = not VERSION.startswith("0.")


def tokens(ag):
    """What the client holds now (access token, refresh token)."""
    if V1:
        t = ag.tokens()
        return {"access": t["access_token"], "refresh": t["refresh_token"]}
    return {"access": ag.token if isinstance(ag.token, str) else ag._token,
            "refresh": ag.refresh_token if isinstance(ag.refresh_token, str)
            else ag.token.token_info["refresh_token"]}


def restore_refresh():
    """The classic path (0.9.5 Agave.restore(), 1.0 / tapis-cli Agave.restore()): read
    `current`, refresh, and let agavepy write its cache."""
    ag = Agave.restore()
    before = ag._token
    if V1:
        ag.refresh()
    else:
        ag.token.refresh()
    return {"before": before, "after": tokens(ag), "client_name": getattr(ag, "client_name", None)}


def interactive_refresh():
    """agavepy 0.9.5's interactive API: load_configs() from config.json, refresh (forced),
    save_configs()."""
    ag = Agave(api_server=URL)
    ag.load_configs(cache_dir=CACHE)
    before = {"access": ag.token, "refresh": ag.refresh_token, "client_name": ag.client_name,
              "tenant_id": ag.tenant_id}
    ag.created_at = "0"  # expired: refresh_tokens() refreshes only a token about to expire
    ag.refresh_tokens()
    ag.save_configs(cache_dir=CACHE)
    return {"before": before, "after": {"access": ag.token, "refresh": ag.refresh_token}}


def interactive_read():
    """agavepy 0.9.5's load_configs() alone."""
    ag = Agave(api_server=URL)
    ag.load_configs(cache_dir=CACHE)
    return {"access": ag.token, "refresh": ag.refresh_token, "client_name": ag.client_name,
            "tenant_id": ag.tenant_id, "api_server": ag.api_server}


def login():
    """A first login the way each version's users do it: 0.9.5's interactive
    clients_create + get_access_token + save_configs; 1.0 the way `tapis auth init` does it
    (create a client, then a client with key and secret, whose token creation writes the
    cache)."""
    name = "py-" + ("10" if V1 else "095")
    if V1:
        bare = Agave(api_server=URL, username=USER, password=PASS, tenant_id=TENANT, verify=False)
        c = bare.clients_create(client_name=name, description="agavepy interop")
        ag = Agave(api_server=URL, username=USER, password=PASS, tenant_id=TENANT,
                   api_key=c["api_key"], api_secret=c["api_secret"], client_name=name,
                   verify=False)
    else:
        ag = Agave(api_server=URL, username=USER, tenant_id=TENANT)
        ag.clients_create(name, "agavepy interop")
        ag.get_access_token()
        ag.save_configs(cache_dir=CACHE)
    return {"client": name, "after": tokens(ag)}


if __name__ == "__main__":
    out = {"restore_refresh": restore_refresh, "interactive_refresh": interactive_refresh,
           "interactive_read": interactive_read, "login": login}[sys.argv[1]]()
    out["version"] = VERSION
    print(json.dumps(out))
