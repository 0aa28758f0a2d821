"""The one secret rule (_wandb_settings.is_secret) and every place that must apply it the same way."""
from __future__ import annotations

import pytest

from ansible_collections.wandb_local.server.plugins.filter.server_env import split_secret_env
from ansible_collections.wandb_local.server.plugins.module_utils import _env_file as ef
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_settings import (
    MASK,
    is_secret,
    mask_env,
    mask_settings,
)

# Credentials in URLs, the hard ones included: "/" and "@" in the password, a user name only, a query parameter.
CREDENTIALED = [
    ("BUCKET", "s3://AKIAEXAMPLE:se/cr@et+x@minio.internal:9000/wandb-files"),
    ("BUCKET", "s3://KEY:SECRET@minio:9000/bucket"),
    ("MYSQL", "mysql://wandb:p@ss/w:rd@db:3306/wandb"),
    ("REDIS", "redis://:pw@redis:6379?tls=true"),
    ("GORILLA_EMAIL_SINK", "smtp://mailer:p%2Fw@mail.internal:587"),
    ("GORILLA_LDAP_ADDRESS", "ldaps://cn=admin,dc=x:pw@ldap.internal:636"),
    ("SOME_URL", "https://user@example.com/path"),
    ("SOME_URL", "redis://cache:6379/0?password=hunter2"),
    ("CUSTOM_CA", "-----BEGIN PRIVATE KEY-----\\nMIIB..."),
]
SECRET_BY_NAME = ["LICENSE", "GORILLA_LICENSE", "OIDC_SECRET", "GORILLA_OIDC_SECRET", "SLACK_SECRET", "REDIS",
                  "MYSQL", "AZURE_STORAGE_KEY", "GLOBAL_ADMIN_API_KEY", "MY_SERVICE_TOKEN", "AWS_SECRET_ACCESS_KEY",
                  "GORILLA_LDAP_BIND_PASSWORD", "SMTP_PASS", "LDAP_BIND_PW", "SENTRY_DSN"]
PLAIN = [("GORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS", "true"), ("HOST", "https://wandb.example.net:443"),
         ("BUCKET", "s3://wandb-files"), ("BUCKET_QUEUE", "sqs://wandb-events"), ("AWS_REGION", "eu-west-1"),
         ("OIDC_ISSUER", "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc"), ("AWS_S3_KMS_ID", "arn:x"),
         ("LOGGING_ENABLED", "true"), ("AZURE_STORAGE_ACCOUNT", "wandbfiles"), ("STANDIN_STARTUP_SECONDS", "1")]


@pytest.mark.parametrize("name,value", CREDENTIALED)
def test_a_value_with_credentials_is_secret_whatever_its_name(name, value):
    assert is_secret(name, value)


@pytest.mark.parametrize("name", SECRET_BY_NAME)
def test_secret_names_are_secret_whatever_their_value(name):
    assert is_secret(name) and is_secret(name, "plain-looking")


@pytest.mark.parametrize("name,value", PLAIN)
def test_plain_values_stay_visible(name, value):
    assert not is_secret(name, value)


def test_the_filter_the_env_file_diff_and_the_settings_reads_agree():
    env = dict(CREDENTIALED[:6])
    env.update(dict(PLAIN))
    env.update({name: "v-" + name for name in SECRET_BY_NAME})
    split = split_secret_env(env)
    masked = mask_env(env)
    _before, after = ef.masked_diff({}, env)
    for name, value in env.items():
        secret = is_secret(name, value)
        assert (name in split["secret"]) == secret
        assert (masked[name] == MASK) == secret
        assert (("%s=%s\n" % (name, value)) not in after + "\n") == secret, name
    settings = mask_settings({"bucket": CREDENTIALED[0][1], "host": "https://w", "license": "a.b.c",
                              "redis": "", "aws_region": "eu-west-1"})
    assert settings == {"bucket": MASK, "host": "https://w", "license": MASK, "redis": "", "aws_region": "eu-west-1"}


def test_a_credentialed_value_that_changes_is_masked_on_both_sides():
    before, after = ef.masked_diff({"BUCKET": "s3://A:old/pw@m:9000/b"}, {"BUCKET": "s3://A:new@pw@m:9000/b"})
    assert "old/pw" not in before and "new@pw" not in after
    assert "BUCKET=%s (changed)" % MASK in after


def test_one_redactor_for_error_messages_and_log_lines():
    from ansible_collections.wandb_local.server.plugins.module_utils._wandb_settings import redactor

    redact = redactor({"LICENSE": "eyJ.payloadsecret.sig", "HOST": "https://w.example.com"})
    text = redact("bad eyJ.payloadsecret.sig; smtp://mailer:p/w@mail:587 at https://w.example.com")
    assert "payloadsecret" not in text and "p/w" not in text
    assert "smtp://%s@mail:587" % MASK in text and "https://w.example.com" in text
