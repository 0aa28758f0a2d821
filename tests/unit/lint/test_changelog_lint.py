# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/lint/changelog.py (the changelog lint of `tests/run lint`) on throw-away git repositories laid out like
this collection: its real changelogs/config.yaml and galaxy.yml, one release, the CHANGELOG.md antsibull-changelog
generates from it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "tests/lint/changelog.py"
FEATURE = "minor_changes:\n  - wandb_server role - a new option.\n"
TRIVIAL = "trivial:\n  - wandb_server role - a refactoring users do not see.\n"
RELEASE = """\
ancestor: null
releases:
  0.1.0:
    changes:
      release_summary: First version.
    fragments:
      - 0.1.0.yml
    release_date: '2026-11-25'
"""


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com")
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True,
                          timeout=60).stdout


def write(repo: Path, path: str, text: str = "x\n") -> None:
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_text(text)


def commit(repo: Path, message: str, files: dict | None = None) -> None:
    """Write files ({path: text}), then commit everything."""
    for path, text in (files or {}).items():
        write(repo, path, text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def lint(repo: Path, base: str | None = None, **env: str) -> tuple[int, str]:
    environ = {key: value for key, value in os.environ.items() if key != "CHANGELOG_BASE"}
    environ.update(env)
    args = [sys.executable, str(SCRIPT), "--repo", str(repo)] + (["--base", base] if base else [])
    result = subprocess.run(args, env=environ, capture_output=True, text=True, timeout=300, check=False)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def repo(tmp_path) -> Path:
    """A released collection: plugins, a role, docs; changelogs/ with one release and no fragment waiting."""
    repo = tmp_path / "collection"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shutil.copy(REPO / "galaxy.yml", repo / "galaxy.yml")
    write(repo, "changelogs/config.yaml", (REPO / "changelogs/config.yaml").read_text())
    write(repo, "changelogs/changelog.yaml", RELEASE)
    write(repo, "changelogs/fragments/.keep", "")
    write(repo, "plugins/modules/thing.py", "# a module\n")
    write(repo, "roles/wandb_server/tasks/main.yml", "---\n")
    write(repo, "README.md", "# collection\n")
    subprocess.run([sys.executable, "-m", "antsibull_changelog", "generate"], cwd=repo, check=True,
                   capture_output=True, timeout=300)
    assert (repo / "CHANGELOG.md").is_file()
    commit(repo, "Release 0.1.0")
    return repo


def test_released_state_passes(repo):
    code, output = lint(repo)
    assert code == 0, output
    assert "since the last release" in output and "changelog: ok" in output


def test_code_change_without_fragment_fails_and_names_the_file(repo):
    git(repo, "tag", "base")
    commit(repo, "Change the module", {"plugins/modules/thing.py": "# changed\n"})
    code, output = lint(repo, base="base")
    assert code == 1, output
    assert "plugins/modules/thing.py" in output and "changelogs/fragments/<topic>.yml" in output, output
    # The same with the base from the environment, as a CI job would give it.
    code, output = lint(repo, CHANGELOG_BASE="base")
    assert code == 1 and "the commits since base (CHANGELOG_BASE)" in output, output


def test_code_change_with_fragment_passes_even_in_a_later_commit(repo):
    git(repo, "tag", "base")
    commit(repo, "Change the role", {"roles/wandb_server/tasks/main.yml": "---\n- name: x\n"})
    commit(repo, "Change the module", {"plugins/modules/thing.py": "# changed\n"})
    commit(repo, "Changelog", {"changelogs/fragments/new_option.yml": FEATURE})
    code, output = lint(repo, base="base")
    assert code == 0, output
    assert "2 code file(s) changed, 1 fragment(s) added or changed" in output, output


def test_trivial_fragment_passes(repo):
    git(repo, "tag", "base")
    commit(repo, "Refactor", {"plugins/modules/thing.py": "# same behaviour\n",
                              "changelogs/fragments/refactor.yml": TRIVIAL})
    code, output = lint(repo, base="base")
    assert code == 0, output


@pytest.mark.parametrize("path", ["README.md", "CONTRIBUTING.md", "roles/wandb_server/README.md",
                                  "tests/unit/test_x.py", "bench/README.md"])
def test_docs_and_tests_only_pass(repo, path):
    git(repo, "tag", "base")
    write(repo, path, "new text\n")
    commit(repo, "Docs")
    code, output = lint(repo, base="base")
    assert code == 0, output
    assert "0 code file(s) changed" in output, output


def test_removing_a_fragment_is_not_adding_one(repo):
    commit(repo, "Feature", {"plugins/modules/thing.py": "# v2\n", "changelogs/fragments/f.yml": FEATURE})
    git(repo, "tag", "base")
    (repo / "changelogs/fragments/f.yml").unlink()
    commit(repo, "Change the module, drop the fragment", {"plugins/modules/thing.py": "# v3\n"})
    code, output = lint(repo, base="base")
    assert code == 1, output


def test_work_tree_counts(repo):
    git(repo, "tag", "base")
    write(repo, "galaxy.yml", (repo / "galaxy.yml").read_text() + "# edited\n")
    code, output = lint(repo, base="base")
    assert code == 1 and "galaxy.yml" in output, output
    write(repo, "changelogs/fragments/galaxy.yml", "bugfixes:\n  - galaxy.yml - a fix.\n")  # untracked
    code, output = lint(repo, base="base")
    assert code == 0, output


def test_invalid_fragment_fails(repo):
    commit(repo, "Bad fragment", {"changelogs/fragments/bad.yml": "- not a mapping\n"})
    code, output = lint(repo)
    assert code == 1 and "bad.yml" in output and "antsibull-changelog lint" in output, output
    commit(repo, "Unknown section", {"changelogs/fragments/bad.yml": "new_things:\n  - x\n"})
    code, output = lint(repo)
    assert code == 1 and "new_things" in output, output


def test_hand_edited_changelog_fails(repo):
    write(repo, "CHANGELOG.md", (repo / "CHANGELOG.md").read_text() + "\n- something by hand\n")
    code, output = lint(repo)
    assert code == 1 and "CHANGELOG.md is not what `antsibull-changelog generate` writes" in output, output


def test_since_release_needs_a_waiting_fragment(repo):
    """No base and no upstream (CI's fresh clone of main; a checkout without a remote): code changed since the
    last release needs a fragment waiting for the next one, in any commit."""
    commit(repo, "Change the module", {"plugins/modules/thing.py": "# changed\n"})
    code, output = lint(repo)
    assert code == 1 and "since the last release" in output and "plugins/modules/thing.py" in output, output
    commit(repo, "Changelog", {"changelogs/fragments/f.yml": FEATURE})
    commit(repo, "More code later", {"plugins/modules/thing.py": "# changed again\n"})
    code, output = lint(repo)
    assert code == 0, output


def test_unpushed_commits_of_a_clone(repo, tmp_path):
    """A contributor's clone: the commits its main has that origin/main has not are the change; a fresh clone
    (CI: HEAD is origin/main) checks since the last release."""
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    code, output = lint(clone)
    assert code == 0 and "since the last release" in output, output
    commit(clone, "Change the module", {"plugins/modules/thing.py": "# changed\n"})
    code, output = lint(clone)
    assert code == 1 and "origin/main" in output and "plugins/modules/thing.py" in output, output
    commit(clone, "Changelog", {"changelogs/fragments/f.yml": FEATURE})
    code, output = lint(clone)
    assert code == 0 and "origin/main" in output, output


def test_unknown_base_fails_with_a_hint(repo):
    code, output = lint(repo, base="no-such-ref")
    assert code == 1 and "no such commit" in output and "CHANGELOG_BASE" in output, output
