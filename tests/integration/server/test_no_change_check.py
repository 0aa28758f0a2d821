"""A no-change site.yml run is one read-only check of the server (server_state), and every drift that check sees is
repaired by the next run's converge path: the env file edited by hand or its mode widened, a CA file changed, the
container stopped, removed, recreated by hand or updated in place, the image tag moved (an upgrade), /ready failing
(reported as today). One instance of the stand-in server with the admin API on, a bind-mounted /vol and a custom CA,
on a tag of its own (another session rebuilding the shared stand-in cannot move it)."""
from __future__ import annotations

import io
import json
import re
import sys
import tarfile
import uuid

import docker
import pytest

from support.playbooks import REPO, run_playbook
from support.procs import free_port
from support.tls import make_tls

SITE = REPO / "playbooks" / "site.yml"
CHECK = "Check whether the server is exactly as wanted (read only)"
# Tasks of the converge path: none runs when nothing differs.
CONVERGE = ("Take this instance's lock", "Write the server's env file", "Create, update or start the container",
            "Wait for http://", "Create the configuration directory", "Record this converge")


@pytest.fixture(scope="module")
def server(tmp_path_factory, standin_image, docker_client):
    root = tmp_path_factory.mktemp("nochange")
    suffix = uuid.uuid4().hex[:8]
    name = "wandb-nochange-" + suffix
    tag = "nochange-" + suffix
    image = docker_client.images.get(standin_image + ":latest")
    image.tag(standin_image, tag)
    tls = make_tls(root, "No-change test CA")
    port = free_port()
    data = root / "vol"
    host_vars = {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "wandb_server_image": standin_image, "wandb_server_image_tag": tag, "wandb_server_image_pull": "never",
        "wandb_server_container_name": name, "wandb_server_data_volume": str(data),
        "wandb_server_bind_address": "127.0.0.1", "wandb_server_port": port,
        "wandb_server_host": "http://127.0.0.1:%d" % port, "wandb_server_config_dir": str(root / "etc"),
        "wandb_server_backup_dir": str(root / "backups"),
        "wandb_server_health_delay": 1, "wandb_server_health_timeout": 60,
        "wandb_server_extra_env": {"STANDIN_STARTUP_SECONDS": "1"},
        "wandb_server_admin_api_enabled": True,
        "wandb_server_ca_certificates": [tls["ca"].read_text()],
    }
    inventory = root / "inventory.json"
    inventory.write_text(json.dumps({"all": {"children": {"wandb_servers": {"hosts": {"nochange1": host_vars}}}}}))

    def run(*options, vars_=None):
        return run_playbook(SITE, vars_, "-i", str(inventory), "-v", *options, local=False, verbose=False,
                            diff=False, timeout=600, env={"ANSIBLE_STDOUT_CALLBACK": "default"})

    first = run()
    assert first.returncode == 0, first.stdout[-4000:]
    state = {"run": run, "name": name, "port": port, "root": root, "tag": tag, "image": standin_image,
             "env_file": root / "etc" / (name + ".env"), "ca": root / "etc" / "ca-certificates" / "customCA0.crt",
             "pem": tls["ca"].read_text()}
    yield state
    for collection in (docker_client.containers,):
        try:
            collection.get(name).remove(force=True)
        except docker.errors.NotFound:
            pass
    for ref in ("%s:%s" % (standin_image, tag),):
        try:
            docker_client.images.remove(ref)
        except docker.errors.APIError:
            pass


def assert_no_change(server):
    """A no-change run: the check ran and found the server in sync, no task of the converge path ran."""
    result = server["run"]()
    assert result.returncode == 0, result.stdout[-4000:]
    assert result.recap()["changed"] == 0, result.stdout[-4000:]
    assert "TASK [wandb_local.server.wandb_server : %s]" % CHECK in result.stdout
    assert '"in_sync": true' in result.stdout, result.stdout[-4000:]
    ran = [task for task in CONVERGE if task in result.stdout]
    assert not ran, "converge tasks ran in a no-change run: %s" % ran
    return result


def repaired(server, *expected):
    """The next run takes the converge path (the check names the drift) and succeeds; then a run changes nothing."""
    result = server["run"]()
    assert result.returncode == 0, result.stdout[-4000:]
    assert '"in_sync": false' in result.stdout and "Take this instance's lock" in result.stdout
    for text in expected:
        assert text in result.stdout, result.stdout[-4000:]
    assert_no_change(server)
    return result


def container(docker_client, server):
    return docker_client.containers.get(server["name"])


def test_a_no_change_run_is_the_check_alone(server):
    result = assert_no_change(server)
    # The check's result names no secret (the env file holds the admin key).
    key = (server["root"] / "etc" / "admin-api-key").read_text().strip()
    assert key and key not in result.stdout
    assert (server["root"] / "etc" / (server["name"] + ".state")).stat().st_mode & 0o777 == 0o600


