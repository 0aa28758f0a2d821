#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: container_diagnosis
short_description: Say why a change of the W&B server container failed, and what state it left, secrets redacted
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
description:
  - The task that creates or replaces the server container hides its result (it holds the container's environment,
    secrets included). When it fails, this module names the cause without the secrets - the Docker engine
    unreachable at O(docker_host), the image missing, the port in use (and by which container), the name taken
    by another container - and the container's state afterwards, so the role can recover and the operator learns
    what happened.
  - When the engine does not answer, it waits for it at most O(engine_wait) seconds (an engine restart).
  - Every value of the env file that the collection's secret rule calls secret, and every credential in a URL, is
    replaced by C(********) in what it returns.
  - Reads only; never changes anything.
extends_documentation_fragment:
  - wandb_local.server._attributes.read_only
  - wandb_local.server._wandb_container
options:
  error:
    description:
      - The failed task's message. It is redacted in what the module returns, but Ansible shows a module's
        arguments at C(-vvv), so run this task with C(no_log), as the wandb_server role does, and show its C(cause).
    type: str
    default: ""
  image:
    description: The image the container should run.
    type: str
    default: ""
  port:
    description: The host port the container publishes.
    type: int
  bind_address:
    description: The address the port is published on.
    type: str
    default: 0.0.0.0
  engine_wait:
    description: Seconds to wait for an unreachable Docker engine.
    type: int
    default: 60
"""

EXAMPLES = r"""
- name: Find out why the container task failed
  wandb_local.server.container_diagnosis:
    container_name: wandb-local
    error: "{{ ansible_failed_result.msg | default('') }}"
    image: wandb/local:0.75.0
    port: 8080
  register: diagnosis
"""

RETURN = r"""
cause:
  description: What went wrong, in one sentence, secrets redacted.
  returned: always
  type: str
engine_reachable:
  description: Whether the Docker engine answered (after waiting up to O(engine_wait) seconds).
  returned: always
  type: bool
engine_waited:
  description: Seconds spent waiting for the engine.
  returned: always
  type: float
state:
  description: The container afterwards, C(absent), C(created), C(running), C(exited) (with its exit code)...
  returned: always
  type: str
container:
  description: The container afterwards (C(id), C(status), C(running), C(image), C(error)); null when absent or
    unknown.
  returned: always
  type: dict
image_present:
  description: Whether O(image) is on the Docker host; null when unknown.
  returned: always
  type: bool
port_holder:
  description: The container that publishes O(port), or C(another process), when it is not this container.
  returned: always
  type: str
error:
  description: O(error) with every secret redacted.
  returned: always
  type: str
"""

import re
import socket
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.wandb_local.server.plugins.module_utils import _env_file as envfile
from ansible_collections.wandb_local.server.plugins.module_utils import _wandb_container as wc
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_settings import redactor as redactor_for

_ENGINE_DOWN = re.compile(r"(?i)(connection (refused|aborted|reset)|error connecting|fetching server api version|"
                          r"\(2, 'no such file or directory'\)|remotedisconnected|broken pipe|read timed out|"
                          r"cannot connect to the docker daemon|max retries exceeded)")
# Ansible's own refusal of the task's options (a wrong or unsupported option): not the engine's doing.
_BAD_OPTIONS = re.compile(r"(?i)(unsupported parameters|value of \S+ must be|argument '?\S+'? is of type|"
                          r"missing required arguments|parameters are mutually exclusive)")
_IMAGE_MISSING = re.compile(r"(?i)(no such image|pull access denied|manifest unknown|repository does not exist|"
                            r"not found: manifest)")
_PORT_IN_USE = re.compile(r"(?i)(port is already allocated|address already in use|bind: address)")
_NAME_TAKEN = re.compile(r"(?i)(conflict.*(name|in use)|is already in use by container)")


def redactor(env_file):
    """The collection's redaction (_wandb_settings.redactor) for the secrets of the env file ``env_file``."""
    try:
        env = envfile.read(env_file) if env_file else {}
    except (envfile.EnvFileError, IOError, OSError):
        env = {}
    return redactor_for(env)


def reach_engine(docker_host, wait):
    """(API client or None, seconds waited, last error text)."""
    started = time.monotonic()
    deadline = started + max(0, wait)
    last = ""
    while True:
        try:
            api = wc.client(docker_host, timeout=10)
            api.ping()
            return api, time.monotonic() - started, ""
        except Exception as exc:  # pylint: disable=broad-except  # the SDK raises unrelated types (requests, OSError)
            last = str(exc)
        if time.monotonic() >= deadline:
            return None, time.monotonic() - started, last
        time.sleep(min(2.0, max(0.1, deadline - time.monotonic())))


