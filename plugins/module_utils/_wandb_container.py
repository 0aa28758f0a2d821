# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The W&B server container through the Docker SDK, read only: its inspect data, environment and logs, and
whether its environment is the one its env file gives.

Nothing here creates, recreates or changes a container: the wandb_server role does that, with
community.docker.docker_container (roles/wandb_server/tasks/container.yml; tasks_from apply_env applies a changed env
file to the running container).
"""
from __future__ import annotations

import os
import re
import stat
import sys
import traceback

from ansible.module_utils.basic import missing_required_lib

try:
    import docker
    from docker.errors import APIError, NotFound
    HAS_DOCKER = True
    DOCKER_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - depends on the control node
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = traceback.format_exc()

    class APIError(Exception):  # type: ignore[no-redef]
        pass

    class NotFound(APIError):  # type: ignore[no-redef]
        pass


def container_argument_spec(**extra):
    """Options naming the server container and its env file (doc fragment wandb_local.server._wandb_container),
    merged with the module's own options."""
    spec = dict(
        container_name=dict(type="str", default="wandb-local"),
        env_file=dict(type="path"),
        docker_host=dict(type="str"),
    )
    spec.update(extra)
    return spec


def default_env_file(container_name):
    """Where the wandb_server role keeps the env file of container ``container_name``."""
    return "/etc/wandb-local/%s.env" % container_name


def client(docker_host=None, timeout=60):
    """A low-level ``docker.APIClient`` for ``docker_host`` (default: ``DOCKER_HOST`` or the local socket)."""
    if docker_host:
        return docker.APIClient(base_url=docker_host, version="auto", timeout=timeout)
    return docker.APIClient(version="auto", timeout=timeout, **docker.utils.kwargs_from_env())


def inspect(api, name):
    """``docker inspect`` of container ``name``, ``None`` when it does not exist."""
    try:
        return api.inspect_container(name)
    except NotFound:
        return None


def socket_exists(path):
    """Whether ``path`` is a Unix socket (the Docker Engine's, when it runs)."""
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


def docker_missing(socket):
    """What this host lacks to run a container through the SDK, in a sentence (empty when nothing): the Docker SDK
    in this interpreter, or an engine socket at ``socket`` (not looked for when empty)."""
    if not HAS_DOCKER:
        return "the Python Docker SDK cannot be imported by %s" % sys.executable
    if socket and not socket_exists(socket):
        return "no Docker Engine socket at %s" % socket
    return ""


def require_docker(module):
    """fail_json with Ansible's standard message when the Docker SDK is missing."""
    if not HAS_DOCKER:
        module.fail_json(msg=missing_required_lib("docker"), exception=DOCKER_IMPORT_ERROR)


def connect(module, docker_host, name, **fail_kwargs):
    """(API client, ``inspect`` of container ``name`` or None); fail_json naming docker_host when Docker is
    unreachable (``fail_kwargs`` go into that failure's result)."""
    try:
        api = client(docker_host)
        attrs = inspect(api, name)
    except Exception as exc:  # pylint: disable=broad-except  # the SDK raises unrelated types (APIError, requests)
        module.fail_json(msg="cannot reach the Docker daemon (docker_host=%s): %s" % (docker_host, exc),
                         exception=traceback.format_exc(), **fail_kwargs)
    return api, attrs


def image_id(api, name):
    """Id of image ``name`` on the Docker host, None when it is not there."""
    try:
        return api.inspect_image(name)["Id"]
    except APIError:  # NotFound, or a Docker error the pull or container task that follows will report
        return None


def image_still_named(api, attrs):
    """Whether the container's image name (``Config.Image``) still points to the image it runs: false when the
    tag has moved since (a pull) or the name is gone, and then only the image id brings that version back."""
    try:
        return api.inspect_image((attrs.get("Config") or {}).get("Image"))["Id"] == attrs.get("Image")
    except Exception:  # pylint: disable=broad-except  # NotFound, APIError, or no name at all
        return False


def env_of(attrs):
    """The container's environment as a dict (``Config.Env``, the image's variables included)."""
    env = {}
    for item in (attrs.get("Config") or {}).get("Env") or []:
        name, sep, value = item.partition("=")
        env[name] = value if sep else None
    return env


def logs(api, name, since=None, tail="all"):
    """stdout+stderr of the container as text (the last ``tail`` lines, or all)."""
    raw = api.logs(name, stdout=True, stderr=True, timestamps=False, since=since, tail=tail)
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


# Log lines that may carry credentials (LOCAL_RESTORE prints a temporary password) are redacted before
# any of them is shown.
_CREDENTIAL_WORD = re.compile(r"(?i)(password|passwd|secret|api[_ -]?key|token)")


def redact(line):
    """A log line cut after the first word that announces a credential (the value may follow anywhere)."""
    match = _CREDENTIAL_WORD.search(line)
    return line if match is None else line[:match.end()] + " ********"


def image_env(api, attrs):
    """The environment the image of the container sets (``Config.Env`` of the image it runs, by id), as a dict;
    None when the image cannot be read."""
    try:
        return env_of(api.inspect_image(attrs["Image"]))
    except (NotFound, APIError, KeyError):
        return None


def env_differences(attrs, wanted, base_env=None):
    """Names of the variables whose value in the container differs from the one a container created with the
    environment ``wanted`` (the env file, a dict) gets: ``base_env`` (the image's environment) overlaid with
    ``wanted``. That is what community.docker.docker_container compares with ``comparisons: env: strict``, so a
    non-empty answer means the wandb_server role's container task recreates the container. With ``base_env``
    None (the image is unknown) a variable only the container has is not counted: it may come from the image."""
    expected = dict(base_env or {})
    expected.update(wanted)
    current = env_of(attrs)
    names = set(expected) | (set(current) if base_env is not None else set())
    return sorted(name for name in names if name not in current or name not in expected
                  or current[name] != expected[name])
