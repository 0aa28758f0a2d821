"""site.yml end to end on this host: the docker_host and wandb_server roles against the stand-in image."""
from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import urllib.request
import uuid

import pytest

from support.playbooks import REPO, recap, strategy_env
from support.procs import BackgroundProcess, free_port

SITE = REPO / "playbooks" / "site.yml"
SECRETS = {
    "wandb_server_license": "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.cGF5bG9hZA.c2lnbmF0dXJlX3NlY3JldA",
    "wandb_server_mysql": "mysql://wandb:Mysql-Pa55word@db.internal:3306/wandb_local",
    "wandb_server_oidc_secret": "oidc-client-secret-value-42",
    "wandb_server_slack_secret": "slack-secret-value-42",
    "wandb_server_redis": "redis://:Redis-Pa55word@cache.internal:6379?tls=true",
    "wandb_server_azure_storage_key": "QXp1cmVTdG9yYWdlS2V5U2VjcmV0VmFsdWU=",
    "wandb_server_admin_api_key": "local-" + "ab12" * 10,
}


# A license shaped like W&B's: a compact JWS whose header names its algorithm.
GORILLA_TEST_LICENSE = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.Z29yaWxsYQ.c2lnbmF0dXJl"


def container_env(docker_client, name):
    return dict(item.split("=", 1) for item in docker_client.containers.get(name).attrs["Config"]["Env"])


@pytest.mark.parametrize("strategy", ["linear", "mitogen_linear"])
def test_site_converges_is_idempotent_and_never_prints_secrets(strategy, instance, docker_client, playbook):
    env = strategy_env(strategy)
    extra = dict(instance.vars, **SECRETS)
    extra.update(wandb_server_admin_api_enabled=True, wandb_server_oidc_issuer="https://idp.example.com",
                 wandb_server_oidc_client_id="client-1", wandb_server_oidc_auth_method="pkce",
                 wandb_server_slack_client_id="slack-1", wandb_server_bucket="s3://my-bucket",
                 wandb_server_aws_region="eu-west-1", wandb_server_bucket_queue="sqs://my-queue")
    first = playbook(SITE, extra, "-vvv", "--diff", env=env)
    assert first.returncode == 0, first.stdout[-4000:]
    assert recap(first.stdout)["failed"] == 0
    # Ansible's own local connection logs every module run; Mitogen's runs them in its kept interpreter.
    assert ("ESTABLISH LOCAL CONNECTION" in first.stdout) == (strategy == "linear"), "not run by %s" % strategy
    for name, value in SECRETS.items():
        assert value not in first.stdout, "%s leaked into -vvv --diff output" % name

    env = container_env(docker_client, instance.name)
    assert env["HOST"] == instance.vars["wandb_server_host"]
    assert env["LICENSE"] == SECRETS["wandb_server_license"]
    assert env["MYSQL"] == SECRETS["wandb_server_mysql"]
    assert env["OIDC_AUTH_METHOD"] == "pkce"
    assert env["BUCKET"] == "s3://my-bucket" and env["BUCKET_QUEUE"] == "sqs://my-queue"
    assert env["GLOBAL_ADMIN_API_KEY"] == SECRETS["wandb_server_admin_api_key"]
    assert "LOCAL_RESTORE" not in env and "NOTIFICATIONS_QUEUE" not in env  # unset: not passed

    for path in (instance.env_file, instance.config_dir / "admin-api-key"):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(instance.config_dir).st_mode) == 0o700

    second = playbook(SITE, extra, "-vvv", "--diff", env=env)
    assert second.returncode == 0, second.stdout[-4000:]
    assert recap(second.stdout)["changed"] == 0
    for value in SECRETS.values():
        assert value not in second.stdout


