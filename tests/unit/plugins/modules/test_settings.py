"""The settings module with the Docker API faked (the real container runs in tests/integration/settings). The module
writes the env file and reads the container; it never changes the container (the wandb_server role does)."""
from __future__ import annotations

import base64
import json
import os
import stat

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils import _wandb_container as wc
from ansible_collections.wandb_local.server.plugins.modules import settings as settings_module


def b64(doc):
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")


LICENSE = "%s.%s.%s" % (b64({"alg": "RS256"}), b64({"licensee": "unit-test-secret-licensee"}), "c2lnbmF0dXJlLXVuaXQ")


class FakeDocker(object):
    """Just enough of the Docker API for the module: one container and its image, read only. Any other call of the
    API (stop, create, rename, remove...) is recorded in `writes` and fails the module run."""

    def __init__(self, env=None, running=True, image_env=("PATH=/usr/bin",)):
        self.attrs = None
        if env is not None:
            self.attrs = {"Id": "f" * 64, "Image": "sha256:img", "State": {"Running": running},
                          "Config": {"Image": "wandb/local", "Env": ["%s=%s" % kv for kv in env.items()]}}
        self.image = None if image_env is None else {"Id": "sha256:img", "Config": {"Env": list(image_env)}}
        self.writes = []

    def inspect(self, _api, _name):
        return self.attrs

    def inspect_image(self, name):
        if self.image is None:
            raise wc.NotFound("no such image: %s" % name)
        return self.image

    def __getattr__(self, name):
        self.writes.append(name)
        raise AssertionError("the settings module called the Docker API's %s" % name)


@pytest.fixture
def docker(monkeypatch):
    fake = FakeDocker()
    monkeypatch.setattr(wc, "HAS_DOCKER", True)
    monkeypatch.setattr(wc, "client", lambda *a, **k: fake)
    monkeypatch.setattr(wc, "inspect", fake.inspect)
    return fake


def use_container(docker, env, **kw):
    fresh = FakeDocker(env, **kw)
    docker.attrs, docker.image = fresh.attrs, fresh.image


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
    assert docker.writes == []


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
    assert res.changed and res["env_file_changed"] and not res["restart_required"]  # no container
    assert res["pending_env"] == [] and res["container"]["id"] is None
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
    use_container(docker, {"HOST": "http://127.0.0.1:8080", "MYSQL": "mysql://u:dbpass@h/db", "PATH": "/usr/bin"})
    before = env_file.read_bytes()
    res = run(run_module, env_file, check_mode=True, diff=True, host="https://wandb.example.com")
    assert res.changed and res["env_file_changed"] and res["changed_env"] == ["HOST"]
    assert res["restart_required"] and res["pending_env"] == ["HOST"]  # as the file would be
    assert env_file.read_bytes() == before
    assert docker.writes == []
    assert len(res["diff"]) == 1 and "HOST=https://wandb.example.com" in res["diff"][0]["after"]


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


def test_reports_restart_required_and_never_touches_the_container(run_module, docker, env_file):
    """The file is written; the container keeps running with its old environment until the wandb_server role
    applies the file (tasks_from apply_env), so every run says a restart is required until then."""
    use_container(docker, {"HOST": "http://127.0.0.1:8080", "MYSQL": "mysql://u:dbpass@h/db", "PATH": "/usr/bin"})
    res = run(run_module, env_file, host="https://wandb.example.com")
    assert res.changed and res["env_file_changed"] and res["changed_env"] == ["HOST"]
    assert res["restart_required"] and res["pending_env"] == ["HOST"]
    assert res["container"] == {"name": "wandb-local", "id": "f" * 64, "running": True}
    assert docker.writes == []
    for gone in ("recreated", "ready_after", "viewer"):
        assert gone not in res
    again = run(run_module, env_file, host="https://wandb.example.com")
    assert not again.changed and again["restart_required"] and again["pending_env"] == ["HOST"]


def test_container_differs_from_file_is_reported_not_changed(run_module, docker, env_file):
    """The file already holds the value but the container runs an older env: nothing to write, a restart pending."""
    use_container(docker, {"HOST": "http://old:8080", "MYSQL": "mysql://u:dbpass@h/db"}, image_env=())
    res = run(run_module, env_file, host="http://127.0.0.1:8080")
    assert not res.changed and not res["env_file_changed"]
    assert res["restart_required"] and res["pending_env"] == ["HOST"]


def test_container_in_step_with_the_file(run_module, docker, env_file):
    """The image's own variables (PATH) are not a difference; a variable only the container has is."""
    use_container(docker, {"HOST": "http://127.0.0.1:8080", "MYSQL": "mysql://u:dbpass@h/db", "PATH": "/usr/bin"})
    res = run(run_module, env_file)
    assert not res.changed and not res["restart_required"] and res["pending_env"] == []
    use_container(docker, {"HOST": "http://127.0.0.1:8080", "MYSQL": "mysql://u:dbpass@h/db", "PATH": "/usr/bin",
                           "LOCAL_RESTORE": "true"})
    res = run(run_module, env_file)
    assert res["restart_required"] and res["pending_env"] == ["LOCAL_RESTORE"]
    # The image cannot be read: a variable only the container has may be the image's, so it is not counted.
    use_container(docker, {"HOST": "http://127.0.0.1:8080", "MYSQL": "mysql://u:dbpass@h/db", "PATH": "/usr/bin"},
                  image_env=None)
    assert not run(run_module, env_file)["restart_required"]


@pytest.mark.parametrize("option", [dict(recreate=False), dict(stop_timeout=10), dict(ready_timeout=60)])
def test_recreation_options_are_gone(run_module, docker, env_file, option):
    res = run(run_module, env_file, host="https://wandb.example.com", **option)
    assert res.failed and "Unsupported parameters" in res["msg"] and list(option)[0] in res["msg"]
    assert "HOST=https://wandb.example.com" not in env_file.read_text()


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
