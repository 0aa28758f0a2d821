"""The settings module with the Docker API faked (the real container runs in tests/integration/settings)."""
from __future__ import annotations

import base64
import json
import os
import stat

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils import _wandb_container as wc
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_api import WandbApi
from ansible_collections.wandb_local.server.plugins.modules import settings as settings_module


def b64(doc):
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")


LICENSE = "%s.%s.%s" % (b64({"alg": "RS256"}), b64({"licensee": "unit-test-secret-licensee"}), "c2lnbmF0dXJlLXVuaXQ")


class FakeDocker(object):
    """Just enough of the Docker API for the module: one container, recreation recorded."""

    def __init__(self, env=None, running=True):
        self.attrs = None
        if env is not None:
            self.attrs = {"Id": "f" * 64, "State": {"Running": running},
                          "Config": {"Image": "wandb/local", "Env": ["%s=%s" % kv for kv in env.items()]}}
        self.recreated = []

    def inspect(self, _api, _name):
        return self.attrs

    def recreate(self, _api, name, env, stop_timeout=60):
        self.recreated.append(dict(env))
        self.attrs = dict(self.attrs, Id="e" * 64,
                          Config={"Image": "wandb/local", "Env": ["%s=%s" % kv for kv in env.items()]})
        return self.attrs["Id"]


@pytest.fixture
def docker(monkeypatch):
    fake = FakeDocker()
    monkeypatch.setattr(wc, "HAS_DOCKER", True)
    monkeypatch.setattr(wc, "client", lambda *a, **k: object())
    monkeypatch.setattr(wc, "inspect", fake.inspect)
    monkeypatch.setattr(wc, "recreate_with_env", fake.recreate)
    monkeypatch.setattr(wc, "logs", lambda *a, **k: "log line\n")
    return fake


@pytest.fixture
def env_file(tmp_path):
    path = tmp_path / "wandb-local.env"
    path.write_text("# rendered by the wandb_server role\nHOST=http://127.0.0.1:8080\nMYSQL=mysql://u:dbpass@h/db\n")
    os.chmod(path, 0o600)
    return path


def run(run_module, env_file, check_mode=False, diff=False, **args):
    args.setdefault("env_file", str(env_file))
    return run_module(settings_module, args, check_mode=check_mode, diff=diff)


def test_malformed_license_refused_before_any_change(run_module, docker, env_file):
    before = env_file.read_bytes()
    mtime = os.stat(env_file).st_mtime_ns
    res = run(run_module, env_file, license="not-a-jws", host="https://wandb.example.com")
    assert res.failed
    assert "compact JWS format must have three parts" in res["msg"]
    assert "nothing was changed" in res["msg"]
    assert env_file.read_bytes() == before and os.stat(env_file).st_mtime_ns == mtime
    assert docker.recreated == []


@pytest.mark.parametrize("args, words", [
    (dict(host="https://wandb.example.com/sub"), "host_subpath_allowed"),
    (dict(oidc_issuer="https://idp.example.com"), "go together"),
    (dict(oidc_auth_method="pkce"), "need oidc_issuer"),
    (dict(bucket="s3:///b", bucket_queue="sqs://q"), "needs aws_region"),
    (dict(bucket="gs://b", bucket_queue="pubsub:/p/t/s", aws_region="eu-west-1"), "takes no aws_region"),
    (dict(bucket="az://a/c", bucket_queue="sqs://q"), "needs an az://"),
])
def test_preflight_failures_change_nothing(run_module, docker, env_file, args, words):
    before = env_file.read_bytes()
    res = run(run_module, env_file, **args)
    assert res.failed and words in res["msg"]
    assert env_file.read_bytes() == before


def test_preflight_sees_existing_values(run_module, docker, env_file):
    """Completing an OIDC config across two runs works; removing half of it is refused."""
    assert not run(run_module, env_file, oidc_issuer="https://idp.example.com", oidc_client_id="c").failed
    assert run(run_module, env_file, oidc_auth_method="pkce")["changed"]
    res = run(run_module, env_file, oidc_client_id="")
    assert res.failed and "go together" in res["msg"]


def test_host_subpath_allowed(run_module, docker, env_file):
    res = run(run_module, env_file, host="https://example.com/wandb", host_subpath_allowed=True)
    assert res.changed and "HOST=https://example.com/wandb" in env_file.read_text()


def test_env_file_only_idempotent_masked_and_0600(run_module, docker, env_file):
    res = run(run_module, env_file, diff=True, license=LICENSE, host="https://wandb.example.com",
              slack_client_id="slack-id", slack_secret="unit-slack-secret")
    assert res.changed and res["env_file_changed"] and not res["recreated"]
    assert res["changed_env"] == ["HOST", "LICENSE", "SLACK_CLIENT_ID", "SLACK_SECRET"]
    text = env_file.read_text()
    assert text.startswith("# rendered by the wandb_server role\n")
    assert "LICENSE=%s\n" % LICENSE in text and "SLACK_SECRET=unit-slack-secret\n" in text
    assert "MYSQL=mysql://u:dbpass@h/db" in text
    assert stat.S_IMODE(os.stat(env_file).st_mode) == 0o600
    out = json.dumps(res)
    for secret in (LICENSE, "unit-slack-secret", "dbpass"):
        assert secret not in out
    assert res["settings"]["license"] == "********" and res["settings"]["host"] == "https://wandb.example.com"
    diff = res["diff"][0]
    assert "HOST=http://127.0.0.1:8080" in diff["before"] and "HOST=https://wandb.example.com" in diff["after"]
    assert "LICENSE=********" in diff["after"]

    again = run(run_module, env_file, diff=True, license=LICENSE, host="https://wandb.example.com",
                slack_client_id="slack-id", slack_secret="unit-slack-secret")
    assert not again.changed and again["changed_env"] == []
    assert again["diff"][0]["before"] == again["diff"][0]["after"]