def port_holder(api, name, port, bind_address):
    """Who publishes ``port`` when it is not container ``name``: a container name, 'another process', or ''."""
    if not port:
        return ""
    for container in api.containers(all=False):
        for binding in container.get("Ports") or []:
            if binding.get("PublicPort") == port:
                names = [n.lstrip("/") for n in container.get("Names") or []]
                return "" if name in names else "container %s" % (names[0] if names else container["Id"][:12])
    probe = "127.0.0.1" if bind_address in ("0.0.0.0", "", "*", "::") else bind_address.strip("[]")
    try:
        with socket.create_connection((probe, port), timeout=2):
            return "another process"
    except OSError:
        return ""


def describe_state(attrs):
    if attrs is None:
        return "absent", None
    state = attrs.get("State") or {}
    status = state.get("Status") or ("running" if state.get("Running") else "unknown")
    info = dict(id=attrs["Id"][:12], status=status, running=bool(state.get("Running")),
                image=(attrs.get("Config") or {}).get("Image"), error=state.get("Error") or "")
    text = status
    if status == "exited":
        text = "exited (code %s)" % state.get("ExitCode")
    return text, info


def explain(error, engine, waited, name, image, image_present, port, holder):
    """The cause of a failed container task in one sentence, from its (redacted) error and what was found."""
    first_line = error.splitlines()[0] if error else "no message"
    if _BAD_OPTIONS.search(error):
        cause = ("Ansible refused the container task's options (%s); check the wandb_server_* variables that set "
                 "them, or the community.docker version (requirements.txt)" % first_line)
    elif _ENGINE_DOWN.search(error):
        cause = "the Docker engine at %s was unreachable during the task (%s)%s" % (
            engine, first_line, "; it answers again after %d s" % waited if waited >= 1 else "; it answers now")
    elif image_present is False or _IMAGE_MISSING.search(error):
        cause = ("the image %s is not on the Docker host and could not be pulled (%s): load it or set "
                 "wandb_server_image / wandb_server_image_tag" % (image, first_line))
    elif holder or _PORT_IN_USE.search(error):
        cause = "port %s is in use by %s (%s): choose another wandb_server_port or free it" % (
            port, holder or "another process", first_line)
    elif _NAME_TAKEN.search(error):
        cause = ("the name %s is taken by another container (%s): another run may be replacing it, or rename or "
                 "remove that container" % (name, first_line))
    else:
        cause = first_line
    return cause


def main():
    module = AnsibleModule(
        argument_spec=wc.container_argument_spec(
            error=dict(type="str", default="", no_log=False),
            image=dict(type="str", default=""),
            port=dict(type="int"),
            bind_address=dict(type="str", default="0.0.0.0"),
            engine_wait=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    wc.require_docker(module)
    p = module.params
    name = p["container_name"]
    redact = redactor(p["env_file"] or wc.default_env_file(name))
    error = redact(p["error"]).strip()
    engine = p["docker_host"] or "the local Docker socket (DOCKER_HOST)"
    result = dict(changed=False, error=error, engine_reachable=False, engine_waited=0.0, state="unknown",
                  container=None, image_present=None, port_holder="", cause="")

    api, waited, engine_error = reach_engine(p["docker_host"], p["engine_wait"])
    result["engine_waited"] = round(waited, 1)
    if api is None:
        result["cause"] = ("the Docker engine at %s does not answer (waited %d s: %s)"
                           % (engine, waited, redact(engine_error)))
        module.exit_json(**result)
    result["engine_reachable"] = True
    try:
        result["state"], result["container"] = describe_state(wc.inspect(api, name))
        if p["image"]:
            try:
                api.inspect_image(p["image"])
                result["image_present"] = True
            except wc.NotFound:
                result["image_present"] = False
        if not (result["container"] or {}).get("running"):
            result["port_holder"] = port_holder(api, name, p["port"], p["bind_address"])
    except Exception as exc:  # pylint: disable=broad-except  # the engine went away again while being read
        result["cause"] = "the Docker engine at %s stopped answering while being read: %s" % (engine, redact(exc))
        module.exit_json(**result)

    result["cause"] = explain(error, engine, waited, name, p["image"], result["image_present"], p["port"],
                              result["port_holder"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
