# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker Engine access shared by this collection's modules (Docker SDK for Python)."""
from __future__ import annotations

import re
import traceback

try:
    import docker
    from docker.errors import DockerException, NotFound

    HAS_DOCKER = True
    DOCKER_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - reported through missing_required_lib
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = traceback.format_exc()

    class DockerException(Exception):
        pass

    class NotFound(DockerException):
        pass

from ansible.module_utils.basic import missing_required_lib

DOCKER_COMMON_ARGS = dict(
    docker_host=dict(type="str", default="unix:///var/run/docker.sock", aliases=["docker_url"]),
    timeout=dict(type="int", default=60),
)

# Log lines that may carry credentials (LOCAL_RESTORE prints a temporary password) are redacted
# before any of them is shown.
_CREDENTIAL_LINE = re.compile(r"(?i)(password|passwd|secret|api[_ -]?key|token)(\S*\s*[:=]?\s*)(\S+)")


def docker_client(module):
    """A Docker client for the module's docker_host, or fail_json saying what is missing."""
    if not HAS_DOCKER:
        module.fail_json(msg=missing_required_lib("docker"), exception=DOCKER_IMPORT_ERROR)
    try:
        client = docker.DockerClient(base_url=module.params["docker_host"], timeout=module.params["timeout"])
        client.ping()
        return client
    except DockerException as exc:
        module.fail_json(
            msg="Cannot reach the Docker Engine at %s: %s. Is docker running, and may this user use its socket?"
            % (module.params["docker_host"], exc)
        )


def get_container(module, client, name):
    """The container called name, or None."""
    try:
        return client.containers.get(name)
    except NotFound:
        return None
    except DockerException as exc:
        module.fail_json(msg="Cannot inspect container %s: %s" % (name, exc))


def redact(line):
    """A log line with anything that looks like a credential value replaced."""
    return _CREDENTIAL_LINE.sub(lambda m: m.group(1) + m.group(2) + "********", line)


def log_lines(container, tail):
    """The last tail lines of a container's log (stdout and stderr), decoded."""
    raw = container.logs(stdout=True, stderr=True, tail=tail)
    return raw.decode("utf-8", errors="replace").splitlines()
