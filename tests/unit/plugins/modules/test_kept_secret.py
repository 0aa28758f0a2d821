"""kept_secret: given > kept > new, one 0600 root-owned file, check mode and diff without the secret."""
from __future__ import annotations

import errno
import json
import os
import re
import stat

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils import _env_file, _kept_secret
from ansible_collections.wandb_local.server.plugins.modules import kept_secret

GIVEN = "Given-Secret-" + "7e57" * 8
KEPT = "Kept-Secret-" + "b0b0" * 8
ADMIN_FORMAT = {"prefix": "local-", "length": 40, "alphabet": "0123456789abcdef"}


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def owner(path):
    info = os.stat(path)
    return info.st_uid, info.st_gid


def kept_file(tmp_path, text=KEPT + "\n", file_mode=0o600, uid=0, gid=0):
    path = tmp_path / "secret"
    path.write_text(text)
    os.chmod(path, file_mode)
    os.chown(path, uid, gid)
    return path


def no_secret_in(result, *secrets):
    text = json.dumps(result)
    for secret in secrets:
        assert secret not in text


def test_generates_once_then_keeps_the_value(tmp_path, run_module):
    path = tmp_path / "secret"
    first = run_module(kept_secret, {"path": str(path)}, diff=True)
    assert first.changed and first["source"] == "generated" and first["path"] == str(path)
    assert re.fullmatch(r"[A-Za-z0-9]{48}", first["value"])  # the Redis password's format (the defaults)
    assert path.read_text() == first["value"] + "\n" and mode(path) == 0o600 and owner(path) == (0, 0)
    assert first["diff"]["before"] == "" and first["value"] not in json.dumps(first["diff"])
    second = run_module(kept_secret, {"path": str(path)}, diff=True)
    assert not second.changed and second["source"] == "kept" and second["value"] == first["value"]
    assert second["diff"]["before"] == second["diff"]["after"]
    assert second["value"] not in json.dumps(second["diff"])


def test_the_admin_key_format(tmp_path, run_module):
    result = run_module(kept_secret, dict(ADMIN_FORMAT, path=str(tmp_path / "admin-api-key")))
    assert result.changed and re.fullmatch(r"local-[0-9a-f]{40}", result["value"])


def test_a_kept_value_is_reused_whatever_its_format(tmp_path, run_module):
    path = kept_file(tmp_path)
    result = run_module(kept_secret, dict(ADMIN_FORMAT, path=str(path)), diff=True)
    assert not result.changed and result["source"] == "kept" and result["value"] == KEPT
    no_secret_in(result["diff"], KEPT)


def test_a_given_value_wins_is_trimmed_and_the_change_is_masked(tmp_path, run_module):
    path = kept_file(tmp_path)
    result = run_module(kept_secret, {"path": str(path), "value": "  %s \n" % GIVEN}, diff=True)
    assert result.changed and result["source"] == "given" and path.read_text() == GIVEN + "\n"
    assert "value" not in result  # Ansible would mask it: the caller has it already
    assert "(changed)" in result["diff"]["after"] and "mode 0600, owner root:root" in result["diff"]["after"]
    no_secret_in(result, GIVEN, KEPT)
    again = run_module(kept_secret, {"path": str(path), "value": GIVEN}, diff=True)
    assert not again.changed and again["source"] == "given"


def test_an_empty_kept_file_gets_a_new_value(tmp_path, run_module):
    path = kept_file(tmp_path, text=" \n")
    result = run_module(kept_secret, {"path": str(path)}, diff=True)
    assert result.changed and result["source"] == "generated" and path.read_text() == result["value"] + "\n"
    assert "(empty)" in result["diff"]["before"]


def test_a_wider_mode_and_another_owner_are_fixed_without_a_new_value(tmp_path, run_module):
    path = kept_file(tmp_path, file_mode=0o644, uid=1234, gid=1234)
    inode = os.stat(path).st_ino
    result = run_module(kept_secret, {"path": str(path)}, diff=True)
    assert result.changed and result["value"] == KEPT and mode(path) == 0o600 and owner(path) == (0, 0)
    assert os.stat(path).st_ino == inode  # not rewritten
    assert "mode 0644, owner 1234:1234" in result["diff"]["before"]
    assert "mode 0600, owner root:root" in result["diff"]["after"] and "(changed)" not in result["diff"]["after"]
    no_secret_in(result["diff"], KEPT)


def test_owner_and_group_as_told(tmp_path, run_module):
    path = tmp_path / "secret"
    result = run_module(kept_secret, {"path": str(path), "owner": "1234", "group": "4321"})
    assert result.changed and owner(path) == (1234, 4321) and mode(path) == 0o600
    assert not run_module(kept_secret, {"path": str(path), "owner": "1234", "group": "4321"}).changed
    unknown = run_module(kept_secret, {"path": str(path), "owner": "no-such-user-here"})
    assert unknown.failed and "owner 'no-such-user-here' is not a user" in unknown["msg"]


def test_the_temporary_file_is_0600_and_owned_before_its_first_byte(tmp_path, run_module, monkeypatch):
    seen = []
    real_fdopen = _env_file.os.fdopen

    def fdopen(fd, *args, **kwargs):
        info = os.fstat(fd)
        seen.append((stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid, info.st_size))
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(_env_file.os, "fdopen", fdopen)
    path = kept_file(tmp_path, file_mode=0o644, uid=1234, gid=1234)
    result = run_module(kept_secret, {"path": str(path), "value": GIVEN, "owner": "99", "group": "98"})
    assert result.changed and seen == [(0o600, 99, 98, 0)]
    assert owner(path) == (99, 98) and mode(path) == 0o600


