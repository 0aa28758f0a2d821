"""smtp_check against a real SMTP server (aiosmtpd): STARTTLS and AUTH with the custom CA, TLS from the start, a
relay without either; each failure names the variable to fix and never the password; nothing is ever sent."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from ansible_collections.wandb_local.server.plugins.modules import smtp_check

VARIABLE = "wandb_server_email_sink"


def sink(smtp, port_key="starttls", password=None, scheme="smtp", user=None):
    user = smtp["user"] if user is None else user
    password = smtp["password"] if password is None else password
    credentials = "%s:%s@" % (quote(user, safe=""), quote(password, safe="")) if user else ""
    return "%s://%s127.0.0.1:%d" % (scheme, credentials, smtp[port_key])


def run(run_module, url, advanced_tls, ca=True, **extra):
    args = dict(url=url, variable=VARIABLE, timeout=5,
                ca_certificates=[advanced_tls["ca"].read_text()] if ca else [])
    args.update(extra)
    return run_module(smtp_check, args)


def test_starttls_and_auth_with_the_custom_ca(run_module, smtp_servers, advanced_tls):
    result = run(run_module, sink(smtp_servers), advanced_tls)
    assert not result.failed, result
    assert result["checked"] and result["tls"] == "starttls" and result["authenticated"]
    assert result["starttls_offered"] and "PLAIN" in result["auth_mechanisms"]
    assert (smtp_servers["user"], True) in smtp_servers["logins"]
    assert smtp_servers["password"] not in str(result)
    assert not smtp_servers["messages"], "the pre-flight sent mail"


def test_wrong_password_names_the_variable(run_module, smtp_servers, advanced_tls):
    result = run(run_module, sink(smtp_servers, password="Not-The-Password-42"), advanced_tls)
    assert result.failed
    assert VARIABLE in result["msg"] and "refused the user name or password" in result["msg"]
    assert "Not-The-Password-42" not in str(result)


def test_unknown_ca_names_the_ca_variable(run_module, smtp_servers, advanced_tls):
    result = run(run_module, sink(smtp_servers), advanced_tls, ca=False)
    assert result.failed
    assert "wandb_server_ca_certificates" in result["msg"] and "does not trust" in result["msg"]
    assert smtp_servers["password"] not in str(result)


def test_another_ca_is_not_enough(run_module, smtp_servers, advanced_tls):
    result = run_module(smtp_check, dict(url=sink(smtp_servers), variable=VARIABLE, timeout=5,
                                         ca_certificates=[advanced_tls["other_ca"].read_text()]))
    assert result.failed and "wandb_server_ca_certificates" in result["msg"]


def test_tls_from_the_start(run_module, smtp_servers, advanced_tls):
    result = run(run_module, sink(smtp_servers, "smtps", scheme="smtps"), advanced_tls)
    assert not result.failed, result
    assert result["tls"] == "tls" and result["authenticated"]


def test_plain_smtp_to_a_tls_port_says_smtps(run_module, smtp_servers, advanced_tls):
    result = run(run_module, sink(smtp_servers, "smtps"), advanced_tls, timeout=1)
    assert result.failed and VARIABLE in result["msg"] and "smtps://" in result["msg"]


def test_relay_without_tls_or_auth(run_module, smtp_servers, advanced_tls):
    result = run(run_module, sink(smtp_servers, "relay", user=""), advanced_tls)
    assert not result.failed, result
    assert result["tls"] == "none" and not result["authenticated"] and not result["starttls_offered"]


def test_relay_with_credentials_names_the_variable(run_module, smtp_servers, advanced_tls):
    result = run(run_module, sink(smtp_servers, "relay"), advanced_tls)
    assert result.failed and VARIABLE in result["msg"] and "offers no AUTH" in result["msg"]


def test_starttls_required_but_not_offered(run_module, smtp_servers, advanced_tls):
    result = run(run_module, sink(smtp_servers, "relay", user=""), advanced_tls, security="starttls")
    assert result.failed and VARIABLE in result["msg"] and "does not offer STARTTLS" in result["msg"]


def test_nothing_listening_names_the_variable(run_module, advanced_tls):
    from support.procs import free_port  # pylint: disable=import-outside-toplevel
    result = run(run_module, "smtp://u:Closed-Port-Secret@127.0.0.1:%d" % free_port(), advanced_tls)
    assert result.failed and "could not connect" in result["msg"] and VARIABLE in result["msg"]
    assert "Closed-Port-Secret" not in str(result)


def test_an_unchanged_env_file_contacts_nothing(run_module, tmp_path, advanced_tls):
    from support.procs import free_port  # pylint: disable=import-outside-toplevel
    url = "smtp://u:Kept-Secret-1@127.0.0.1:%d" % free_port()  # nothing listens: a connection would fail
    env_file = tmp_path / "wandb.env"
    env_file.write_text("HOST=https://w\nGORILLA_EMAIL_SINK=%s\n" % url)
    result = run(run_module, url, advanced_tls, unchanged_env_file=str(env_file),
                 unchanged_env={"GORILLA_EMAIL_SINK": url})
    assert not result.failed and result["checked"] is False
    env_file.write_text("GORILLA_EMAIL_SINK=smtp://other:1\n")  # a different value is checked
    result = run(run_module, url, advanced_tls, unchanged_env_file=str(env_file),
                 unchanged_env={"GORILLA_EMAIL_SINK": url})
    assert result.failed and "could not connect" in result["msg"]


@pytest.mark.parametrize("url, message", [
    ("http://mail:25", "smtp://[USER:PASSWORD@]HOST:PORT"),
    ("smtp://mail:notaport", "percent-encoded"),
])
def test_bad_urls(run_module, url, message, advanced_tls):
    result = run(run_module, url, advanced_tls)
    assert result.failed and message in result["msg"] and VARIABLE in result["msg"]
