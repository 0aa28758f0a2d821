"""Docker env files: parsing as Docker reads them, in-place updates, atomic 0600 writes, masked diffs."""
from __future__ import annotations

import errno
import os
import stat

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils import _env_file as ef

SAMPLE = """# W&B server environment
# managed by ansible

HOST=http://127.0.0.1:8080
LICENSE=aaa.bbb.ccc
  INDENTED=yes
QUERY=s3://k:s=cr#et@h/b?tls=true
PASSTHROUGH
HOST=http://wandb.example.com
"""


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_parse_reads_like_docker():
    env = ef.parse(SAMPLE)
    assert env == {
        "LICENSE": "aaa.bbb.ccc",
        "INDENTED": "yes",
        "QUERY": "s3://k:s=cr#et@h/b?tls=true",  # '=' and '#' inside a value are literal
        "PASSTHROUGH": None,  # bare name: Docker copies it from the client environment
        "HOST": "http://wandb.example.com",  # a later line wins
    }
    assert list(env)[-1] == "HOST"


def test_parse_keeps_quotes_and_spaces_literally():
    assert ef.parse('A="quoted"\nB= lead and trail \n') == {"A": '"quoted"', "B": " lead and trail "}


def test_parse_refuses_whitespace_in_name():
    with pytest.raises(ef.EnvFileError, match="line 2"):
        ef.parse("A=1\nBAD NAME=2\n")


def test_render_round_trip_and_header():
    env = {"A": "1", "B": "x=y", "C": None}
    text = ef.render(env, header="managed\nby ansible")
    assert text.splitlines()[:2] == ["# managed", "# by ansible"]
    assert ef.parse(text) == env
    assert ef.render({}) == ""


def test_render_refuses_line_breaks_and_bad_names():
    with pytest.raises(ef.EnvFileError, match="line break"):
        ef.render({"A": "1\n2"})
    with pytest.raises(ef.EnvFileError, match="not a valid"):
        ef.render({"1A": "x"})


def test_apply_changes_in_place_keeps_comments_and_order():
    out = ef.apply(SAMPLE, {"LICENSE": "new.lic.ense", "NEW": "1"}, ["INDENTED", "MISSING"])
    lines = out.splitlines()
    assert lines[:3] == ["# W&B server environment", "# managed by ansible", ""]
    assert lines[3] == "HOST=http://127.0.0.1:8080"
    assert lines[4] == "LICENSE=new.lic.ense"
    assert "INDENTED" not in out
    assert lines[-1] == "NEW=1"


def test_apply_collapses_duplicates_of_a_changed_variable():
    out = ef.apply(SAMPLE, {"HOST": "https://w.example.com"})
    assert [line for line in out.splitlines() if line.startswith("HOST")] == ["HOST=https://w.example.com"]
    assert ef.parse(out)["HOST"] == "https://w.example.com"


def test_apply_refuses_set_and_unset_of_same_name():
    with pytest.raises(ef.EnvFileError, match="set and unset"):
        ef.apply("", {"A": "1"}, ["A"])


def test_write_is_atomic_0600_and_keeps_owner(tmp_path):
    path = tmp_path / "w.env"
    path.write_text("A=1\n")
    os.chmod(path, 0o644)
    if os.geteuid() == 0:
        os.chown(path, 4321, 4322)
    old_umask = os.umask(0)
    try:
        ef.write(str(path), "A=2\n")
    finally:
        os.umask(old_umask)
    assert path.read_text() == "A=2\n"
    assert mode_of(path) == 0o600
    if os.geteuid() == 0:
        st = os.stat(path)
        assert (st.st_uid, st.st_gid) == (4321, 4322)
    assert sorted(os.listdir(tmp_path)) == ["w.env"]  # no temp file left


def test_write_failure_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "w.env"
    path.write_text("A=1\n")

    def boom(src, dst):
        raise OSError(5, "simulated rename failure")

    monkeypatch.setattr(ef.os, "rename", boom)
    with pytest.raises(OSError):
        ef.write(str(path), "A=2\n")
    assert path.read_text() == "A=1\n"
    assert sorted(os.listdir(tmp_path)) == ["w.env"]


