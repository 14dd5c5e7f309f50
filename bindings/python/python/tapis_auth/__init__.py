"""Access tokens for Tapis v3 and Agave v2, from the shared credential cache, refreshed once for
all processes that find it expired together.

Three lines::

    import tapis_auth
    session = tapis_auth.Session.restore()        # explicit > TAPIS_* environment > ~/.agave
    token = session.access_token(min_valid=600)   # valid for at least 10 more minutes

``tapis_auth.requests.TapisAuth`` and ``tapis_auth.httpx.TapisAuth`` attach the token to every
request (extras ``[requests]``, ``[httpx]``); ``tapis_auth.tapipy.tapis_client`` gives a tapipy
``Tapis`` client whose token comes from here (extra ``[tapipy]``).
"""

# Not `typing`: importing it would double what `import tapis_auth` costs.
TYPE_CHECKING = False
from . import _native
from ._session import DeviceLogin, Session
from .errors import *  # noqa: F401,F403  (the exception hierarchy)
from .errors import __all__ as _errors_all

if TYPE_CHECKING:
    from .status import Logout, Status

__version__ = _native.version()

__all__ = ["Session", "DeviceLogin", "Status", "Logout", "__version__"] + list(_errors_all)


def __getattr__(name: str) -> object:
    # The dataclasses are imported on first use: `import tapis_auth` stays cheap.
    if name in ("Status", "Logout"):
        from . import status

        return getattr(status, name)
    raise AttributeError(f"module 'tapis_auth' has no attribute {name!r}")