def test_env_file_edited_by_hand(server):
    text = server["env_file"].read_text()
    server["env_file"].write_text(text.replace("STANDIN_STARTUP_SECONDS=1", "STANDIN_STARTUP_SECONDS=3"))
    repaired(server, "differs: STANDIN_STARTUP_SECONDS")
    assert server["env_file"].read_text() == text


def test_env_file_mode_widened(server):
    server["env_file"].chmod(0o644)
    repaired(server, "mode 0644, wanted 0600")
    assert server["env_file"].stat().st_mode & 0o777 == 0o600


def test_ca_file_changed(server):
    server["ca"].write_text("# changed by hand\n" + server["pem"])
    repaired(server, "customCA0.crt: content differs")
    assert server["ca"].read_text() == server["pem"]


def test_container_stopped(server, docker_client):
    container(docker_client, server).stop(timeout=5)
    repaired(server, "is not running")
    assert container(docker_client, server).status == "running"


def test_container_removed(server, docker_client):
    container(docker_client, server).remove(force=True)
    repaired(server, "does not exist")
    assert container(docker_client, server).status == "running"


def test_container_recreated_by_hand_with_other_options(server, docker_client):
    old = container(docker_client, server)
    old.remove(force=True)
    docker_client.containers.run("%s:%s" % (server["image"], server["tag"]), name=server["name"], detach=True,
                                 environment={"STANDIN_STARTUP_SECONDS": "1"},
                                 ports={"8080/tcp": ("127.0.0.1", server["port"])})
    repaired(server, "recreated since the last converge")
    new = container(docker_client, server)
    env = dict(item.split("=", 1) for item in new.attrs["Config"]["Env"])
    assert "GLOBAL_ADMIN_API_KEY" in env and new.attrs["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"


def test_restart_policy_updated_in_place(server, docker_client):
    container(docker_client, server).update(restart_policy={"Name": "always"})
    repaired(server, "restart policy always, wanted unless-stopped")
    assert container(docker_client, server).attrs["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"


def test_image_tag_moved_is_an_upgrade(server, docker_client):
    before = container(docker_client, server).attrs["Image"]
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        dockerfile = ("FROM %s:%s\nLABEL org.wandb.test.nochange=%s\n"
                      % (server["image"], server["tag"], uuid.uuid4().hex)).encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
    context.seek(0)
    image, _logs = docker_client.images.build(fileobj=context, custom_context=True, tag="%s:%s" % (
        server["image"], server["tag"]), rm=True)
    result = repaired(server, "an upgrade", "Upgrade the server")
    assert container(docker_client, server).attrs["Image"] == image.id != before, result.stdout[-3000:]


def test_ready_failing_is_not_hidden(server, docker_client):
    """/ready that never answers: the check sees it, and the converge path's health wait fails as it always did
    (within wandb_server_health_timeout, naming the log); once the server answers again, runs change nothing."""
    box = container(docker_client, server)
    box.exec_run(["sh", "-c", "echo /ready > /vol/standin-hang-paths"])
    box.restart(timeout=5)
    try:
        result = server["run"]("-e", "wandb_server_health_timeout=8")
        assert result.returncode != 0
        assert '"in_sync": false' in result.stdout and "did not become ready" in result.stdout, result.stdout[-4000:]
    finally:
        box.exec_run(["rm", "-f", "/vol/standin-hang-paths"])
        box.restart(timeout=5)
    # The failed run changed nothing: the record still holds, and with /ready answering the server is in sync.
    assert_no_change(server)


def _check_task_output(stdout):
    """The -vvv output of the server's state check task alone."""
    section = stdout.split("TASK [wandb_local.server.wandb_server : %s]" % CHECK, 1)[1]
    return section.split("\nTASK [", 1)[0]


def test_the_check_in_process_and_as_a_module_find_the_same(server):
    """The host is the controller with Ansible's own Python (ansible_python_interpreter): server_state runs inside the
    worker (plugins/action/server_state.py), with no module process; wandb_local_in_process=false runs it as a
    module. Both find the same drift, word for word."""
    server["env_file"].chmod(0o644)
    try:
        in_process = server["run"]("--check", "-vvv")
        as_module = server["run"]("--check", "-vvv", "-e", "wandb_local_in_process=false")
    finally:
        server["env_file"].chmod(0o600)
    outputs = []
    for result in (in_process, as_module):
        assert result.returncode == 0, result.stdout[-4000:]
        output = _check_task_output(result.stdout)
        assert '"in_sync": false' in output and "mode 0644, wanted 0600" in output, output[-3000:]
        outputs.append(output)
    assert "> EXEC " not in outputs[0]
    assert "> EXEC " in outputs[1]
    drift = [re.search(r'"drift": (\[.*?\])', output, re.S).group(1) for output in outputs]
    assert drift[0] == drift[1], drift
    assert_no_change(server)
