"""Tags select what a site.yml run changes, and never drop the settings of the parts left alone (the server's env
file keeps the variables of an integration the inventory enables but a run leaves out): one instance with AWS
storage (moto) and Slack on the stand-in server."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid

import docker
import pytest

from support.playbooks import REPO, run_playbook
from support.procs import free_port

SITE = REPO / "playbooks" / "site.yml"
IMAGE = "wandb-local-test/standin:latest"


@pytest.fixture(scope="module")
def instance(tmp_path_factory, moto_endpoint, docker_client):
    subprocess.run(["bash", str(REPO / "tests/fixtures/standin/build.sh"), IMAGE], check=True, capture_output=True,
                   timeout=600)
    root = tmp_path_factory.mktemp("tags")
    suffix = uuid.uuid4().hex[:6]
    port = free_port()
    name = "wandb-tags-" + suffix
    host_vars = {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "wandb_server_image": IMAGE.split(":", maxsplit=1)[0], "wandb_server_image_pull": "never",
        "wandb_server_container_name": name, "wandb_server_data_volume": name,
        "wandb_server_bind_address": "127.0.0.1", "wandb_server_port": port,
        "wandb_server_host": "http://127.0.0.1:%d" % port, "wandb_server_config_dir": str(root / "etc"),
        "wandb_server_health_delay": 1, "wandb_server_health_timeout": 60,
        "wandb_server_extra_env": {"STANDIN_STARTUP_SECONDS": "1"},
        "storage_provider": "aws", "storage_bucket": "wandb-tags-" + suffix, "storage_queue": "wandb-tags-" + suffix,
        "storage_aws_region": "us-east-1", "storage_aws_endpoint_url": moto_endpoint,
        "slack_client_id": "1111.2222", "slack_client_secret": "slack-" + uuid.uuid4().hex,
    }
    inventory = root / "inventory.json"

    def write(**changes):
        host_vars.update(changes)
        inventory.write_text(json.dumps({"all": {"children": {"wandb_servers": {"hosts": {"tags1": host_vars}}}}}))

    def run(*options):
        return run_playbook(SITE, None, "-i", str(inventory), *options, local=False, verbose=False, diff=False,
                            timeout=600, env={"ANSIBLE_STDOUT_CALLBACK": "default"})

    write()
    first = run()
    assert first.returncode == 0, first.stdout[-4000:]
    yield dict(run=run, write=write, vars=host_vars, name=name)
    for collection in (docker_client.containers, docker_client.volumes):
        try:
            collection.get(name).remove(force=True)
        except docker.errors.NotFound:
            pass


def env_of(docker_client, name):
    container = docker_client.containers.get(name)
    return dict(item.split("=", 1) for item in container.attrs["Config"]["Env"]), container.attrs["State"]["StartedAt"]


def test_settings_tag_changes_the_server_and_keeps_storage_and_slack(instance, docker_client, boto):
    bucket = instance["vars"]["storage_bucket"]
    boto("s3").delete_bucket_cors(Bucket=bucket)  # drift the tagged run must not repair
    instance["write"](wandb_server_logging_enabled=True)
    result = instance["run"]("--tags", "settings")
    assert result.returncode == 0, result.stdout[-4000:]
    env, _started = env_of(docker_client, instance["name"])
    assert env["LOGGING_ENABLED"] == "true"
    assert env["BUCKET"] == "s3://" + bucket and env["BUCKET_QUEUE"] == "sqs://" + bucket
    assert env["SLACK_CLIENT_ID"] == "1111.2222"
    with pytest.raises(boto("s3").exceptions.ClientError, match="NoSuchCORSConfiguration"):
        boto("s3").get_bucket_cors(Bucket=bucket)


def test_storage_tag_repairs_storage_without_restarting_an_unchanged_server(instance, docker_client, boto):
    _env, started = env_of(docker_client, instance["name"])
    result = instance["run"]("--tags", "storage")
    assert result.returncode == 0, result.stdout[-4000:]
    rules = boto("s3").get_bucket_cors(Bucket=instance["vars"]["storage_bucket"])["CORSRules"]
    assert any("PUT" in rule["AllowedMethods"] for rule in rules)
    _env, started_after = env_of(docker_client, instance["name"])
    assert started_after == started


def test_slack_tag_applies_new_slack_settings_to_the_server(instance, docker_client):
    instance["write"](slack_client_id="3333.4444")
    result = instance["run"]("--tags", "slack")
    assert result.returncode == 0, result.stdout[-4000:]
    env, _started = env_of(docker_client, instance["name"])
    assert env["SLACK_CLIENT_ID"] == "3333.4444" and env["BUCKET"].startswith("s3://")


def test_left_out_integrations_keep_their_settings(instance, docker_client):
    """--tags server and --skip-tags slack do not run the slack role: its variables stay as the env file has them,
    even though the inventory changed them; the run changes nothing."""
    env_before, started = env_of(docker_client, instance["name"])
    instance["write"](slack_client_id="5555.6666")
    try:
        for options in (("--tags", "server"), ("--skip-tags", "slack")):
            result = instance["run"](*options)
            assert result.returncode == 0, result.stdout[-4000:]
            assert "Publish slack_server_settings" not in result.stdout
            assert result.recap()["changed"] == 0, result.stdout[-4000:]
            assert env_of(docker_client, instance["name"]) == (env_before, started)
    finally:
        instance["write"](slack_client_id="3333.4444")


def test_an_integration_the_inventory_disables_is_dropped(instance, docker_client):
    instance["write"](slack_client_id="")
    try:
        result = instance["run"]("--tags", "settings")
        assert result.returncode == 0, result.stdout[-4000:]
        env, _started = env_of(docker_client, instance["name"])
        assert "SLACK_CLIENT_ID" not in env and "SLACK_SECRET" not in env and env["BUCKET"].startswith("s3://")
    finally:
        instance["write"](slack_client_id="3333.4444")
    result = instance["run"]("--tags", "slack")
    assert result.returncode == 0, result.stdout[-4000:]
    assert env_of(docker_client, instance["name"])[0]["SLACK_CLIENT_ID"] == "3333.4444"


def test_an_unknown_tag_fails_before_any_change_naming_the_known_ones(instance):
    result = instance["run"]("--tags", "bogus")
    assert result.returncode != 0
    assert "site.yml has no part tagged bogus" in result.stdout and "storage" in result.stdout, result.stdout[-4000:]
    assert result.recap()["changed"] == 0


PARTS_TASK = "TASK [Prepare the Docker host, then the integrations"


def parts_included(stdout):
    """The roles site.yml's parts loop before the server included, in order."""
    section = stdout.split(PARTS_TASK, 1)[1].split("\nTASK [", 1)[0]
    return re.findall(r"included: wandb_local\.server\.(\w+) for", section)