def test_gorilla_spelling_and_generated_admin_key_is_kept(instance, docker_client, playbook):
    extra = dict(instance.vars, wandb_server_env_style="gorilla", wandb_server_admin_api_enabled=True,
                 wandb_server_license=GORILLA_TEST_LICENSE)
    assert playbook(SITE, extra).returncode == 0
    env = container_env(docker_client, instance.name)
    assert env["GORILLA_FRONTEND_HOST"] == instance.vars["wandb_server_host"]
    assert env["GORILLA_LICENSE"] == GORILLA_TEST_LICENSE and "LICENSE" not in env and "HOST" not in env
    key = (instance.config_dir / "admin-api-key").read_text().strip()
    assert key.startswith("local-") and len(key) == 46
    assert env["GLOBAL_ADMIN_API_KEY"] == key
    again = playbook(SITE, extra)
    assert recap(again.stdout)["changed"] == 0
    assert (instance.config_dir / "admin-api-key").read_text().strip() == key

    request = urllib.request.Request(
        instance.base_url + "/graphql", data=json.dumps({"query": "query { viewer { username } }"}).encode(),
        headers={"Content-Type": "application/json",
                 "Authorization": "Basic " + base64.b64encode(("api:" + key).encode()).decode()})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["data"]["viewer"] is not None


def test_local_restore_is_announced_and_turned_off_again(instance, docker_client, playbook):
    on = playbook(SITE, dict(instance.vars, wandb_server_local_restore=True))
    assert on.returncode == 0, on.stdout[-3000:]
    assert "LOCAL_RESTORE is on" in on.stdout and "docker logs %s" % instance.name in on.stdout
    assert container_env(docker_client, instance.name)["LOCAL_RESTORE"] == "true"
    off = playbook(SITE, dict(instance.vars, wandb_server_local_restore=False))
    assert off.returncode == 0
    assert "LOCAL_RESTORE" not in container_env(docker_client, instance.name)


@pytest.mark.parametrize("override, variable", [
    ({"wandb_server_port": "eighty"}, "wandb_server_port"),
    ({"wandb_server_oidc_auth_method": "magic"}, "wandb_server_oidc_auth_method"),
    ({"wandb_server_port": 70000}, "wandb_server_port"),
    ({"wandb_server_host": "ftp://wandb.example.com"}, "wandb_server_host"),
    ({"wandb_server_host": "wandb.example.com"}, "wandb_server_host"),
    ({"wandb_server_license": "not-a-license"}, "wandb_server_license"),
    ({"wandb_server_oidc_issuer": "https://idp.example.com"}, "wandb_server_oidc_client_id"),
    ({"wandb_server_local_restore": "perhaps"}, "wandb_server_local_restore"),
])
def test_bad_input_fails_before_any_change(instance, docker_client, override, variable, playbook):
    result = playbook(SITE, dict(instance.vars, **override))
    assert result.returncode != 0
    assert variable in result.stdout, result.stdout[-3000:]
    assert recap(result.stdout)["changed"] == 0
    assert not instance.config_dir.exists()
    assert not docker_client.containers.list(all=True, filters={"name": instance.name})


def test_never_ready_fails_with_the_containers_last_log_lines(instance, playbook):
    extra = dict(instance.vars, wandb_server_health_timeout=4,
                 wandb_server_extra_env={"STANDIN_FAIL_READY": "true"})
    result = playbook(SITE, extra)
    assert result.returncode != 0
    assert "did not become ready" in result.stdout
    assert "Last " in result.stdout and "log lines" in result.stdout
    assert "STANDIN_FAIL_READY" in result.stdout  # the stand-in's own log line explaining why


