"""docker_check: the engine's socket and the Docker SDK of this interpreter, read in one module run."""
from __future__ import annotations

import socket
import sys

from ansible_collections.wandb_local.server.plugins.modules import docker_check


def test_finds_a_socket_and_this_interpreters_sdk(tmp_path, run_module):
    path = tmp_path / "docker.sock"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        result = run_module(docker_check, {"socket": str(path)}, check_mode=True)
    assert not result.changed and result["socket_exists"] is True
    assert result["sdk_version"] and result["sdk_error"] == ""  # the test venv has the SDK (requirements.txt)
    assert result["python"] == sys.executable


def test_a_missing_socket_or_a_plain_file_is_no_engine(tmp_path, run_module):
    assert run_module(docker_check, {"socket": str(tmp_path / "none.sock")})["socket_exists"] is False
    plain = tmp_path / "file.sock"
    plain.write_text("")
    assert run_module(docker_check, {"socket": str(plain)})["socket_exists"] is False


def test_an_sdk_that_cannot_be_imported_is_reported(monkeypatch, tmp_path, run_module):
    monkeypatch.setitem(sys.modules, "docker", None)  # `import docker` raises ImportError
    result = run_module(docker_check, {"socket": str(tmp_path / "none.sock")})
    assert result["sdk_version"] == "" and "import of docker halted" in result["sdk_error"]
