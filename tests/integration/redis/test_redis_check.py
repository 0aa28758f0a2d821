"""redis_check against a real redis-server 7 (password, ACL user, TLS with a test-made CA)."""
from __future__ import annotations

import json

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils._redis import build_redis_url
from ansible_collections.wandb_local.server.plugins.modules import redis_check
from support.procs import free_port


def check(run_module, **args):
    return run_module(redis_check, args)


def assert_no_secret(result, *secrets):
    text = json.dumps(result)
    for secret in secrets:
        assert secret not in text


def test_ping_with_password(run_module, redis_server):
    result = check(run_module, host="127.0.0.1", port=redis_server["port"], password=redis_server["password"])
    assert not result.failed, result
    assert result["pong"] is True
    assert result["changed"] is False
    assert result["redis_version"].startswith("7.")
    assert_no_secret(result, redis_server["password"])


def test_ping_acl_user_over_tls_with_ca(run_module, redis_server):
    result = check(run_module, host="127.0.0.1", port=redis_server["tls_port"], user=redis_server["acl_user"],
                   password=redis_server["acl_password"], tls=True, ca_file=str(redis_server["ca"]))
    assert not result.failed, result
    assert result["pong"] is True and result["tls"] is True and result["user"] == "wandb"
    assert_no_secret(result, redis_server["acl_password"])


def test_ping_the_url_the_server_gets(run_module, redis_server):
    url = build_redis_url("127.0.0.1", redis_server["tls_port"], user=redis_server["acl_user"],
                          password=redis_server["acl_password"], tls=True, ca_cert_path="/etc/wandb/redis-ca.pem",
                          ttl_in_seconds=604800)
    result = check(run_module, url=url, ca_file=str(redis_server["ca"]))
    assert not result.failed, result
    assert result["pong"] is True and result["tls"] is True
    assert_no_secret(result, redis_server["acl_password"], url)


def test_check_mode_pings_too(run_module, redis_server):
    result = run_module(redis_check, dict(host="127.0.0.1", port=redis_server["port"],
                                          password=redis_server["password"]), check_mode=True)
    assert not result.failed and result["pong"] is True and result["changed"] is False


def test_wrong_password_fails_clearly(run_module, redis_server):
    result = check(run_module, host="127.0.0.1", port=redis_server["port"], password="not-the-password")
    assert result.failed
    assert "WRONGPASS" in result["msg"] and "check the password" in result["msg"]
    assert result["pong"] is False
    assert_no_secret(result, "not-the-password", redis_server["password"])


def test_wrong_acl_password_over_tls_fails_clearly(run_module, redis_server):
    result = check(run_module, host="127.0.0.1", port=redis_server["tls_port"], user="wandb",
                   password="nope-" + redis_server["acl_password"], tls=True, ca_file=str(redis_server["ca"]))
    assert result.failed
    assert "refused the password for user 'wandb'" in result["msg"]
    assert_no_secret(result, "nope-" + redis_server["acl_password"])


def test_missing_password_says_noauth(run_module, redis_server):
    result = check(run_module, host="127.0.0.1", port=redis_server["port"])
    assert result.failed
    assert "requires authentication (NOAUTH)" in result["msg"]


def test_password_for_server_without_one(run_module, redis_server):
    result = check(run_module, host="127.0.0.1", port=redis_server["open_port"], password="anything-secret")
    assert result.failed
    assert "no password configured" in result["msg"]
    assert_no_secret(result, "anything-secret")


def test_tls_with_an_untrusted_ca_fails(run_module, redis_server):
    result = check(run_module, host="127.0.0.1", port=redis_server["tls_port"], password=redis_server["password"],
                   tls=True, ca_file=str(redis_server["other_ca"]))
    assert result.failed
    assert "certificate" in result["msg"] and "ca_file" in result["msg"]


def test_tls_without_verification_for_test_servers(run_module, redis_server):
    result = check(run_module, host="127.0.0.1", port=redis_server["tls_port"], password=redis_server["password"],
                   tls=True, validate_certs=False)
    assert not result.failed, result
    assert result["pong"] is True


def test_plain_client_on_tls_port_gives_a_hint(run_module, redis_server):
    result = check(run_module, host="127.0.0.1", port=redis_server["tls_port"], password=redis_server["password"],
                   timeout=2)
    assert result.failed
    assert "tls=true" in result["msg"]
    assert_no_secret(result, redis_server["password"])


def test_tls_client_on_plain_port_gives_a_hint(run_module, redis_server):
    result = check(run_module, host="127.0.0.1", port=redis_server["port"], password=redis_server["password"],
                   tls=True, ca_file=str(redis_server["ca"]), timeout=2)
    assert result.failed
    assert "TLS" in result["msg"]


def test_connection_refused(run_module, redis_server):
    port = free_port()
    result = check(run_module, host="127.0.0.1", port=port, timeout=2)
    assert result.failed
    assert "cannot connect to Redis" in result["msg"]


@pytest.mark.parametrize("bad", [
    {"url": "http://127.0.0.1:6379"},
    {"url": "redis://127.0.0.1:6379/notadb"},
])
def test_invalid_url(run_module, bad):
    result = check(run_module, **bad)
    assert result.failed and result["msg"].startswith("url:")


def test_url_with_host_override_verifies_the_url_host(run_module, redis_server):
    # the URL names "localhost" (in the certificate); the check connects to 127.0.0.1 and still verifies "localhost"
    url = build_redis_url("localhost", redis_server["tls_port"], password=redis_server["password"], tls=True)
    result = check(run_module, url=url, host="127.0.0.1", ca_file=str(redis_server["ca"]))
    assert not result.failed, result
    assert result["host"] == "127.0.0.1" and result["port"] == redis_server["tls_port"]


def test_certificate_name_is_verified_and_a_mismatch_names_server_name(run_module, redis_server):
    # connected to 127.0.0.1 (in the certificate) but asked to verify a name the certificate does not carry
    result = check(run_module, host="127.0.0.1", port=redis_server["tls_port"], password=redis_server["password"],
                   tls=True, ca_file=str(redis_server["ca"]), server_name="redis.wrong.example", timeout=2)
    assert result.failed
    assert "issued for the name" in result["msg"] and "server_name" in result["msg"], result["msg"]
    assert "wandb_server_ca_certificates" not in result["msg"]
    assert_no_secret(result, redis_server["password"])