def test_wandb_sdk_logs_in_to_the_deployed_server(instance, tmp_path, playbook):
    key = "local-" + "cd34" * 10
    extra = dict(instance.vars, wandb_server_admin_api_enabled=True, wandb_server_admin_api_key=key)
    assert playbook(SITE, extra).returncode == 0
    home = tmp_path / "home"
    home.mkdir()
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("WANDB_"))
    env.update(HOME=str(home), WANDB_CONFIG_DIR=str(home / ".config" / "wandb"), NETRC=str(home / ".netrc"),
               NO_PROXY="127.0.0.1,localhost")
    wandb_cli = os.path.join(os.path.dirname(os.path.realpath(os.sys.executable)), "wandb")
    if not os.path.exists(wandb_cli):
        wandb_cli = "wandb"
    result = subprocess.run([wandb_cli, "login", "--host", instance.base_url, key], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "127.0.0.1:%d" % instance.port in (home / ".netrc").read_text()
    wrong = subprocess.run([wandb_cli, "login", "--relogin", "--host", instance.base_url, "local-" + "0" * 40],
                           env=env, capture_output=True, text=True, timeout=120, check=False)
    assert wrong.returncode != 0


def test_check_mode_predicts_without_changing_anything(instance, docker_client, playbook):
    # The Slack secret only goes with its client id (preflight).
    extra = dict(instance.vars, wandb_server_admin_api_enabled=True, wandb_server_slack_client_id="slack-1", **SECRETS)
    fresh = playbook(SITE, extra, "--check", "--diff")
    assert fresh.returncode == 0, fresh.stdout[-3000:]
    assert recap(fresh.stdout)["changed"] > 0
    assert "would be recreated" in fresh.stdout
    assert not instance.config_dir.exists()
    assert not docker_client.containers.list(all=True, filters={"name": instance.name})
    for value in SECRETS.values():
        assert value not in fresh.stdout

    assert playbook(SITE, extra).returncode == 0
    converged = playbook(SITE, extra, "--check", "--diff")
    assert converged.returncode == 0
    assert recap(converged.stdout)["changed"] == 0


def test_a_host_without_the_docker_sdk_is_found_by_the_servers_check_and_docker_host_says_what_to_fix(
        instance, docker_client, tmp_path, playbook):
    # site.yml lets the server's state check look for the engine and the SDK (one module run on a ready host); an
    # interpreter without the SDK must still reach the docker_host role, which says what to fix before any container.
    python = tmp_path / "bare" / "bin" / "python"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True, timeout=120)
    result = playbook(SITE, dict(instance.vars, ansible_python_interpreter=str(python)))
    assert result.returncode != 0
    assert "Prepare the Docker host (the Python Docker SDK cannot be imported by %s)" % python in result.stdout
    assert "cannot import the Python Docker SDK" in result.stdout and "is not the system Python" in result.stdout
    assert not docker_client.containers.list(all=True, filters={"name": instance.name})


def test_a_ready_host_costs_one_module_run_for_the_engine_and_the_server(instance, playbook):
    assert playbook(SITE, instance.vars).returncode == 0
    again = playbook(SITE, instance.vars, "-v")
    assert recap(again.stdout)["changed"] == 0
    assert "Look for a running Docker Engine" not in again.stdout  # docker_host's own check: not needed
    assert "Check whether the server is exactly as wanted" in again.stdout


def test_redis_is_pinged_by_the_servers_own_check_before_anything_of_it_changes(
        instance, docker_client, tmp_path, playbook):
    # site.yml hands the redis role's PING to the server's state check (redis_check_by_server): still before the
    # server is touched, with the same message, and no module run of its own on a no-change run.
    port, password = free_port(), "Redis-" + uuid.uuid4().hex
    conf = tmp_path / "redis.conf"
    conf.write_text('bind 127.0.0.1\nport %d\nsave ""\nappendonly no\ndir %s\nrequirepass "%s"\n'
                    % (port, tmp_path, password))
    conf.chmod(0o600)
    redis = BackgroundProcess(["redis-server", conf], tmp_path / "redis.log", seconds=600, ready_ports=(port,))
    redis.start()
    try:
        redis.wait_ready(20)
        extra = dict(instance.vars, redis_host="127.0.0.1", redis_port=port, redis_password="Wrong-" + password)
        refused = playbook(SITE, extra)
        assert refused.returncode != 0
        failed_task = refused.stdout.rsplit("TASK [", 1)[1].split("]", 1)[0]
        assert "Check whether the server is exactly as wanted" in failed_task, refused.stdout[-3000:]
        assert "refused the password for the default user (WRONGPASS)" in refused.stdout
        assert password not in refused.stdout
        assert not instance.config_dir.exists()
        assert not docker_client.containers.list(all=True, filters={"name": instance.name})

        extra["redis_password"] = password
        first = playbook(SITE, extra)
        assert first.returncode == 0, first.stdout[-4000:]
        assert container_env(docker_client, instance.name)["REDIS"] == "redis://:%s@127.0.0.1:%d" % (password, port)
        again = playbook(SITE, extra)
        assert again.returncode == 0 and recap(again.stdout)["changed"] == 0, again.stdout[-4000:]
        ping = again.stdout.split("PING Redis with the credentials", 1)[1].split("TASK [", 1)[0]
        assert "skipping:" in ping and "ok:" not in ping
        assert password not in first.stdout + again.stdout
    finally:
        redis.stop()