def test_check_mode_writes_nothing_and_tells_the_truth(tmp_path, run_module):
    path = tmp_path / "secret"
    result = run_module(kept_secret, {"path": str(path)}, check_mode=True, diff=True)
    assert result.changed and result["source"] == "generated" and not path.exists()
    assert result["diff"]["before"] == ""
    missing_dir = run_module(kept_secret, {"path": str(tmp_path / "new" / "secret")}, check_mode=True)
    assert missing_dir.changed and missing_dir["source"] == "generated"
    wide = kept_file(tmp_path, file_mode=0o640)
    narrowed = run_module(kept_secret, {"path": str(wide)}, check_mode=True)
    assert narrowed.changed and mode(wide) == 0o640 and narrowed["value"] == KEPT
    given = run_module(kept_secret, {"path": str(wide), "value": GIVEN}, check_mode=True)
    assert given.changed and wide.read_text() == KEPT + "\n"
    os.chmod(wide, 0o600)
    assert not run_module(kept_secret, {"path": str(wide)}, check_mode=True).changed


def test_a_missing_directory_fails_with_what_to_fix(tmp_path, run_module):
    path = tmp_path / "nope" / "secret"
    result = run_module(kept_secret, {"path": str(path), "value": GIVEN})
    assert result.failed and str(path) in result["msg"] and str(tmp_path / "nope") in result["msg"]
    assert "create it first" in result["msg"] and result["msg"].startswith("kept_secret: ")
    no_secret_in(result, GIVEN)


def test_an_unwritable_directory_names_the_file_the_directory_and_the_fix(tmp_path, run_module, monkeypatch):
    path = kept_file(tmp_path)

    def refuse(*args, **kwargs):
        raise OSError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(_env_file.tempfile, "mkstemp", refuse)
    result = run_module(kept_secret, {"path": str(path), "value": GIVEN}, diff=True)
    msg = result["msg"]
    assert result.failed and msg.startswith("kept_secret: cannot write the kept secret file %s" % path), msg
    assert "writing in the directory %s is not allowed" % tmp_path in msg
    assert "Nothing was changed: %s keeps its previous content" % path in msg and "To fix:" in msg
    assert result["path"] == str(path) and result["errno"] == errno.EACCES
    no_secret_in(result, GIVEN, KEPT)
    assert path.read_text() == KEPT + "\n" and os.listdir(tmp_path) == ["secret"]


def test_a_mode_that_cannot_be_fixed_is_reported(tmp_path, run_module, monkeypatch):
    path = kept_file(tmp_path, file_mode=0o644)

    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(_kept_secret.os, "chmod", refuse)
    result = run_module(kept_secret, {"path": str(path)})
    assert result.failed and "cannot change the mode or owner of the kept secret file %s" % path in result["msg"]
    assert "read-only" in result["msg"]
    no_secret_in(result, KEPT)


def test_a_file_that_cannot_be_read_fails_instead_of_replacing_the_value(tmp_path, run_module, monkeypatch):
    directory = tmp_path / "secret"
    directory.mkdir()  # reading a directory fails (tests run as root, so a mode would not stop them)
    result = run_module(kept_secret, {"path": str(directory)})
    assert result.failed and "that path is a directory" in result["msg"]

    path = kept_file(tmp_path / "secret")

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(_kept_secret, "open", refuse, raising=False)
    denied = run_module(kept_secret, {"path": str(path)})
    assert denied.failed and "cannot read the kept secret file %s" % path in denied["msg"]
    assert "nothing new was generated" in denied["msg"] and "become: true" in denied["msg"]
    monkeypatch.undo()
    assert path.read_text() == KEPT + "\n"


def test_a_file_that_is_not_text_fails_without_quoting_it(tmp_path, run_module):
    path = tmp_path / "secret"
    path.write_bytes(b"\xff\xfe" + KEPT.encode())
    result = run_module(kept_secret, {"path": str(path)})
    assert result.failed and "not UTF-8 text" in result["msg"] and "0xff" not in result["msg"]
    no_secret_in(result, KEPT)


def test_giving_the_file_away_needs_root(tmp_path, run_module, monkeypatch):
    monkeypatch.setattr(_kept_secret.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(_kept_secret.os, "getegid", lambda: 1000)
    monkeypatch.setattr(_kept_secret.os, "getgroups", lambda: [1000])
    path = tmp_path / "secret"
    result = run_module(kept_secret, {"path": str(path), "value": GIVEN})
    assert result.failed and "only root may give a file" in result["msg"] and "become: true" in result["msg"]
    assert not path.exists()
    no_secret_in(result, GIVEN)


@pytest.mark.parametrize("options, words", [
    ({"length": 8}, "length must be at least 16"),
    ({"alphabet": "a"}, "at least two different characters"),
    ({"alphabet": "abca"}, "repeats characters"),
    ({"alphabet": "ab c"}, "white space"),
    ({"prefix": "local\n"}, "white space"),
])
def test_generator_options_are_checked(tmp_path, run_module, options, words):
    result = run_module(kept_secret, dict(options, path=str(tmp_path / "secret")))
    assert result.failed and words in result["msg"] and str(tmp_path / "secret") in result["msg"]
    assert not (tmp_path / "secret").exists()
