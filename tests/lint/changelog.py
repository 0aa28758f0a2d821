# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The changelog lint of `tests/run lint`:  python tests/lint/changelog.py [--base REV] [--repo DIR]

1. `antsibull-changelog lint` (every fragment in changelogs/fragments/) and `lint-changelog-yaml`.
2. CHANGELOG.md is what `antsibull-changelog generate` writes from changelogs/changelog.yaml (nobody edits it).
3. A change of code comes with a fragment. Code: anything under plugins/, roles/, playbooks/ or meta/, and
   galaxy.yml; Markdown files there (roles/<role>/README.md) are documentation, not code. The change is, in order:
   - BASE..HEAD plus the work tree, BASE from --base or the environment variable CHANGELOG_BASE (a CI job that
     tests a pull request sets it to the target branch): the change must add or modify a fragment (a release,
     which changes changelogs/changelog.yaml, counts too);
   - else the commits a branch has that its upstream (or origin/main) has not, plus the work tree, when it has
     any: a contributor's unpushed work, the same rule;
   - else (a fresh clone of main, as CI's, or a checkout without a remote) everything since the last release, the
     last commit that changed changelogs/changelog.yaml: when it changed code, at least one fragment must be
     waiting in changelogs/fragments/ for the next release.
   A change of code that users do not see (a refactoring, a comment) adds a fragment with only a `trivial:`
   section: antsibull-changelog accepts it and prints it nowhere.
Exit 0 when all hold, 1 with what to fix otherwise.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CODE_DIRS = ("plugins/", "roles/", "playbooks/", "meta/")
CODE_FILES = ("galaxy.yml",)
FRAGMENTS = "changelogs/fragments/"
CHANGES_FILE = "changelogs/changelog.yaml"
FRAGMENT_SUFFIXES = (".yml", ".yaml")
SHOWN = 10  # code paths named in a failure


def git(repo: Path, *args: str, check: bool = True) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=60, check=False)
    if check and result.returncode != 0:
        raise SystemExit("changelog: git %s failed: %s" % (" ".join(args), result.stderr.strip()))
    return result.stdout if result.returncode == 0 else ""


def antsibull(repo: Path, *args: str) -> tuple[int, str]:
    result = subprocess.run([sys.executable, "-m", "antsibull_changelog", *args], cwd=repo, capture_output=True,
                            text=True, timeout=300, check=False)
    return result.returncode, (result.stdout + result.stderr).strip()


def is_code(path: str) -> bool:
    return (path.startswith(CODE_DIRS) or path in CODE_FILES) and not path.endswith(".md")


def is_fragment(path: str) -> bool:
    return path.startswith(FRAGMENTS) and path.endswith(FRAGMENT_SUFFIXES)


def changes(repo: Path, base: str | None) -> list[tuple[str, str]]:
    """(status letter, path) of every file a commit in BASE..HEAD touched (base None: none), and of the work tree
    (staged, unstaged, untracked)."""
    found = []
    if base is not None:
        log = git(repo, "log", "--no-renames", "--name-status", "--format=", "%s..HEAD" % base)
        found += [tuple(line.split("\t", 1)) for line in log.splitlines() if "\t" in line]
    found += [tuple(line.split("\t", 1)) for line in git(repo, "diff", "--no-renames", "--name-status", "HEAD",
                                                         check=False).splitlines() if "\t" in line]
    found += [("A", path) for path in git(repo, "ls-files", "--others", "--exclude-standard").splitlines()]
    return [(status[0], path) for status, path in found]


def upstream_base(repo: Path) -> tuple[str, str] | None:
    """(merge-base, name) of HEAD and its upstream (else origin/main) when HEAD has commits that one has not."""
    for ref in ("@{upstream}", "origin/main"):
        name = git(repo, "rev-parse", "--abbrev-ref", "--symbolic-full-name", ref, check=False).strip() or ref
        if not git(repo, "rev-parse", "--verify", "--quiet", ref + "^{commit}", check=False).strip():
            continue
        if int(git(repo, "rev-list", "--count", "%s..HEAD" % ref).strip() or 0) > 0:
            return git(repo, "merge-base", "HEAD", ref).strip(), name
        return None
    return None


