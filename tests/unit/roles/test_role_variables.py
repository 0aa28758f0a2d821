# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each role's variables against its argument specification (meta/argument_specs.yml), and the shared variables.

Every public variable of a role is in its `defaults/main.yml` and in its argument specification, with the same default
(a templated default is described, not given). The variables several roles read live once, in the role `_common`
(defaults and argument specification); a role that reads one depends on `_common` (meta/main.yml, which brings the
defaults into its scope), defines none of them itself, never falls back with `| default(...)` on one, and lists the
ones it reads in its own specification with exactly `_common`'s entry (so ansible-doc shows them with the role and its
argument validation checks them). A playbook reading them outside the roles has `_common` among its play's roles.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from support.playbooks import REPO, ansible_env, ansible_tool

ROLES = REPO / "roles"
COMMON = ROLES / "_common"
ROLE_NAMES = sorted(path.name for path in ROLES.iterdir() if (path / "meta" / "main.yml").exists())
READING_ROLES = [name for name in ROLE_NAMES if name != "_common"]


def load(path: Path):
    return yaml.safe_load(path.read_text()) or {}


def defaults(role: str) -> dict:
    path = ROLES / role / "defaults" / "main.yml"
    return load(path) if path.exists() else {}


def specs(role: str) -> dict:
    return load(ROLES / role / "meta" / "argument_specs.yml")["argument_specs"]


def main_options(role: str) -> dict:
    return specs(role)["main"].get("options", {})


SHARED_SPECS = specs("_common")
SHARED = defaults("_common")


def role_text(role: str) -> str:
    """Everything a role templates or runs: tasks, defaults, vars, handlers and templates."""
    parts = []
    for sub in ("tasks", "defaults", "vars", "handlers", "templates"):
        for path in sorted((ROLES / role / sub).rglob("*")):
            if path.is_file():
                parts.append(path.read_text())
    return "\n".join(parts)


def reads(role: str) -> set:
    """The shared variables a role's files use."""
    text = role_text(role)
    return {name for name in SHARED if re.search(r"\b%s\b" % name, text)}


def templated(value) -> bool:
    return "{{" in json.dumps(value)


def test_common_holds_defaults_only_and_costs_no_task():
    # No tasks to run, no handlers; no `main` specification (a dependency's would prepend a validation task to every
    # role that depends on it). One specification, documenting exactly its defaults.
    assert not (COMMON / "tasks").exists() and not (COMMON / "handlers").exists()
    assert list(SHARED_SPECS) == ["shared"]
    assert set(SHARED_SPECS["shared"]["options"]) == set(SHARED)
    assert load(COMMON / "meta" / "main.yml").get("dependencies", []) == []


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_default_is_in_the_argument_spec_with_its_value(role):
    options = SHARED_SPECS["shared"]["options"] if role == "_common" else main_options(role)
    own = defaults(role)
    shared_listed = set(options) & set(SHARED) if role != "_common" else set()
    assert set(own) == set(options) - shared_listed, (
        "defaults/main.yml and meta/argument_specs.yml of %s differ: only in defaults %s, only in the spec %s"
        % (role, sorted(set(own) - set(options)), sorted(set(options) - shared_listed - set(own))))
    for name, value in own.items():
        if templated(value):
            assert "default" not in options[name], "%s: %s has a templated default; describe it instead" % (role, name)
        elif value in ("", [], {}, None):
            assert options[name].get("default", value) == value, "%s: %s" % (role, name)
        else:
            assert options[name].get("default") == value, "%s: default of %s is %r in defaults/main.yml" % (
                role, name, value)


@pytest.mark.parametrize("role", READING_ROLES)
def test_no_role_but_common_defines_a_shared_variable(role):
    for sub in ("defaults", "vars"):
        path = ROLES / role / sub / "main.yml"
        if path.exists():
            assert not set(load(path)) & set(SHARED), "%s/%s/main.yml defines %s: they live in roles/_common" % (
                role, sub, sorted(set(load(path)) & set(SHARED)))


@pytest.mark.parametrize("role", READING_ROLES)
def test_a_role_reading_shared_variables_depends_on_common_and_lists_them(role):
    used = reads(role)
    options = main_options(role)
    assert set(options) & set(SHARED) == used, (
        "%s reads %s; its argument spec lists %s" % (role, sorted(used), sorted(set(options) & set(SHARED))))
    for name in used:
        assert options[name] == SHARED_SPECS["shared"]["options"][name], (
            "%s's argument spec entry for %s differs from roles/_common's: copy that one" % (role, name))
    dependencies = [dep["role"] if isinstance(dep, dict) else dep
                    for dep in load(ROLES / role / "meta" / "main.yml").get("dependencies", [])]
    if used:
        assert "wandb_local.server._common" in dependencies, "%s reads %s: depend on wandb_local.server._common" % (
            role, sorted(used))
    # Entry points other than `main` that validate the role's own variables validate the shared ones it reads too.
    for entry, spec in specs(role).items():
        if set(spec.get("options", {})) >= set(defaults(role)):
            assert set(spec["options"]) & set(SHARED) == used, "%s entry point %s" % (role, entry)


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_no_fallback_copies_of_shared_defaults(role):
    # `wandb_server_port | default(8080)` would be a second source of the default (and hides a missing dependency).
    text = role_text(role)
    for name in SHARED:
        assert not re.search(r"\b%s\s*\|\s*default\b" % name, text), "%s: %s | default(...)" % (role, name)


@pytest.mark.parametrize("playbook", sorted(path.name for path in (REPO / "playbooks").glob("*.yml")))
def test_playbooks_take_the_shared_defaults_from_common(playbook):
    # A playbook that reads a shared variable outside the roles has _common among its play's roles instead.
    text = (REPO / "playbooks" / playbook).read_text()
    for name in SHARED:
        assert not re.search(r"\b%s\s*\|\s*default\b" % name, text), "%s: %s | default(...)" % (playbook, name)


def test_removed_docker_socket_variables_are_gone():
    # One Docker socket variable: wandb_server_docker_host.
    for role in ROLE_NAMES:
        assert not re.search(r"\b(redis_local_docker_host|docker_host_socket)\b",
                             role_text(role) + json.dumps(specs(role)))


def test_ansible_doc_shows_every_role():
    names = ["wandb_local.server.%s" % role for role in ROLE_NAMES]
    proc = subprocess.run([ansible_tool("ansible-doc"), "-t", "role", "--json"] + names, cwd=str(REPO),
                          env=ansible_env(), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    docs = json.loads(proc.stdout)
    assert set(docs) == set(names), proc.stderr[-3000:]
    assert "wandb_server_host" in docs["wandb_local.server.storage"]["entry_points"]["main"]["options"]
