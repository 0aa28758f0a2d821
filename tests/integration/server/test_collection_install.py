"""The built collection installs and runs with ansible-core alone plus the collections galaxy.yml declares.

A fresh virtualenv holds only the pinned ansible-core (requirements.txt), none of the `ansible` bundle. The
declared dependencies (and theirs) are installed from the bundle's copies in this venv with `ansible-galaxy
collection install -r` (type `dir`: no Galaxy, which is unreachable here), then the README's "As an installed
collection" commands run as written, in a temporary HOME outside the checkout (ANSIBLE_CONFIG an empty file, so
neither the repository's ansible.cfg nor its `collections/` link is used). A used collection missing from
galaxy.yml is then missing from the installation, and the role task files fail to parse.
"""
from __future__ import annotations

import glob
import json
import os
import re
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from support.playbooks import REPO

BUNDLE = Path(sysconfig.get_paths()["purelib"]) / "ansible_collections"
UNREACHABLE_GALAXY = "http://127.0.0.1:9/"  # anything that would ask Galaxy fails at once
TIMEOUT = 120

VALID_INVENTORY = {"wandb_servers": {"hosts": {"wandb-test": {"ansible_connection": "local"}}}}


def _pinned(requirement: str) -> str:
    text = (REPO / "requirements.txt").read_text()
    match = re.search(r"^%s==(\S+)" % re.escape(requirement), text, re.MULTILINE)
    assert match, "requirements.txt pins no %s" % requirement
    return match.group(1)


def _run(cmd, env, cwd, check=True):
    result = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    output = result.stdout + result.stderr
    if check:
        assert result.returncode == 0, "%s failed (%d):\n%s" % (shlex.join(map(str, cmd)), result.returncode, output)
    return result.returncode, output


@pytest.fixture(scope="session")
def core_venv(tmp_path_factory):
    """A virtualenv with the pinned ansible-core only (no `ansible` bundle, no collections), once per session."""
    venv = tmp_path_factory.mktemp("ansible-core-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=TIMEOUT)
    pip = subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                          "ansible-core==" + _pinned("ansible-core")],
                         capture_output=True, text=True, timeout=300, check=False)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    found = subprocess.run([str(venv / "bin/python"), "-c", "import ansible_collections"],
                           capture_output=True, timeout=TIMEOUT, check=False)
    assert found.returncode != 0, "the venv must hold ansible-core alone, without bundled collections"
    return venv


def _declared_dependencies() -> dict:
    return yaml.safe_load((REPO / "galaxy.yml").read_text()).get("dependencies") or {}