@pytest.mark.parametrize("options, parts", [
    ((), ["storage", "slack"]),
    (("--tags", "tagged"), ["storage", "slack"]),
    (("--tags", "slack,storage"), ["storage", "slack"]),
    (("--skip-tags", "storage"), ["slack"]),
    (("--tags", "settings"), []),
    # The server's own check looks for the engine and the SDK when the server runs; alone, the part runs.
    (("--tags", "server"), []),
    (("--tags", "docker_host"), ["docker_host"]),
    (("--tags", "docker_host", "--skip-tags", "server"), []),
], ids=lambda value: " ".join(value) if isinstance(value, tuple) else None)
def test_tags_select_the_parts_as_ansible_selects_tasks(instance, options, parts):
    """site.yml includes only the parts the inventory enables and the tags select (one looped include): what a task
    tagged with the part's name would do under the same --tags and --skip-tags. In check mode: nothing changes."""
    result = instance["run"]("--check", *options)
    assert result.returncode == 0, result.stdout[-4000:]
    assert parts_included(result.stdout) == parts, result.stdout[-4000:]


def test_skip_tags_server_leaves_the_server_alone(instance, docker_client):
    env_before, started = env_of(docker_client, instance["name"])
    instance["write"](wandb_server_logging_enabled=False)
    result = instance["run"]("--skip-tags", "server")
    assert result.returncode == 0, result.stdout[-4000:]
    env_after, started_after = env_of(docker_client, instance["name"])
    assert (env_after, started_after) == (env_before, started)


def test_full_run_then_changes_nothing(instance):
    assert instance["run"]().returncode == 0
    result = instance["run"]()
    assert result.returncode == 0 and result.recap()["changed"] == 0, result.stdout[-4000:]


def test_check_mode_with_a_network_not_created_yet_predicts_the_recreation(instance, docker_client):
    network = "wandb-tags-net-" + uuid.uuid4().hex[:6]
    instance["write"](wandb_server_networks=[{"name": network}])
    try:
        result = instance["run"]("--check")
        assert result.returncode == 0, result.stdout[-4000:]
        assert "would be recreated" in result.stdout
        assert not docker_client.networks.list(names=[network])
    finally:
        instance["write"](wandb_server_networks=[])
