"""Units for the provider-neutral storage helpers (names, CORS rule, diff, merge)."""
from __future__ import annotations

import json

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils import _storage as st


@pytest.mark.parametrize("name", ["wandb-files", "abc", "a.b-c.d", "1bucket", "x" * 63])
def test_valid_s3_bucket_names(name):
    assert st.s3_bucket_name_problems(name) == []


@pytest.mark.parametrize("name, fragment", [
    ("", "empty"),
    ("ab", "3 to 63"),
    ("x" * 64, "3 to 63"),
    ("Wandb-Files", "lowercase"),
    ("wandb_files", "lowercase"),
    ("-wandb", "begin and end"),
    ("wandb..files", "adjacent dots"),
    ("wandb.-files", "next to a hyphen"),
    ("192.168.1.10", "IP address"),
    ("xn--wandb", "xn--"),
    ("wandb-s3alias", "-s3alias"),
])
def test_invalid_s3_bucket_names_say_why(name, fragment):
    problems = st.s3_bucket_name_problems(name)
    assert problems and fragment in " ".join(problems)
    msg = st.bucket_name_error("S3 bucket", name, problems, "bucket")
    assert "option bucket" in msg and fragment in msg


def test_gcs_and_azure_names():
    assert st.gcs_bucket_name_problems("wandb_files.example") == []
    assert st.gcs_bucket_name_problems("google-files")
    assert st.gcs_bucket_name_problems("Upper")
    assert st.azure_container_name_problems("wandb-files") == []
    assert st.azure_container_name_problems("wandb--files")
    assert st.azure_container_name_problems("wandb_files")


def test_origin_normalisation():
    assert st.normalize_origin("https://WandB.Example.com/") == "https://wandb.example.com"
    assert st.normalize_origin("http://10.0.0.5:8080/path") == "http://10.0.0.5:8080"
    assert st.normalize_origin("*") == "*"
    with pytest.raises(ValueError, match="scheme and host"):
        st.normalize_origin("wandb.example.com")


# What a browser on that page sends as `Origin` (RFC 6454 §6.2 / WHATWG URL origin serialisation).
@pytest.mark.parametrize("written, sent", [
    ("https://wandb.example.net:443", "https://wandb.example.net"),
    ("https://wandb.example.net:443/", "https://wandb.example.net"),
    ("HTTPS://WandB.Example.NET:443", "https://wandb.example.net"),
    ("http://x.example:80", "http://x.example"),
    ("http://x.example:443", "http://x.example:443"),      # not http's default port: kept
    ("https://x.example:80", "https://x.example:80"),
    ("https://x.example:8443", "https://x.example:8443"),
    ("https://x.example:08443", "https://x.example:8443"),  # a port is a number
    ("https://x.example:0443", "https://x.example"),
    ("https://x.example:", "https://x.example"),            # empty port: none
    ("wss://x.example:443", "wss://x.example"),
    ("https://x.example/some/path?q=1#frag", "https://x.example"),
    ("https://x.example.", "https://x.example."),           # browsers keep a trailing dot
    ("http://[0:0:0:0:0:0:0:1]:80", "http://[::1]"),
    ("http://[::1]:8080", "http://[::1]:8080"),
    ("http://[2001:DB8::1]", "http://[2001:db8::1]"),
    ("http://127.1:8080", "http://127.0.0.1:8080"),         # browsers parse these as IPv4 addresses
    ("http://0x7f.0.0.1", "http://127.0.0.1"),
    ("http://010.0.0.1", "http://8.0.0.1"),
    ("http://10.0.0.5:8080/", "http://10.0.0.5:8080"),
    ("https://*.example.com", "https://*.example.com"),     # S3 wildcard origin: left alone
    ("  https://x.example  ", "https://x.example"),
])
def test_origin_is_what_a_browser_sends(written, sent):
    assert st.normalize_origin(written) == sent
    assert st.normalize_origin(sent) == sent, "normalising twice changes nothing"


@pytest.mark.parametrize("origin, fragment", [
    ("https://user:secret@x.example", "user:password@"),
    ("https://x.example:65536", "not a URL"),
    ("https://x.example:https", "not a URL"),
    ("https://bücher.example", "punycode"),
    ("https://x y.example", "invalid host"),
    ("http://256.0.0.1", "invalid IPv4"),
    ("http://1.2.3.4.5", "invalid IPv4"),
    ("http://[::1%25eth0]", "invalid IPv6"),
    ("https://", "scheme and host"),
    ("localhost:8080", "scheme and host"),
])
def test_origins_no_browser_sends_are_refused(origin, fragment):
    with pytest.raises(ValueError, match=fragment):
        st.normalize_origin(origin)
    assert fragment in st.cors_origins_error([origin], "origins")


def test_default_port_origin_compares_equal_to_the_stored_rule():
    """Idempotence: a rule stored as https://x equals a desired https://x:443 (no change, no rewrite)."""
    stored = st.cors_rule(["https://wandb.example.net"])
    assert st.cors_rule(["https://wandb.example.net:443"]) == stored
    assert st.cors_rule(["https://WANDB.example.net:443/", "https://wandb.example.net"])["origins"] == \
        ["https://wandb.example.net"]
    assert st.same(st.cors_rule(["http://10.0.0.5:80", "https://w.example:443"]),
                   st.cors_rule(["https://w.example", "http://10.0.0.5"]))


def test_cors_rule_from_origins_is_canonical():
    rule = st.cors_rule(["https://b.example.com/", "https://A.example.com", "https://b.example.com"])
    assert rule == {
        "origins": ["https://a.example.com", "https://b.example.com"],
        "methods": ["GET", "PUT"],
        "headers": ["*"],
        "max_age_seconds": None,
    }
    assert st.cors_rule("https://x.example.com", methods=["put", "get"], max_age_seconds="600")["max_age_seconds"] == 600
    with pytest.raises(ValueError, match="at least one"):
        st.cors_rule([])


def test_cors_origins_error_names_the_option():
    assert st.cors_origins_error(["https://wandb.example.com", "*"], "origins") is None
    assert st.cors_origins_error([], "cors_origins") is None
    msg = st.cors_origins_error(["wandb.example.com"], "cors_origins")
    assert "option cors_origins" in msg and "scheme and host" in msg
    assert "at least one" in st.cors_origins_error([], "origins", required=True)


def test_same_ignores_order():
    assert st.same({"a": [3, 1], "b": {"y": 1, "x": [{"k": 2}, {"k": 1}]}},
                   {"b": {"x": [{"k": 1}, {"k": 2}], "y": 1}, "a": [1, 3]})
    assert not st.same({"a": [1]}, {"a": [1, 2]})


def test_make_diff_renders_json_documents():
    diff = st.make_diff(None, {"b": 1}, header="thing")
    assert diff["before"] == ""
    assert json.loads(diff["after"]) == {"b": 1}
    assert diff["after_header"] == "thing (after)"


def test_merge_by_id_keeps_foreign_items_and_replaces_ours():
    current = [{"Id": "theirs", "v": 1}, {"Id": "ours", "v": 0}, {"v": 7}]
    merged = st.merge_by_id(current, {"Id": "ours", "v": 2}, lambda i: i.get("Id"), "ours")
    assert merged == [{"Id": "theirs", "v": 1}, {"v": 7}, {"Id": "ours", "v": 2}]
    assert st.merge_by_id(current, None, lambda i: i.get("Id"), "ours") == [{"Id": "theirs", "v": 1}, {"v": 7}]
