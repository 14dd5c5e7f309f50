"""The exception hierarchy: one class per C status (checked against the C library's own table),
and real failures against the test authenticator raising the class the C ABI's status names.
No message carries a secret."""

import os
import socket

import pytest

import tapis_auth
from tapis_auth import _native
from tapis_auth import errors as E
from conftest import PASSWORD, USER, V2_CLIENT, V3_CLIENT, Server, login, store_options


def _classes():
    return {c.STATUS: c for c in vars(E).values() if isinstance(c, type) and issubclass(c, E.TapisAuthError) and c not in (E.TapisAuthError, E.UsageError)}


def test_every_c_status_has_exactly_one_class_with_its_name():
    table = dict(_native.statuses())
    assert table[0] == "TAPIS_AUTH_OK"
    classes = _classes()
    assert set(classes) == set(table) - {0}
    for status, cls in classes.items():
        assert cls.STATUS_NAME == table[status]
        assert E.error_class(status) is cls
        # The class name is the C name in CamelCase (+ "Error"), except where Python's
        # builtins would be shadowed (TIMEOUT -> NetworkTimeoutError) or it is not an error.
        stem = table[status].replace("TAPIS_AUTH_ERR_", "").replace("TAPIS_AUTH_", "")
        camel = "".join(w.capitalize() for w in stem.split("_"))
        expected = {"Timeout": "NetworkTimeout", "Pending": "AuthorizationPending"}.get(camel, camel) + "Error"
        assert cls.__name__ == expected, (status, cls.__name__)
        assert cls.__name__ in tapis_auth.__all__
        assert getattr(tapis_auth, cls.__name__) is cls


