"""Unit tests of the Redis connection string builder/parser and the redis_url filter."""
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.wandb_local.server.plugins.filter.redis_url import FilterModule
from ansible_collections.wandb_local.server.plugins.module_utils._redis import (
    build_redis_url,
    parse_redis_url,
    redact_url,
)


def test_plain_host_and_default_port():
    assert build_redis_url("redis.internal") == "redis://redis.internal:6379"


def test_the_seed_format_with_user_password_tls():
    assert build_redis_url("h", 6380, user="u", password="p", tls=True) == "redis://u:p@h:6380?tls=true"


def test_password_only_keeps_an_empty_user():
    assert build_redis_url("h", password="p") == "redis://:p@h:6379"


def test_reserved_characters_are_escaped_and_round_trip():
    password = "p:@/?#%& +ü"
    user = "a@b:c"
    url = build_redis_url("h", 6379, user=user, password=password, tls=True, ca_cert_path="/etc/ssl/my ca.pem",
                          ttl_in_seconds=3600)
    assert url == ("redis://a%40b%3Ac:p%3A%40%2F%3F%23%25%26%20%2B%C3%BC@h:6379"
                   "?tls=true&caCertPath=/etc/ssl/my%20ca.pem&ttlInSeconds=3600")
    parts = parse_redis_url(url)
    assert parts["user"] == user and parts["password"] == password
    assert parts["tls"] is True and parts["ca_cert_path"] == "/etc/ssl/my ca.pem"
    assert parts["ttl_in_seconds"] == 3600 and parts["host"] == "h" and parts["port"] == 6379


def test_ipv6_host_is_bracketed():
    assert build_redis_url("::1", 6379) == "redis://[::1]:6379"
    assert parse_redis_url("redis://[::1]:6379")["host"] == "::1"


def test_rediss_means_tls_and_db_is_read():
    parts = parse_redis_url("rediss://127.0.0.1:6390/2")
    assert parts["tls"] is True and parts["db"] == 2 and parts["port"] == 6390


@pytest.mark.parametrize("kwargs, message", [
    ({"host": ""}, "host is required"),
    ({"host": "redis://h"}, "bare host"),
    ({"host": "h", "port": 0}, "between 1 and 65535"),
    ({"host": "h", "port": "x"}, "must be a number"),
    ({"host": "h", "ttl_in_seconds": "soon"}, "whole number"),
    ({"host": "h", "ttl_in_seconds": -1}, "negative"),
])
def test_invalid_parts(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_redis_url(**kwargs)


def test_redact_url_hides_only_the_password():
    assert redact_url("redis://u:p%40ss@h:1?tls=true") == "redis://u:********@h:1?tls=true"
    assert redact_url("redis://h:1") == "redis://h:1"


def test_filter_builds_and_reports_errors():
    redis_url = FilterModule().filters()["redis_url"]
    assert redis_url("h", port=1, password="x y", tls=True) == "redis://:x%20y@h:1?tls=true"
    with pytest.raises(AnsibleFilterError, match="redis_url: Redis port"):
        redis_url("h", port=70000)
