"""files_state: directories and files compared in one read-only look (content, owner, mode); drift names paths,
never a secret file's text; probes say whether paths exist."""
from __future__ import annotations

import os

from ansible_collections.wandb_local.server.plugins.modules import files_state


def test_everything_as_wanted_is_in_sync_and_changes_nothing(run_module, tmp_path):
    (tmp_path / "d").mkdir(mode=0o700)
    os.chmod(str(tmp_path / "d"), 0o700)
    (tmp_path / "d" / "f").write_text("text\n")
    os.chmod(str(tmp_path / "d" / "f"), 0o600)
    result = run_module(files_state, {
        "directories": [{"path": str(tmp_path / "d"), "mode": "0700"}],
        "files": [{"path": str(tmp_path / "d" / "f"), "content": "text\n", "mode": "0600"}],
        "probe": [str(tmp_path / "d"), str(tmp_path / "none")]}, check_mode=True)
    assert not result.failed and not result.changed and result["in_sync"], result
    assert result["drift"] == []
    assert result["exists"] == {str(tmp_path / "d"): True, str(tmp_path / "none"): False}


def test_each_difference_is_drift_naming_its_path(run_module, tmp_path):
    (tmp_path / "d").mkdir()
    os.chmod(str(tmp_path / "d"), 0o755)
    (tmp_path / "f").write_text("old")
    os.chmod(str(tmp_path / "f"), 0o644)
    (tmp_path / "s").write_text("old secret")
    os.chmod(str(tmp_path / "s"), 0o600)
    result = run_module(files_state, {
        "directories": [{"path": str(tmp_path / "d"), "mode": "0700"}, {"path": str(tmp_path / "missing")}],
        "files": [{"path": str(tmp_path / "f"), "content": "new", "mode": "0600"}],
        "secret_files": [{"path": str(tmp_path / "s"), "content": "n3w-s3cret", "mode": "0600"}]})
    assert not result.failed and not result.changed and not result["in_sync"]
    drift = "\n".join(result["drift"])
    assert "mode 0755, wanted 0700" in drift and "missing does not exist" in drift
    assert "%s: content differs" % (tmp_path / "f") in drift and "mode 0644, wanted 0600" in drift
    assert "%s: content differs" % (tmp_path / "s") in drift
    assert "n3w-s3cret" not in str(result) and "old secret" not in str(result)


def test_a_mode_that_is_not_octal_fails_naming_the_path(run_module, tmp_path):
    result = run_module(files_state, {"directories": [{"path": str(tmp_path), "mode": "rwx"}]})
    assert result.failed and "is not an octal mode" in result["msg"] and str(tmp_path) in result["msg"]