def test_update_changes_only_when_needed(tmp_path):
    path = str(tmp_path / "w.env")
    res = ef.update(path, {"A": "1"}, header="managed")
    assert res["changed"] and res["created"]
    assert res["before"] == {} and res["after"] == {"A": "1"}
    assert mode_of(path) == 0o600
    inode = os.stat(path).st_ino
    res = ef.update(path, {"A": "1"}, ["NOT_THERE"])
    assert not res["changed"]
    assert os.stat(path).st_ino == inode  # not rewritten
    res = ef.update(path, None, ["A"])
    assert res["changed"] and res["after"] == {}
    assert open(path).read() == "# managed\n"


def test_update_check_mode_writes_nothing(tmp_path):
    path = tmp_path / "w.env"
    path.write_text("A=1\n")
    os.chmod(path, 0o600)
    res = ef.update(str(path), {"A": "2"}, check_mode=True)
    assert res["changed"] and res["after"] == {"A": "2"}
    assert path.read_text() == "A=1\n"
    missing = tmp_path / "missing.env"
    assert ef.update(str(missing), {"A": "1"}, check_mode=True)["changed"]
    assert not missing.exists()


def test_update_tightens_a_wide_mode(tmp_path):
    path = tmp_path / "w.env"
    path.write_text("A=1\n")
    os.chmod(path, 0o644)
    res = ef.update(str(path), {"A": "1"})
    assert res["changed"] and res["mode_changed"]
    assert mode_of(path) == 0o600


def test_update_of_missing_file_with_nothing_to_set_creates_nothing(tmp_path):
    path = tmp_path / "w.env"
    assert not ef.update(str(path), None, ["A"])["changed"]
    assert not path.exists()


def test_masked_diff_never_shows_secrets():
    before = {"HOST": "http://a", "LICENSE": "old-license-value", "SLACK_SECRET": "same-secret"}
    after = {"HOST": "http://b", "LICENSE": "new-license-value", "SLACK_SECRET": "same-secret",
             "GORILLA_OIDC_SECRET": "added-secret"}
    b, a = ef.masked_diff(before, after)
    for secret in ("old-license-value", "new-license-value", "same-secret", "added-secret"):
        assert secret not in b and secret not in a
    assert "HOST=http://a" in b and "HOST=http://b" in a
    assert "LICENSE=******** (changed)" in a
    assert "SLACK_SECRET=********\n" in a  # unchanged secret: plain mask
    assert "GORILLA_OIDC_SECRET=********\n" in a


def test_changed_names():
    assert ef.changed_names({"A": "1", "B": "2", "C": "3"}, {"A": "1", "B": "x", "D": "4"}) == ["B", "C", "D"]