def test_the_groups_follow_the_hundreds():
    for status, cls in _classes().items():
        group = {1: E.UsageError, 2: E.LoginRequiredError, 4: E.NetworkError, 5: E.ServerError, 6: E.StorageError, 7: E.ConfigError}.get(status // 100)
        if group is not None:
            assert issubclass(cls, group), cls
        assert issubclass(cls, E.TapisAuthError)
    assert not issubclass(E.TokenRejectedError, E.LoginRequiredError)
    assert not issubclass(E.ConfigError, E.StorageError)
    # What the server refuses is the server group's, not a setting; what is not offered is.
    assert issubclass(E.RequestRefusedError, E.ServerError) and not issubclass(E.RequestRefusedError, E.ConfigError)
    assert issubclass(E.UnsupportedError, E.ConfigError)
    assert issubclass(E.CacheTooNewError, E.StorageError) and not issubclass(E.CacheTooNewError, E.CorruptCacheError)


def test_an_error_carries_its_status_and_attributes():
    e = E.RefreshRejectedError("gone", 203, 400, False)
    assert (e.status, e.status_name, e.http_status, e.retryable) == (203, "TAPIS_AUTH_ERR_REFRESH_REJECTED", 400, False)
    assert str(e) == "gone"


# --- real failures ----------------------------------------------------------------------------


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _login(server_url, cache, password=PASSWORD, client=V3_CLIENT, **kw):
    return tapis_auth.Session.login_password(
        USER, password, base_url=server_url, platform="v3", client_id=client[0], client_key=client[1], create_client=False, **store_options(cache), **kw
    )


def test_login_required_when_nothing_is_stored(cache):
    with pytest.raises(tapis_auth.LoginRequiredError) as ei:
        tapis_auth.Session.restore(**store_options(cache))
    assert ei.value.status == 200


def test_wrong_password_is_invalid_credentials_and_never_echoed(server, cache):
    secret = "wrong-Pa55-xyzzy"
    with pytest.raises(tapis_auth.InvalidCredentialsError) as ei:
        _login(server.url, cache, password=secret)
    assert isinstance(ei.value, tapis_auth.LoginRequiredError)
    assert secret not in str(ei.value) and secret not in repr(ei.value)


def test_wrong_client_key_is_invalid_client_and_never_echoed(server, cache):
    key = "not-the-key-31337"
    with pytest.raises(tapis_auth.InvalidClientError) as ei:
        _login(server.url, cache, client=(V3_CLIENT[0], key))
    assert key not in str(ei.value)


def test_a_dead_refresh_token_is_refresh_rejected(server, cache):
    bogus = "bogus-refresh-token-123"
    s = tapis_auth.Session.restore(
        base_url=server.url, platform="v3", refresh_token=bogus, client_id=V3_CLIENT[0], client_key=V3_CLIENT[1], use_environment=False
    )
    with pytest.raises(tapis_auth.RefreshRejectedError) as ei:
        s.access_token(600)
    assert bogus not in str(ei.value)


def test_a_refused_connection_is_connect_error(cache):
    with pytest.raises(tapis_auth.ConnectError) as ei:
        _login(f"http://127.0.0.1:{_closed_port()}", cache, max_tries=1)
    assert isinstance(ei.value, tapis_auth.NetworkError)
    assert ei.value.retryable


def test_plain_http_elsewhere_than_loopback_is_insecure_http(cache):
    with pytest.raises(tapis_auth.InsecureHttpError):
        _login("http://tapis.invalid", cache)


def test_a_certificate_from_an_unknown_ca_is_a_tls_error(tmp_path, cache):
    tls = Server(tmp_path, "--tls")  # its CA is not trusted: not given as ca_file
    try:
        with pytest.raises(tapis_auth.TlsError):
            _login(tls.url, cache, max_tries=1)
    finally:
        tls.stop()


def test_a_slow_server_is_a_timeout(server, cache):
    server.control("faults", {"endpoint": "v3.tokens", "kind": "delay", "delay_ms": 3000})
    try:
        with pytest.raises(tapis_auth.NetworkTimeoutError):
            _login(server.url, cache, timeout=0.5, max_tries=1)
    finally:
        server.control("faults", method="DELETE")


def test_a_server_error_is_server_error_with_its_http_status(server, cache):
    server.control("faults", {"endpoint": "v3.tokens", "kind": "status", "status": 500})
    try:
        with pytest.raises(tapis_auth.ServerError) as ei:
            _login(server.url, cache, max_tries=1)
        assert ei.value.http_status == 500
    finally:
        server.control("faults", method="DELETE")


def test_a_malformed_answer_is_malformed_response(server, cache):
    server.control("faults", {"endpoint": "v3.tokens", "kind": "malformed"})
    try:
        with pytest.raises(tapis_auth.MalformedResponseError) as ei:
            _login(server.url, cache, max_tries=1)
        assert isinstance(ei.value, tapis_auth.ServerError)
    finally:
        server.control("faults", method="DELETE")


def test_a_corrupt_cache_is_reported_and_kept(server, cache):
    login(server, cache)
    junk = b'{"this is": not json'
    (cache / "config.json").write_bytes(junk)
    with pytest.raises(tapis_auth.CorruptCacheError) as ei:
        tapis_auth.Session.restore(**store_options(cache))
    assert isinstance(ei.value, tapis_auth.StorageError)
    assert (cache / "config.json").read_bytes() == junk


def test_a_cache_others_may_write_is_unsafe(server, cache):
    login(server, cache)
    os.chmod(cache / "config.json", 0o666)
    os.chmod(cache, 0o777)
    with pytest.raises(tapis_auth.UnsafeCacheError):
        tapis_auth.Session.restore(**store_options(cache))


def test_a_store_not_built_in_is_unavailable(cache):
    with pytest.raises(tapis_auth.StoreUnavailableError):
        tapis_auth.Session.restore(store="keyring", store_path=str(cache), use_environment=False)


def test_device_login_on_agave_v2_is_unsupported(server, cache):
    with pytest.raises(tapis_auth.UnsupportedError) as ei:
        tapis_auth.Session.login_device(
            client_id=V2_CLIENT[0], client_key=V2_CLIENT[1], base_url=server.url, platform="v2", **store_options(cache)
        )
    assert (ei.value.status, ei.value.status_name) == (701, "TAPIS_AUTH_ERR_UNSUPPORTED")
    assert isinstance(ei.value, tapis_auth.ConfigError) and not ei.value.retryable
    assert "Agave v2" in str(ei.value)


def test_a_bad_tenant_is_config_error(cache):
    with pytest.raises(tapis_auth.ConfigError):
        tapis_auth.Session.login_password(USER, PASSWORD, tenant="evil.example/x", platform="v3", **store_options(cache))


def test_bad_arguments_are_invalid_argument_naming_them(server, cache):
    s = login(server, cache)
    with pytest.raises(tapis_auth.InvalidArgumentError, match="min_valid"):
        s.access_token(-1)
    with pytest.raises(tapis_auth.InvalidArgumentError, match="timeout"):
        tapis_auth.Session.restore(timeout="soon", **store_options(cache))
    with pytest.raises(tapis_auth.InvalidArgumentError, match="passwrd"):
        tapis_auth.Session.restore(passwrd="x", **store_options(cache))
    assert isinstance(tapis_auth.InvalidArgumentError("x"), tapis_auth.UsageError)
