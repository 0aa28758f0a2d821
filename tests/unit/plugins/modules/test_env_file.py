from __future__ import annotations

import errno
import json
import os
import stat

from ansible_collections.wandb_local.server.plugins.module_utils import _env_file
from ansible_collections.wandb_local.server.plugins.modules import admin_key, env_file

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


# --- file-system faults: the message names the file and its directory, says that nothing was changed (the file
# keeps its old bytes, the container is restarted only after this task) and what to fix; never a secret.
def _old_file(path):
    path.write_bytes(b"HOST=https://old.example.com\nLICENSE=old-license\n")
    os.chmod(path, 0o600)
    return path.read_bytes()


def _assert_unchanged_message(msg, path):
    assert "Nothing was changed" in msg and "the server container was not touched" in msg, msg
    assert "To fix:" in msg, msg
    assert SECRET not in msg and "old-license" not in msg


def test_full_file_system_names_file_and_directory(tmp_path, run_module, monkeypatch):
    path = tmp_path / "wandb.env"
    old = _old_file(path)

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(_env_file.os, "fsync", full)
    result = run_module(env_file, _args(path))
    msg = result["msg"]
    assert result.failed and "Traceback" not in json.dumps(result)
    assert msg.startswith("env_file: cannot write the env file %s: no space is left" % path), msg
    assert "file system holding %s" % tmp_path in msg and "[Errno 28] No space left on device" in msg
    assert "%s keeps its previous content" % path in msg
    assert "free space" in msg
    _assert_unchanged_message(msg, path)
    assert path.read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == ["wandb.env"]  # no temporary file left behind


def test_path_that_is_a_directory_says_so(tmp_path, run_module):
    path = tmp_path / "wandb.env"
    path.mkdir()
    for check_mode in (True, False):
        result = run_module(env_file, _args(path), check_mode=check_mode)
        msg = result["msg"]
        assert result.failed and "Traceback" not in json.dumps(result), result
        assert "env file %s: that path is a directory, not a file" % path in msg, msg
        assert "move the directory %s away" % path in msg
        _assert_unchanged_message(msg, path)
    assert path.is_dir() and os.listdir(path) == []


def test_immutable_config_dir_is_named_not_a_temp_file(tmp_path, run_module, monkeypatch):
    path = tmp_path / "wandb.env"
    old = _old_file(path)

    def refuse(prefix="", suffix="", dir=None):  # pylint: disable=redefined-builtin
        raise OSError(errno.EPERM, os.strerror(errno.EPERM), os.path.join(dir, prefix + "rAnD0m" + suffix))

    monkeypatch.setattr(_env_file.tempfile, "mkstemp", refuse)
    monkeypatch.setattr(_env_file, "_immutable", lambda p: p == str(tmp_path))
    result = run_module(env_file, _args(path))
    msg = result["msg"]
    assert result.failed
    assert "rAnD0m" not in msg, msg
    assert "the directory %s has the immutable attribute (chattr +i" % tmp_path in msg, msg
    assert "chattr -i %s" % tmp_path in msg
    _assert_unchanged_message(msg, path)
    assert path.read_bytes() == old


def test_mode_that_cannot_be_fixed_names_the_file(tmp_path, run_module, monkeypatch):
    path = tmp_path / "wandb.env"
    run_module(env_file, _args(path))
    os.chmod(path, 0o640)

    def refuse(name, mode):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(env_file.os, "chmod", refuse)
    result = run_module(env_file, _args(path))
    msg = result["msg"]
    assert result.failed
    assert "cannot change the mode of the env file %s" % path in msg and "read-only" in msg, msg
    _assert_unchanged_message(msg, path)


def test_admin_key_file_on_a_full_file_system_names_it_and_keeps_the_old_key(tmp_path, run_module, monkeypatch):
    path = tmp_path / "admin-api-key"
    old_key = "local-" + "a" * 40
    path.write_text(old_key + "\n")
    os.chmod(path, 0o600)

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(_env_file.os, "fsync", full)
    new_key = "local-" + "b" * 40
    result = run_module(admin_key, {"path": str(path), "key": new_key})
    msg = result["msg"]
    assert result.failed
    assert msg.startswith("admin_key: cannot write the admin API key file %s: no space is left" % path), msg
    assert "Nothing was changed: %s keeps its previous content" % path in msg and "To fix: free space" in msg
    assert new_key not in json.dumps(result) and old_key not in json.dumps(result)
    assert path.read_text() == old_key + "\n" and os.listdir(tmp_path) == ["admin-api-key"]


def test_keep_leaves_the_current_lines_of_names_not_given(tmp_path, run_module):
    """An integration the run did not converge keeps its variables (site.yml --tags server): unchanged file, not
    changed, secrets kept and never shown; a kept name absent from the file stays absent; a given name wins."""
    path = tmp_path / "wandb.env"
    run_module(env_file, _args(path, env={"HOST": "https://w", "OIDC_ISSUER": "https://idp", "BUCKET": "s3://b"},
                               secret_env={"LICENSE": SECRET, "OIDC_SECRET": "oidc-secret-value"}))
    before = path.read_text()
    keep = ["OIDC_ISSUER", "OIDC_SECRET", "GORILLA_OIDC_ISSUER", "SLACK_CLIENT_ID"]
    same = run_module(env_file, _args(path, env={"HOST": "https://w", "BUCKET": "s3://b"}, keep=keep), diff=True)
    assert not same.changed and path.read_text() == before
    assert same["kept"] == ["OIDC_ISSUER", "OIDC_SECRET"] and "SLACK_CLIENT_ID" not in path.read_text()
    assert "oidc-secret-value" not in json.dumps(same)
    dropped = run_module(env_file, _args(path, env={"HOST": "https://w", "BUCKET": "s3://b"}), diff=True,
                         check_mode=True)
    assert dropped.changed and dropped["changed_names"] == ["OIDC_ISSUER", "OIDC_SECRET"]
    given = run_module(env_file, _args(path, env={"HOST": "https://w", "OIDC_ISSUER": "https://other"}, keep=keep),
                       diff=True)
    assert given.changed and given["changed_names"] == ["BUCKET", "OIDC_ISSUER"]
    assert given["kept"] == ["OIDC_SECRET"]
    assert "OIDC_SECRET=oidc-secret-value" in path.read_text() and "OIDC_SECRET=********" in given["diff"]["after"]
    assert "oidc-secret-value" not in json.dumps(given)


def test_kept_unknown_variable_stays_masked_in_the_diff(tmp_path, run_module):
    path = tmp_path / "wandb.env"
    path.write_text("HOST=https://w\nCUSTOM_SETTING=maybe-secret\n")
    os.chmod(path, 0o600)
    result = run_module(env_file, _args(path, env={"HOST": "https://w.example.com"}, keep=["CUSTOM_SETTING"]),
                        diff=True)
    assert result.changed and "CUSTOM_SETTING=maybe-secret" in path.read_text()
    assert "maybe-secret" not in json.dumps(result)
