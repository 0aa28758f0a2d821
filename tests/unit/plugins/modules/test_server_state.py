"""server_state with the Docker API faked: in sync, each kind of drift, the record, no secret in any result."""
from __future__ import annotations

import http.server
import json
import os
import threading

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils import _server_state as ss
from ansible_collections.wandb_local.server.plugins.module_utils import _wandb_container as wc
from ansible_collections.wandb_local.server.plugins.modules import server_state

SECRET = "local-5ecre7a5ecre7a5ecre7a5ecre7a5ecre7a5ecre7"
LICENSE = "lic.S3CRETLICENSE.sig"
IMAGE_ID = "sha256:" + "1" * 64
CONTAINER_ID = "c" * 64


class FakeApi:
    def __init__(self, images):
        self.images = images

    def inspect_image(self, name):
        if name not in self.images:
            raise wc.NotFound("no such image")
        return {"Id": self.images[name]}


@pytest.fixture
def server(monkeypatch, tmp_path):
    """A server as the role leaves it: config dir, env file, admin key, CA file, container, record."""
    me, group = os.getuid(), os.getgid()
    config = tmp_path / "etc"
    config.mkdir(mode=0o700)
    config.chmod(0o700)
    ca_dir = config / "ca-certificates"
    ca_dir.mkdir()
    ca_dir.chmod(0o755)
    (ca_dir / "customCA0.crt").write_text("PEM0\n")
    (ca_dir / "customCA0.crt").chmod(0o644)
    key = config / "admin-api-key"
    key.write_text(SECRET + "\n")
    key.chmod(0o600)
    spec = {"name": "wandb-x", "image": "wandb/local:1", "restart_policy": "unless-stopped", "memory": None,
            "cpus": None, "networks": None, "docker_host": "unix:///var/run/docker.sock", "volumes": ["wandb:/vol"]}
    state = {"images": {"wandb/local:1": IMAGE_ID},
             "attrs": {"Id": CONTAINER_ID, "Image": IMAGE_ID, "State": {"Running": True, "Status": "running"},
                       "Config": {"Image": "wandb/local:1"},
                       "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}, "Memory": 0, "NanoCpus": 0},
                       "NetworkSettings": {"Networks": {"bridge": {}}}},
             "ready": []}
    monkeypatch.setattr(wc, "HAS_DOCKER", True)
    monkeypatch.setattr(wc, "client", lambda *a, **k: FakeApi(state["images"]))
    monkeypatch.setattr(wc, "inspect", lambda api, name: state["attrs"])
    monkeypatch.setattr(ss, "check_ready", lambda url, timeout: list(state["ready"]))
    args = {
        "container": spec, "state_file": str(config / "wandb-x.state"), "env_file": str(config / "wandb-x.env"),
        "env": {"HOST": "http://h:8080", "GORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS": "true"},
        "secret_env": {"LICENSE": LICENSE},
        "admin_key_file": str(key),
        "directories": [{"path": str(config), "owner": me, "group": group, "mode": "0700"},
                        {"path": str(ca_dir), "owner": me, "group": group, "mode": "0755"}],
        "files": [{"path": str(ca_dir / "customCA0.crt"), "content": "PEM0\n", "owner": me, "group": group,
                   "mode": "0644"}],
        "unlisted": [{"directory": str(ca_dir), "pattern": "customCA*.crt"}],
        "health_url": "http://127.0.0.1:1/ready",
    }
    env_file = config / "wandb-x.env"
    env_file.write_text("# Managed by Ansible (wandb_local.server). Local changes are overwritten.\n"
                        "GLOBAL_ADMIN_API_KEY=%s\nGORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS=true\n"
                        "HOST=http://h:8080\nLICENSE=%s\n" % (SECRET, LICENSE))
    env_file.chmod(0o600)
    record = dict(args, state="recorded")
    state["args"], state["record"], state["config"] = args, record, config
    return state


def check(run_module, server, **changes):
    result = run_module(server_state, dict(server["args"], **changes))
    text = json.dumps(result)
    assert SECRET not in text and LICENSE not in text and "5ecre7" not in text
    assert not result.failed and not result.changed, result
    return result


def recorded(run_module, server):
    result = run_module(server_state, server["record"])
    assert not result.failed, result
    return result


def test_no_record_is_drift_then_recorded_in_sync(run_module, server):
    first = check(run_module, server)
    assert not first["in_sync"] and len(first["drift"]) == 1 and "no record" in first["drift"][0]
    assert first["container"]["id"] == CONTAINER_ID and first["image"]["id"] == IMAGE_ID
    assert first["container"]["image_current"] is True
    assert recorded(run_module, server).changed
    assert oct(os.stat(server["args"]["state_file"]).st_mode & 0o777) == "0o600"
    assert not recorded(run_module, server).changed
    result = check(run_module, server)
    assert result["in_sync"] and result["drift"] == [], result


