# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight costs one task per role, and site.yml validates each argument specification once.

Each role's offline rules live in its vars/main.yml (a `_<role>_preflight_rules` list of `broken`/`msg`, or a Jinja
loop for per-entry rules) and its tasks/preflight.yml reports every broken one in a single assert: the messages
themselves are asserted by tests/integration/bad_input and the front door's preflight tests. site.yml validates a role's
specification through its `preflight` entry point in the check block and skips the `main` one afterwards
(rolespec_validate), which is only honest while the two specifications are the same.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
ROLES = REPO / "roles"
SITE = REPO / "playbooks" / "site.yml"
# Roles whose preflight site.yml's check block includes (wandb_server always, the integrations the inventory enables).
CHECKED = ["wandb_server", "storage", "team_storage", "redis", "oidc", "slack", "front_door", "org", "backup"]
PREFLIGHTS = sorted(ROLES.glob("*/tasks/preflight*.yml"))
CHECKS = ("ansible.builtin.assert", "ansible.builtin.fail")


def load(path: Path):
    return yaml.safe_load(path.read_text()) or []


def walk(tasks):
    """Every task of a task list, inside blocks too."""
    for task in tasks:
        yield task
        for key in ("block", "rescue", "always"):
            yield from walk(task.get(key, []))


def site_includes():
    """site.yml's include_role tasks: (role, tasks_from, rolespec_validate)."""
    out = []
    for task in walk(load(SITE)[0]["tasks"]):
        args = task.get("ansible.builtin.include_role")
        if args:
            out.append((args["name"].rsplit(".", 1)[-1], args.get("tasks_from", "main"),
                        args.get("rolespec_validate", True)))
    return out


@pytest.mark.parametrize("path", PREFLIGHTS, ids=[str(p.relative_to(ROLES)) for p in PREFLIGHTS])
def test_one_check_task_per_preflight_file_and_no_loops(path):
    tasks = list(walk(load(path)))
    checks = [task for task in tasks if any(key in task for key in CHECKS)]
    assert len(checks) <= 1, "%s: the rules belong in vars/main.yml, reported by one task" % path
    assert not [task for task in tasks if "loop" in task or "with_items" in task], "%s: one task, not one per entry" % path


@pytest.mark.parametrize("role", CHECKED)
def test_preflight_and_main_specs_are_the_same(role):
    specs = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    assert specs["preflight"]["options"] == specs["main"]["options"]


def site_parts(name):
    """The parts a site.yml list var names, in order (the literal list its expression starts with)."""
    expression = load(SITE)[0]["vars"][name]
    return ast.literal_eval(re.search(r"\[[^\]]*\]", expression).group(0))


def test_site_validates_each_spec_once():
    includes = site_includes()
    # The check block: the server's preflight, and each integration's in a loop over the enabled ones.
    assert ("wandb_server", "preflight", True) in includes
    assert ("{{ item }}", "preflight", True) in includes
    mains = [(role, validate) for role, entry, validate in includes if entry == "main"]
    # Skipped only when the check block ran (the same flag that makes the roles skip their own rules); the docker
    # host has no preflight entry point in the check block: its main spec is validated.
    assert mains == [
        ("{{ _wandb_part }}", "{{ _wandb_part == 'docker_host' or not (wandb_preflight_checked | bool) }}"),
        ("wandb_server", "{{ not (wandb_preflight_checked | bool) }}"),
        ("{{ _wandb_part }}", "{{ not (wandb_preflight_checked | bool) }}"),
    ]


def test_site_parts_are_the_roles_in_order():
    before, after = site_parts("_wandb_parts_before_server"), site_parts("_wandb_parts_after_server")
    assert before[0] == "docker_host"
    # Every integration role is a part, once; each has its preflight in the check block.
    assert sorted(before[1:] + after) == sorted(set(CHECKED) - {"wandb_server"})