# --- write failures: the message names the file and its directory, says nothing was changed and what to fix ---
def _fsync_enospc(monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(ef.os, "fsync", full)


def test_write_on_a_full_file_system_names_file_and_directory(tmp_path, monkeypatch):
    path = tmp_path / "w.env"
    path.write_bytes(b"A=1\n")
    _fsync_enospc(monkeypatch)
    with pytest.raises(ef.WriteError) as info:
        ef.write(str(path), "A=2\n", what="env file")
    message = str(info.value)
    assert isinstance(info.value, OSError) and info.value.errno == errno.ENOSPC
    assert "cannot write the env file %s" % path in message
    assert "no space is left on the file system holding %s" % tmp_path in message
    assert "[Errno 28]" in message
    assert "Nothing was changed: %s keeps its previous content" % path in message
    assert "temporary file in %s, which was removed" % tmp_path in message
    assert "To fix: free space" in message and "df -h %s" % tmp_path in message
    assert path.read_bytes() == b"A=1\n"
    assert sorted(os.listdir(tmp_path)) == ["w.env"]  # the temporary file was removed


def test_write_of_a_new_file_on_a_full_file_system_creates_nothing(tmp_path, monkeypatch):
    _fsync_enospc(monkeypatch)
    with pytest.raises(ef.WriteError, match=r"Nothing was changed: \S+new\.env was not created"):
        ef.write(str(tmp_path / "new.env"), "A=2\n", what="env file")
    assert os.listdir(tmp_path) == []


def test_write_to_a_directory_says_so(tmp_path):
    path = tmp_path / "w.env"
    path.mkdir()
    (path / "inside").write_text("x")
    with pytest.raises(ef.WriteError) as info:
        ef.write(str(path), "A=2\n", what="env file")
    message = str(info.value)
    assert info.value.errno == errno.EISDIR
    assert "%s: that path is a directory, not a file" % path in message
    assert "To fix: move the directory %s away" % path in message
    assert sorted(os.listdir(tmp_path)) == ["w.env"] and os.listdir(path) == ["inside"]


def test_read_and_update_of_a_directory_say_so(tmp_path):
    path = tmp_path / "w.env"
    path.mkdir()
    with pytest.raises(ef.WriteError, match="cannot read the env file %s: that path is a directory" % path):
        ef.read_text(str(path))
    with pytest.raises(ef.WriteError, match="that path is a directory"):
        ef.update(str(path), {"A": "1"})


def _refuse_temp(monkeypatch, code):
    def refuse(prefix="", suffix="", dir=None):  # pylint: disable=redefined-builtin
        name = os.path.join(dir, prefix + "Xq7Zk1" + suffix)
        raise OSError(code, os.strerror(code), name)

    monkeypatch.setattr(ef.tempfile, "mkstemp", refuse)


def test_immutable_directory_is_named_not_the_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "w.env"
    path.write_text("A=1\n")
    _refuse_temp(monkeypatch, errno.EPERM)
    monkeypatch.setattr(ef, "_immutable", lambda p: p == str(tmp_path))
    with pytest.raises(ef.WriteError) as info:
        ef.write(str(path), "A=2\n", what="env file")
    message = str(info.value)
    assert "Xq7Zk1" not in message  # the random temporary name says nothing to the user
    assert "the directory %s has the immutable attribute (chattr +i" % tmp_path in message
    assert "To fix: clear it with chattr -i %s" % tmp_path in message
    assert "Nothing was changed: %s keeps its previous content." % path in message
    assert path.read_text() == "A=1\n"


def test_read_only_file_system_is_named(tmp_path, monkeypatch):
    _refuse_temp(monkeypatch, errno.EROFS)
    with pytest.raises(ef.WriteError) as info:
        ef.write(str(tmp_path / "w.env"), "A=2\n", what="env file")
    message = str(info.value)
    assert "the file system holding %s is mounted read-only" % tmp_path in message
    assert "remount that file system read-write" in message


def test_unexplained_permission_error_lists_the_likely_causes(tmp_path, monkeypatch):
    _refuse_temp(monkeypatch, errno.EACCES)
    monkeypatch.setattr(ef, "_immutable", lambda p: False)
    with pytest.raises(ef.WriteError) as info:
        ef.write(str(tmp_path / "w.env"), "A=2\n", what="env file")
    message = str(info.value)
    assert "writing in the directory %s is not allowed" % tmp_path in message
    for cause in ("write permission", "immutable attribute (chattr +i)", "read-only"):
        assert cause in message
    assert "Xq7Zk1" not in message


def test_write_error_when_the_temp_file_cannot_be_removed_does_not_claim_it_was(tmp_path, monkeypatch):
    _fsync_enospc(monkeypatch)

    def cannot(name):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(ef.os, "unlink", cannot)
    with pytest.raises(ef.WriteError) as info:
        ef.write(str(tmp_path / "w.env"), "A=2\n")
    assert "which was removed" not in str(info.value)


def test_update_failing_to_write_or_chmod_names_the_file(tmp_path, monkeypatch):
    path = tmp_path / "w.env"
    path.write_text("A=1\n")
    os.chmod(path, 0o644)

    def refuse(name, mode):
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(ef.os, "chmod", refuse)
    monkeypatch.setattr(ef, "_immutable", lambda p: p == str(path))
    with pytest.raises(ef.WriteError) as info:
        ef.update(str(path), {"A": "1"})
    message = str(info.value)
    assert "cannot change the mode of the env file %s: the file has the immutable attribute" % path in message
    assert "keeps its content and its previous mode" in message
    _fsync_enospc(monkeypatch)
    with pytest.raises(ef.WriteError, match="no space is left"):
        ef.update(str(path), {"A": "2"})
    assert path.read_text() == "A=1\n"
