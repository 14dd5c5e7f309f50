"""tapipy with its token from the shared tapis-auth cache.

    tapis-auth login --tenant tacc            # once
    python examples/tapipy_example.py

Any number of these running at once (job arrays, MPI ranks) share one cache: when the token
runs low, one of them refreshes it and the others pick the new one up — tapipy's own refresh,
which every process would run on its own and never save, is not used.
"""

from tapis_auth.tapipy import TapisClient

t = TapisClient(min_valid=300)  # tapis_auth.Session.restore(): TAPIS_* variables, then ~/.agave
me = t.authenticator.get_userinfo()
print(f"hello {me.username} on {t.base_url}")
# The same token for agavepy / tapis-cli style clients, or plain HTTP:
print(sorted(t.tapis_auth_session.headers(300)))