def _bundled_closure(names) -> list:
    """The bundle's directories of `names` and of everything they depend on (their MANIFEST.json)."""
    todo, seen = list(names), {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = BUNDLE.joinpath(*name.split("."))
        assert (path / "MANIFEST.json").exists(), "%s is not in the ansible bundle (%s)" % (name, BUNDLE)
        seen[name] = path
        todo.extend(json.loads((path / "MANIFEST.json").read_text())["collection_info"]["dependencies"])
    return sorted(seen.values())


def _used_collections() -> dict:
    """Collections other than this one and ansible.builtin named by FQCN in roles/ playbooks/ plugins/ meta/:
    {collection: sorted names}. In YAML and templates: task keys, module_defaults keys and groups, filters, tests
    and lookups; in Python: imports from ansible_collections."""
    fqcn = r"([a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+)"
    patterns = [re.compile(r"^\s*(?:-\s+)?%s:" % fqcn, re.MULTILINE),           # task / module_defaults keys
                re.compile(r"\|\s*%s" % fqcn),                                  # filters
                re.compile(r"\bis\s+(?:not\s+)?%s" % fqcn),                     # tests
                re.compile(r"""\b(?:lookup|query|q)\(\s*['"]%s""" % fqcn),      # lookups
                re.compile(r"\bgroup/([a-z0-9_]+\.[a-z0-9_]+)\.")]              # action groups
    python_imports = [re.compile(r"\bansible_collections\.([a-z0-9_]+\.[a-z0-9_]+)\.")]
    used: dict = {}
    for top in ("roles", "playbooks", "plugins", "meta"):
        for path in (REPO / top).rglob("*"):
            if path.suffix not in (".yml", ".yaml", ".j2", ".py") or not path.is_file():
                continue
            text = path.read_text()
            if path.suffix != ".py":  # whole-line comments are prose ("blob|queue.core.windows.net")
                text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
            for pattern in python_imports if path.suffix == ".py" else patterns:
                for name in pattern.findall(text):
                    collection = ".".join(name.split(".")[:2])
                    if collection not in ("wandb_local.server", "ansible.builtin"):
                        used.setdefault(collection, set()).add("%s (%s)" % (name, path.relative_to(REPO)))
    return {collection: sorted(names) for collection, names in used.items()}


def _readme_install_commands() -> list:
    """The shell block under README's "As an installed collection": [(cwd marker or None, argv)], comments dropped."""
    readme = (REPO / "README.md").read_text()
    start = readme.index("As an installed collection")
    block = re.search(r"```sh\n(.*?)```", readme[start:], re.DOTALL)
    assert block, "README: no ```sh block after 'As an installed collection'"
    return [shlex.split(line, comments=True) for line in block.group(1).splitlines() if line.split("#")[0].strip()]


def test_used_collections_are_declared():
    declared = _declared_dependencies()
    used = _used_collections()
    assert "amazon.aws" in used and "community.docker" in used, used  # the scan finds what the roles use
    missing = {collection: names for collection, names in used.items() if collection not in declared}
    assert not missing, "used but not in galaxy.yml dependencies: %s" % missing


def test_installed_collection_runs_with_ansible_core_and_declared_dependencies(core_venv, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    empty_cfg = tmp_path / "empty-ansible.cfg"
    empty_cfg.write_text("[defaults]\n")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ANSIBLE_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(PATH=str(core_venv / "bin") + os.pathsep + os.environ.get("PATH", ""), HOME=str(home),
               ANSIBLE_CONFIG=str(empty_cfg), ANSIBLE_GALAXY_SERVER=UNREACHABLE_GALAXY, ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="false")
    installed = home / ".ansible/collections/ansible_collections"

    # The declared dependencies, from the bundle's copies (ansible-galaxy checks galaxy.yml's ranges against them
    # when it installs the collection below, and would ask the unreachable Galaxy for anything missing).
    requirements = tmp_path / "dependencies.yml"
    requirements.write_text(yaml.safe_dump({"collections": [
        {"name": str(path), "type": "dir"} for path in _bundled_closure(_declared_dependencies())]}))
    _run(["ansible-galaxy", "collection", "install", "-r", str(requirements)], env, tmp_path)

    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump(VALID_INVENTORY))
    build_dir = tmp_path / "build"
    commands = _readme_install_commands()
    assert [argv[:3] for argv in commands if argv[0] != "cd"] == [
        ["ansible-galaxy", "collection", "build"], ["ansible-galaxy", "collection", "install"],
        ["ansible-playbook", "wandb_local.server.validate", "-i"], ["ansible-playbook", "wandb_local.server.site", "-i"]]
    cwd = REPO
    for argv in commands:
        argv = [arg.replace("/tmp/wandb-collection", str(build_dir)).replace("your-inventory", str(inventory))
                for arg in argv]
        if argv[0] == "cd":
            cwd = home if argv[1] == "~" else Path(argv[1])
            assert REPO not in cwd.parents and cwd != REPO
            continue
        if any("*" in arg for arg in argv):
            argv = [match for arg in argv for match in (sorted(glob.glob(arg)) if "*" in arg else [arg])]
        if argv[:2] == ["ansible-playbook", "wandb_local.server.site"]:
            argv = argv + ["--syntax-check"]  # a real run would deploy a server on this machine
        code, output = _run(argv, env, cwd)
        if argv[1] == "wandb_local.server.validate":
            assert "failed=0" in output and "ok=" in output, output
        if argv[1] == "wandb_local.server.site":
            assert str(installed / "wandb_local/server/playbooks/site.yml") in output, output
    assert sorted(p.parent.name + "." + p.name for p in installed.glob("*/*")) == sorted(
        ["wandb_local.server"] + [p.parent.name + "." + p.name for p in _bundled_closure(_declared_dependencies())])

    # Every playbook parses, and so does every task file of every role (a static import resolves each module and
    # module_defaults key: a used collection that galaxy.yml does not declare is not installed and fails here).
    for playbook in sorted((installed / "wandb_local/server/playbooks").glob("*.yml")):
        _run(["ansible-playbook", "--syntax-check", "-i", str(inventory), "wandb_local.server." + playbook.stem],
             env, home)
    all_tasks = [{"name": "Every task file of every role", "hosts": "all", "gather_facts": False, "tasks": [
        {"name": "%s %s" % (path.parts[-3], path.stem), "ansible.builtin.import_role": {
            "name": "wandb_local.server." + path.parts[-3], "tasks_from": path.stem}}
        for path in sorted((installed / "wandb_local/server/roles").glob("*/tasks/*.yml"))]}]
    assert len(all_tasks[0]["tasks"]) > 20
    all_tasks_playbook = tmp_path / "all_role_tasks.yml"
    all_tasks_playbook.write_text(yaml.safe_dump(all_tasks))
    _run(["ansible-playbook", "--syntax-check", "-i", str(inventory), str(all_tasks_playbook)], env, home)

    # validate.yml refuses a bad value, naming the variable.
    code, output = _run(["ansible-playbook", "wandb_local.server.validate", "-i", str(inventory),
                         "-e", "wandb_server_port=70000"], env, home, check=False)
    assert code != 0 and "wandb_server_port must be a port number" in output, output


def test_readme_lists_every_filter_and_module():
    """README's "What is in it" names every filter plugin and every module (a glob such as `aws_*` counts), every
    lookup, every public role (internal ones start with `_`) and every playbook."""
    row = {line.split("|")[1].strip(): line for line in (REPO / "README.md").read_text().splitlines()
           if line.startswith(("| filters |", "| modules |", "| lookup |", "| roles |", "| playbooks |"))}
    filters = set()
    for path in (REPO / "plugins/filter").glob("*.py"):
        filters.update(re.findall(r"""["']([a-z0-9_]+)["']\s*:\s*[a-z0-9_]+[,}\s]""",
                                  path.read_text().split("def filters", 1)[1]))
    assert filters and not [name for name in sorted(filters) if "`%s`" % name not in row["filters"]], row["filters"]
    listed = re.findall(r"`([a-z0-9_*]+)`", row["modules"])
    modules = sorted(path.stem for path in (REPO / "plugins/modules").glob("*.py") if path.stem != "__init__")
    patterns = [re.compile(pattern.replace("*", ".*")) for pattern in listed]
    unlisted = [name for name in modules if not any(pattern.fullmatch(name) for pattern in patterns)]
    assert not unlisted, "README's modules row misses %s" % unlisted
    for kind, names in (("lookup", [path.stem for path in (REPO / "plugins/lookup").glob("*.py")]),
                        ("roles", [path.name for path in (REPO / "roles").iterdir()
                                   if (path / "tasks").is_dir() and not path.name.startswith("_")]),
                        ("playbooks", [path.stem for path in (REPO / "playbooks").glob("*.yml")])):
        unlisted = sorted(name for name in names if "`%s`" % name not in row[kind])
        assert names and not unlisted, "README's %s row misses %s" % (kind, unlisted)