def test_record_in_check_mode_writes_nothing(run_module, server):
    result = run_module(server_state, server["record"], check_mode=True)
    assert result.changed and not os.path.exists(server["args"]["state_file"])


@pytest.fixture
def synced(run_module, server):
    recorded(run_module, server)
    assert check(run_module, server)["in_sync"]
    return server


def drift_of(run_module, server, **changes):
    result = check(run_module, server, **changes)
    assert not result["in_sync"]
    return " | ".join(result["drift"])


def test_env_file_edited_by_hand(run_module, synced):
    env_file = synced["config"] / "wandb-x.env"
    env_file.write_text(env_file.read_text().replace("HOST=http://h:8080", "HOST=http://other"))
    assert "differs: HOST" in drift_of(run_module, synced)


def test_env_file_mode_widened(run_module, synced):
    (synced["config"] / "wandb-x.env").chmod(0o644)
    assert "mode 0644, wanted 0600" in drift_of(run_module, synced)


def test_env_file_wanted_changes(run_module, synced):
    text = drift_of(run_module, synced, secret_env={"LICENSE": "lic.OTHER.sig"})
    assert "differs: LICENSE" in text and "lic.OTHER" not in text


def test_kept_variables_stay(run_module, synced):
    env = dict(synced["args"]["env"])
    del env["HOST"]
    assert "differs: HOST" in drift_of(run_module, synced, env=env)
    assert check(run_module, synced, env=env, keep=["HOST"])["in_sync"]


def test_admin_key_file(run_module, synced):
    assert "does not hold the given key" in drift_of(run_module, synced, admin_key="local-" + "0" * 40)
    key = synced["config"] / "admin-api-key"
    key.chmod(0o644)
    assert "admin API key file" in drift_of(run_module, synced)
    key.unlink()
    assert "does not exist" in drift_of(run_module, synced)


def test_admin_key_variable_given_in_env_wins(run_module, synced):
    env = dict(synced["args"]["env"], GLOBAL_ADMIN_API_KEY="from-extra-env")
    assert "differs: GLOBAL_ADMIN_API_KEY" in drift_of(run_module, synced, env=env)


def test_directories(run_module, synced):
    synced["config"].chmod(0o755)
    assert "mode 0755, wanted 0700" in drift_of(run_module, synced)
    synced["config"].chmod(0o700)
    data = {"path": str(synced["config"] / "data"), "owner": 999, "group": 0, "mode": "0770"}
    missing = synced["args"]["directories"] + [data]
    assert "does not exist" in drift_of(run_module, synced, directories=missing)


def test_ca_files(run_module, synced):
    ca = synced["config"] / "ca-certificates"
    (ca / "customCA0.crt").write_text("OTHER\n")
    assert "content differs" in drift_of(run_module, synced)
    (ca / "customCA0.crt").write_text("PEM0\n")
    (ca / "customCA1.crt").write_text("OLD\n")
    assert "customCA1.crt is no longer listed" in drift_of(run_module, synced)
    (ca / "customCA1.crt").unlink()
    (ca / "customCA0.crt").chmod(0o600)
    assert "mode 0600, wanted 0644" in drift_of(run_module, synced)


def test_container_stopped_removed_recreated(run_module, synced):
    synced["attrs"]["State"] = {"Running": False, "Status": "exited"}
    assert "not running (exited)" in drift_of(run_module, synced)
    synced["attrs"]["State"] = {"Running": True, "Status": "running"}
    synced["attrs"]["Id"] = "d" * 64
    assert "recreated since the last converge" in drift_of(run_module, synced)
    synced["attrs"] = None
    assert "does not exist" in drift_of(run_module, synced)


def test_definition_changed(run_module, synced):
    spec = dict(synced["args"]["container"], volumes=["other:/vol"])
    assert "definition or the env file changed" in drift_of(run_module, synced, container=spec)


def test_image_tag_moved_or_missing(run_module, synced):
    synced["images"]["wandb/local:1"] = "sha256:" + "2" * 64
    result = check(run_module, synced)
    assert "an upgrade" in " ".join(result["drift"]) and result["container"]["image_current"] is False
    del synced["images"]["wandb/local:1"]
    assert "not on the host" in drift_of(run_module, synced)


def test_updated_in_place(run_module, synced):
    synced["attrs"]["HostConfig"]["RestartPolicy"]["Name"] = "always"
    assert "restart policy always, wanted unless-stopped" in drift_of(run_module, synced)
    synced["attrs"]["HostConfig"]["RestartPolicy"]["Name"] = "unless-stopped"
    spec = dict(synced["args"]["container"], memory="1g", cpus=1.5)
    ss.record(synced["args"]["state_file"], spec, (synced["config"] / "wandb-x.env").read_text(), synced["attrs"],
              False)
    text = drift_of(run_module, synced, container=spec)
    assert "memory" in text and "CPUs" in text
    synced["attrs"]["HostConfig"].update(Memory=1024 ** 3, NanoCpus=1500000000)
    assert check(run_module, synced, container=spec)["in_sync"]


