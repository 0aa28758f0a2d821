from __future__ import annotations

import json
import os
import stat

from ansible_collections.wandb_local.server.plugins.modules import env_file

SECRET = "s3cr3t-license-value"


def _args(path, **extra):
    args = {"path": str(path), "env": {"HOST": "https://w.example.com"}, "secret_env": {"LICENSE": SECRET}}
    args.update(extra)
    return args


def test_creates_file_0600_then_is_idempotent(tmp_path, run_module):
    path = tmp_path / "wandb.env"
    first = run_module(env_file, _args(path), diff=True)
    assert first.changed and not first.failed
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "HOST=https://w.example.com" in path.read_text()
    assert "LICENSE=" + SECRET in path.read_text()
    assert SECRET not in json.dumps(first)
    assert "LICENSE=********" in first["diff"]["after"]
    second = run_module(env_file, _args(path))
    assert not second.changed
    assert second["changed_names"] == []


def test_check_mode_predicts_without_writing(tmp_path, run_module):
    path = tmp_path / "wandb.env"
    result = run_module(env_file, _args(path), check_mode=True)
    assert result.changed
    assert not path.exists()


def test_changed_secret_is_marked_but_never_shown(tmp_path, run_module):
    path = tmp_path / "wandb.env"
    run_module(env_file, _args(path))
    result = run_module(env_file, _args(path, secret_env={"LICENSE": "new-value-x"}), diff=True)
    assert result.changed and result["changed_names"] == ["LICENSE"]
    assert "LICENSE=******** (changed)" in result["diff"]["after"]
    assert "new-value-x" not in json.dumps(result) and SECRET not in json.dumps(result)


def test_removed_variables_keep_secret_values_hidden(tmp_path, run_module):
    path = tmp_path / "wandb.env"
    run_module(env_file, _args(path, env={"HOST": "https://w", "LOCAL_RESTORE": "true"},
                               secret_env={"CUSTOM_THING": "hidden-value"}))
    result = run_module(env_file, _args(path, env={"HOST": "https://w"}, secret_env={}), diff=True)
    assert result.changed
    assert "LOCAL_RESTORE=true" in result["diff"]["before"]  # known plain setting: shown
    assert "CUSTOM_THING=********" in result["diff"]["before"]
    assert "hidden-value" not in json.dumps(result)


def test_wide_mode_is_fixed(tmp_path, run_module):
    path = tmp_path / "wandb.env"
    run_module(env_file, _args(path))
    os.chmod(path, 0o644)
    result = run_module(env_file, _args(path))
    assert result.changed
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_refuses_world_readable_mode_and_line_breaks(tmp_path, run_module):
    path = tmp_path / "wandb.env"
    wide = run_module(env_file, _args(path, mode="0644"))
    assert wide.failed and "0600" in wide["msg"]
    broken = run_module(env_file, _args(path, env={"HOST": "a\nB=c"}))
    assert broken.failed and "line break" in broken["msg"]
    assert not path.exists()


def test_missing_directory_says_what_to_do(tmp_path, run_module):
    result = run_module(env_file, _args(tmp_path / "nope" / "wandb.env"))
    assert result.failed and "does not exist" in result["msg"]


def test_check_mode_predicts_a_file_in_a_directory_not_created_yet(tmp_path, run_module):
    result = run_module(env_file, _args(tmp_path / "later" / "wandb.env"), check_mode=True, diff=True)
    assert result.changed and not result.failed
    assert "HOST=https://w.example.com" in result["diff"]["after"]
    assert not (tmp_path / "later").exists()