def test_changed_secret_shown_as_changed_never_as_value(run_module, docker, env_file):
    run(run_module, env_file, slack_client_id="id", slack_secret="first-secret")
    res = run(run_module, env_file, diff=True, slack_secret="second-secret")
    assert res.changed
    assert "SLACK_SECRET=******** (changed)" in res["diff"][0]["after"]
    assert "first-secret" not in json.dumps(res) and "second-secret" not in json.dumps(res)


def test_check_mode_writes_nothing(run_module, docker, env_file):
    docker.attrs = FakeDocker({"HOST": "http://127.0.0.1:8080", "PATH": "/bin"}).attrs
    before = env_file.read_bytes()
    res = run(run_module, env_file, check_mode=True, diff=True, host="https://wandb.example.com")
    assert res.changed and res["recreated"]
    assert env_file.read_bytes() == before
    assert docker.recreated == []
    assert "HOST=https://wandb.example.com" in res["diff"][1]["after"]  # container environment diff


def test_gorilla_style_removes_classic_spelling(run_module, docker, env_file):
    res = run(run_module, env_file, env_style="gorilla", host="https://wandb.example.com", license=LICENSE)
    assert res.changed
    env = env_file.read_text()
    assert "GORILLA_FRONTEND_HOST=https://wandb.example.com" in env and "\nHOST=" not in env
    assert "GORILLA_LICENSE=" in env
    back = run(run_module, env_file, env_style="classic", host="https://wandb.example.com")
    assert back.changed and back["changed_env"] == ["GORILLA_FRONTEND_HOST", "HOST"]
    assert "GORILLA_FRONTEND_HOST" not in env_file.read_text()


def test_empty_and_false_remove(run_module, docker, env_file):
    run(run_module, env_file, local_restore=True, logging_enabled=True)
    assert "LOCAL_RESTORE=true" in env_file.read_text()
    res = run(run_module, env_file, local_restore=False, host="")
    assert res.changed and set(res["changed_env"]) == {"LOCAL_RESTORE", "HOST"}
    text = env_file.read_text()
    assert "LOCAL_RESTORE" not in text and "HOST" not in text and "LOGGING_ENABLED=true" in text


def test_recreates_once_and_waits_ready(run_module, docker, env_file, monkeypatch):
    docker.attrs = FakeDocker({"HOST": "http://127.0.0.1:8080", "PATH": "/usr/bin"}).attrs
    waits = []
    monkeypatch.setattr(WandbApi, "wait_ready", lambda self, timeout, interval=2.0: waits.append(timeout) or 1.5)
    res = run(run_module, env_file, host="https://wandb.example.com", ready_timeout=42)
    assert res.changed and res["recreated"] and res["ready_after"] == 1.5
    assert docker.recreated == [{"HOST": "https://wandb.example.com", "PATH": "/usr/bin"}]
    assert waits == [42]
    assert res["container"]["id"] == "e" * 64
    again = run(run_module, env_file, host="https://wandb.example.com")
    assert not again.changed and len(docker.recreated) == 1


def test_recreate_false_writes_only_the_file(run_module, docker, env_file):
    docker.attrs = FakeDocker({"HOST": "http://127.0.0.1:8080"}).attrs
    res = run(run_module, env_file, host="https://wandb.example.com", recreate=False)
    assert res.changed and not res["recreated"] and docker.recreated == []


def test_container_differs_from_file_is_recreated(run_module, docker, env_file, monkeypatch):
    """The file already holds the value but the container runs an older env: recreate, file untouched."""
    docker.attrs = FakeDocker({"HOST": "http://old:8080"}).attrs
    monkeypatch.setattr(WandbApi, "wait_ready", lambda self, timeout, interval=2.0: 0.1)
    res = run(run_module, env_file, host="http://127.0.0.1:8080")
    assert res.changed and res["recreated"] and not res["env_file_changed"]


def test_ready_timeout_fails_with_log_tail(run_module, docker, env_file, monkeypatch):
    docker.attrs = FakeDocker({"HOST": "http://127.0.0.1:8080"}).attrs
    from ansible_collections.wandb_local.server.plugins.module_utils._wandb_api import WandbApiError

    def never(self, timeout, interval=2.0):
        raise WandbApiError("http://127.0.0.1:8080/ready did not answer 200 within %ss" % timeout)

    monkeypatch.setattr(WandbApi, "wait_ready", never)
    res = run(run_module, env_file, host="https://wandb.example.com", ready_timeout=1)
    assert res.failed and "did not answer 200 within 1s" in res["msg"] and "log line" in res["msg"]


def test_nothing_given_is_not_changed(run_module, docker, env_file):
    res = run(run_module, env_file)
    assert not res.changed and not res.failed


def test_missing_env_file_is_created_0600(run_module, docker, tmp_path):
    path = tmp_path / "new.env"
    res = run(run_module, path, host="http://127.0.0.1:8080")
    assert res.changed
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_api_key_file_must_exist(run_module, docker, env_file, tmp_path):
    res = run(run_module, env_file, host="http://x:1", api_key_file=str(tmp_path / "nope"))
    assert res.failed and "cannot read api_key_file" in res["msg"]