def check_fragments(repo: Path, base_arg: str | None) -> list[str]:
    base = base_arg or os.environ.get("CHANGELOG_BASE") or None
    how = "the commits since %s (%s)" % (base, "--base" if base_arg else "CHANGELOG_BASE")
    if base is None:
        found = upstream_base(repo)
        if found:
            base, how = found[0], "the commits not on %s" % found[1]
    else:
        base = git(repo, "rev-parse", "--verify", "--quiet", base + "^{commit}", check=False).strip() or base
    if base is not None:
        if not git(repo, "rev-parse", "--verify", "--quiet", base + "^{commit}", check=False).strip():
            return ["%s: no such commit here (a shallow clone? fetch the history, or set CHANGELOG_BASE to a commit "
                    "of this repository)" % how]
        touched = changes(repo, base)
        code = sorted({path for status, path in touched if is_code(path)})
        described = [path for status, path in touched
                     if (is_fragment(path) and status in "AMC") or path == CHANGES_FILE]
        print("changelog: %s, %s..HEAD and the work tree: %d code file(s) changed, %d fragment(s) added or changed"
              % (how, base[:12], len(code), len(described)))
        if code and not described:
            return ["%s change code (%s%s) but add no changelog fragment: add changelogs/fragments/<topic>.yml "
                    "(CONTRIBUTING.md \"Changelog fragments\"; a `trivial:` section for a change users do not see)"
                    % (how, ", ".join(code[:SHOWN]), ", ..." if len(code) > SHOWN else "")]
        return []
    release = git(repo, "log", "-1", "--format=%H", "--", CHANGES_FILE).strip()
    if not release:
        print("changelog: no release in %s yet: nothing to compare against" % CHANGES_FILE)
        return []
    touched = changes(repo, release)
    code = sorted({path for status, path in touched if is_code(path)})
    waiting = sorted(path.name for path in (repo / FRAGMENTS).glob("*") if is_fragment(FRAGMENTS + path.name))
    print("changelog: since the last release (%s, last change of %s): %d code file(s) changed, %d fragment(s) "
          "waiting" % (release[:12], CHANGES_FILE, len(code), len(waiting)))
    if code and not waiting:
        return ["code changed since the last release (%s%s) but changelogs/fragments/ holds no fragment: add "
                "changelogs/fragments/<topic>.yml (CONTRIBUTING.md \"Changelog fragments\")"
                % (", ".join(code[:SHOWN]), ", ..." if len(code) > SHOWN else "")]
    return []


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--base", help="the commit the change starts from (default: $CHANGELOG_BASE, else the "
                                       "upstream, else the last release)")
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[2])
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    problems = []

    code, output = antsibull(repo, "lint")
    if code != 0 or output:
        problems.append("antsibull-changelog lint (the fragments in changelogs/fragments/):\n" + output)
    code, output = antsibull(repo, "lint-changelog-yaml", CHANGES_FILE)
    if code != 0 or output:
        problems.append("antsibull-changelog lint-changelog-yaml %s:\n%s" % (CHANGES_FILE, output))
    with tempfile.TemporaryDirectory() as tmp:
        generated = Path(tmp) / "CHANGELOG.md"
        code, output = antsibull(repo, "generate", "--output", str(generated), "--output-format", "md")
        if code != 0:
            problems.append("antsibull-changelog generate:\n" + output)
        elif not (repo / "CHANGELOG.md").is_file() or (repo / "CHANGELOG.md").read_text() != generated.read_text():
            problems.append("CHANGELOG.md is not what `antsibull-changelog generate` writes from %s: do not edit it "
                            "(add a fragment), run `antsibull-changelog generate`" % CHANGES_FILE)

    problems += check_fragments(repo, args.base)
    for problem in problems:
        print("changelog: FAILED: " + problem)
    if not problems:
        print("changelog: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