def test_networks(run_module, synced):
    spec = dict(synced["args"]["container"], networks=[{"name": "wandb-net"}])
    ss.record(synced["args"]["state_file"], spec, (synced["config"] / "wandb-x.env").read_text(), synced["attrs"],
              False)
    assert "networks bridge, wanted wandb-net" in drift_of(run_module, synced, container=spec)


def test_not_ready(run_module, synced):
    synced["ready"].append("GET http://127.0.0.1:1/ready: HTTP 503")
    assert "HTTP 503" in drift_of(run_module, synced)


def test_engine_unreachable_or_sdk_missing_fails_as_settings_info_did(run_module, synced, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise OSError("connection refused")
    monkeypatch.setattr(wc, "client", refuse)
    result = run_module(server_state, synced["args"])
    assert result.failed and "cannot reach the Docker daemon (docker_host=unix:///var/run/docker.sock)" in result["msg"]
    monkeypatch.setattr(wc, "HAS_DOCKER", False)
    result = run_module(server_state, synced["args"])
    assert result.failed and "docker" in result["msg"]


def test_given_drift_and_bad_input(run_module, synced):
    assert "pull is always" in drift_of(run_module, synced, drift=["pull is always"])
    result = run_module(server_state, dict(synced["args"], container={"name": "x"}))
    assert result.failed and "must give image" in result["msg"]


def test_memory_sizes():
    assert ss._bytes("8g") == 8 * 1024 ** 3 and ss._bytes("512M") == 512 * 1024 ** 2  # pylint: disable=W0212
    assert ss._bytes("1024") == 1024 and ss._bytes("2GB") == 2 * 1024 ** 3  # pylint: disable=W0212
    assert ss._bytes("lots") is None  # pylint: disable=W0212


class Ready(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802  # http.server's name
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *_args):
        pass


def test_check_ready_against_a_server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Ready)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = "http://127.0.0.1:%d/ready" % httpd.server_port
        assert ss.check_ready(url, 5) == []
        Ready.status = 503
        assert "HTTP 503" in ss.check_ready(url, 5)[0]
    finally:
        httpd.shutdown()
        Ready.status = 200


def test_docker_socket_reports_a_missing_engine_or_sdk_instead_of_failing(run_module, synced, tmp_path, monkeypatch):
    # site.yml lets this check stand in for docker_host's: what is missing is said, nothing else is read.
    socket_path = tmp_path / "docker.sock"
    result = check(run_module, synced, docker_socket=str(socket_path))
    assert not result["in_sync"] and result["docker_missing"] == "no Docker Engine socket at %s" % socket_path
    assert result["drift"] == [result["docker_missing"]]
    assert result["container"]["id"] is None and result["image"]["id"] is None
    monkeypatch.setattr(wc, "socket_exists", lambda path: path == str(socket_path))
    assert check(run_module, synced, docker_socket=str(socket_path))["in_sync"]
    monkeypatch.setattr(wc, "HAS_DOCKER", False)
    result = check(run_module, synced, docker_socket=str(socket_path))
    assert "the Python Docker SDK cannot be imported by" in result["docker_missing"]
    # Without the option a missing SDK fails the check as before.
    failed = run_module(server_state, synced["args"])
    assert failed.failed and "docker" in failed["msg"]
    # An engine over tcp:// (docker_socket ''): only the SDK is looked for.
    assert "Docker SDK" in check(run_module, synced, docker_socket="")["docker_missing"]
    monkeypatch.setattr(wc, "HAS_DOCKER", True)
    assert check(run_module, synced, docker_socket="")["in_sync"]


def test_checks_run_first_fail_with_their_own_message_and_mask_their_secrets(run_module, synced):
    # site.yml hands the redis and oidc roles' checks to this run (server_state's `checks`).
    from support.procs import free_port
    url = "redis://:Pa55-In-Url@127.0.0.1:%d" % free_port()
    failed = run_module(server_state, dict(synced["args"], checks={"redis": {"url": url, "timeout": 2}}))
    assert failed.failed and "127.0.0.1" in failed["msg"]
    assert "Pa55-In-Url" not in json.dumps(failed) and url not in json.dumps(failed)
    refused = run_module(server_state, dict(synced["args"], checks={"redis": {"timeout": 2}}))
    assert refused.failed and refused["msg"].startswith("checks.redis: ") and "url, host" in refused["msg"]
    unknown = run_module(server_state, dict(synced["args"], checks={"ldap": {}}))
    assert unknown.failed and "unknown check(s) ldap" in unknown["msg"]
    bad_issuer = run_module(server_state, dict(synced["args"], checks={"oidc": {"issuer": "not a url"}}))
    assert bad_issuer.failed and "OIDC pre-flight failed before contacting the provider" in bad_issuer["msg"]
    assert check(run_module, synced, checks={})["in_sync"]
