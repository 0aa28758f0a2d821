"""settings_info with the Docker API faked: canonical names, masking, style, conflicts, pending changes."""
from __future__ import annotations

import json
import os

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils import _wandb_container as wc
from ansible_collections.wandb_local.server.plugins.modules import settings_info


@pytest.fixture
def container(monkeypatch):
    state = {"attrs": None}
    monkeypatch.setattr(wc, "HAS_DOCKER", True)
    monkeypatch.setattr(wc, "client", lambda *a, **k: object())
    monkeypatch.setattr(wc, "inspect", lambda api, name: state["attrs"])

    def set_env(env, running=True):
        state["attrs"] = {"Id": "a" * 64, "State": {"Running": running},
                          "Config": {"Image": "wandb/local:0.74.0", "Env": ["%s=%s" % kv for kv in env.items()]}}
    return set_env


def test_reads_file_and_container_masked(run_module, container, tmp_path):
    path = tmp_path / "w.env"
    path.write_text("GORILLA_LICENSE=lic.secret.value\nGORILLA_FRONTEND_HOST=https://new\nREDIS=redis://:pw@r:6379\n")
    os.chmod(path, 0o600)
    container({"GORILLA_LICENSE": "lic.secret.value", "GORILLA_FRONTEND_HOST": "https://old", "PATH": "/bin"})
    res = run_module(settings_info, {"env_file": str(path)})
    assert not res.changed
    assert res["settings"] == {"license": "********", "host": "https://old"}
    assert res["env_file_settings"] == {"license": "********", "host": "https://new", "redis": "********"}
    assert res["env_style"] == "gorilla"
    assert res["pending"] == ["host", "redis"]
    assert res["env_file_mode"] == "0600" and res["env_file_exists"]
    assert res["container"]["running"] and res["container"]["image"] == "wandb/local:0.74.0"
    out = json.dumps(res)
    assert "lic.secret.value" not in out and ":pw@" not in out


def test_no_container_and_conflicts(run_module, container, tmp_path):
    path = tmp_path / "w.env"
    path.write_text("HOST=http://a\nGORILLA_FRONTEND_HOST=http://b\nLICENSE=x.y.z\n")
    res = run_module(settings_info, {"env_file": str(path)})
    assert res["container"]["id"] is None and res["container_settings"] is None
    assert res["settings"]["host"] == "http://b"
    assert res["conflicts"] == ["host"]
    assert res["env_style"] == "mixed"
    assert res["pending"] == []


def test_missing_file(run_module, container, tmp_path):
    res = run_module(settings_info, {"env_file": str(tmp_path / "none.env")})
    assert not res.failed and not res["env_file_exists"] and res["settings"] == {}
    assert res["env_file_mode"] is None and res["env_style"] is None
