#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: server_state
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
short_description: Whether the W&B server is exactly as wanted, in one read-only look; records a converge
description:
  - With O(state=checked) (read only), finds in one process whether the wandb_server role's converge path would change
    anything. It looks at the Docker Engine reachable through the Python Docker SDK; the directories (owner, group,
    mode); the custom CA files (content, owner, mode) and none left that is no longer listed; the admin API key file
    kept (0600); the env file exactly as the P(wandb_local.server.env_file#module) module would write it, mode 0600;
    the container existing, running, on the image the image name gives, being the container the last converge left
    (its id), with the same definition and env file as then (a fingerprint), and with the restart policy, memory, CPUs
    and networks wanted (what C(docker update) or C(docker network) change in place); and C(GET) of the readiness URL
    answering 2xx.
  - Returns RV(in_sync) and RV(drift), sentences saying what differs (never a value of the environment or a key),
    and the container and image as P(wandb_local.server.settings_info#module) returns them.
  - With O(state=recorded), after a successful converge, writes the record the check compares with (0600, beside
    the env file) - the fingerprint of O(container) and of the env file, the container's id and image id.
  - Never fails for what it finds, but for a Docker Engine it cannot reach or a missing Python Docker SDK (as
    P(wandb_local.server.settings_info#module) does), naming O(container)'s C(docker_host).
options:
  state:
    description: V(checked) looks; V(recorded) writes the record of a converge.
    type: str
    choices: [checked, recorded]
    default: checked
  container:
    description:
      - The container definition the wandb_server role gives community.docker.docker_container (name, image,
        docker_host, restart_policy, memory, cpus, networks, ...; options it omits as null). Its fingerprint is
        recorded; C(name), C(image) and C(docker_host) name the container, its image and the engine; C(restart_policy),
        C(memory), C(cpus) and C(networks) are compared with the container.
    type: dict
    required: true
  state_file:
    description: The record of the last converge (JSON, 0600).
    type: path
    required: true
  env_file:
    description: The server's env file.
    type: path
    required: true
  env:
    description: Variables the env file holds (as the env_file module's O(wandb_local.server.env_file#module:env)).
    type: dict
    default: {}
  secret_env:
    description: Secret variables the env file holds. Never shown.
    type: dict
    default: {}
  keep:
    description: As the env_file module's O(wandb_local.server.env_file#module:keep).
    type: list
    elements: str
    default: []
  admin_key_file:
    description:
      - The kept admin API key (the kept_secret module's file). When given, it must exist, hold the key (O(admin_key)
        when given), mode 0600, and the key goes into the env file as O(admin_key_variable) unless O(env) or
        O(secret_env) name that variable.
    type: path
  admin_key:
    description: The admin API key given in the inventory (wins over the kept one). Never shown.
    type: str
    default: ""
  admin_key_variable:
    description: The variable of the env file that carries the admin key.
    type: str
    default: GLOBAL_ADMIN_API_KEY
  unlisted:
    description: Regular files of C(directory) matching C(pattern) that O(files) does not list are drift (the role
      removes them).
    type: list
    elements: dict
    default: []
    suboptions:
      directory: {description: The directory., type: path, required: true}
      pattern: {description: A shell pattern of file names., type: str, required: true}
  health_url:
    description: The readiness URL; one C(GET) must answer 2xx. Only asked when nothing else differs.
    type: str
  health_timeout:
    description: Seconds the readiness request may take.
    type: float
    default: 5
  drift:
    description: Reasons to converge the caller knows already (e.g. an image pulled on every run).
    type: list
    elements: str
    default: []
  checks:
    description:
      - Read-only checks of the integrations the server will use, run first, in this module run, each failing the
        task with its own message before anything of the server is read. C(redis) takes the options of
        M(wandb_local.server.redis_check) (a C(PING) with the credentials and TLS the server will use), C(oidc) those
        of M(wandb_local.server.oidc_check) (the provider's discovery document); their secrets are masked as there.
      - site.yml hands the redis and oidc roles' checks to this run, so that a no-change run checks every integration
        in one module run.
    type: dict
    default: {}
  docker_socket:
    description:
      - The Docker Engine's socket on the host. When given, this check also answers the docker_host role's
        questions (is there an engine socket, can this interpreter import the Docker SDK); when either is missing,
        the result says so in RV(docker_missing), with O(state=checked) C(in_sync=false) and no container or image,
        instead of failing. site.yml lets this run stand in for the role's own check on a host that needs nothing
        else of it, and includes the role only when something is missing.
      - An empty string looks for the SDK only (an engine reached over C(tcp://) or C(ssh://)).
    type: path
extends_documentation_fragment:
  - wandb_local.server._checked_paths
requirements:
  - docker (the Python Docker SDK) on the managed host
notes:
  - Check mode changes nothing with either state (O(state=recorded) reports whether it would write).
"""

EXAMPLES = r"""
- name: Check whether the server is as wanted (read only)
  wandb_local.server.server_state:
    container: {name: wandb-local, image: "wandb/local:0.70.0", restart_policy: unless-stopped}
    state_file: /etc/wandb-local/wandb-local.state
    env_file: /etc/wandb-local/wandb-local.env
    env: {HOST: "https://wandb.example.com"}
    secret_env: {LICENSE: "{{ vault_wandb_license }}"}
    directories: [{path: /etc/wandb-local, owner: root, group: root, mode: "0700"}]
    health_url: http://127.0.0.1:8080/ready
  register: server

- name: After a converge, record it
  wandb_local.server.server_state:
    state: recorded
    container: {name: wandb-local, image: "wandb/local:0.70.0", restart_policy: unless-stopped}
    state_file: /etc/wandb-local/wandb-local.state
    env_file: /etc/wandb-local/wandb-local.env
  when: not server.in_sync
"""

RETURN = r"""
in_sync:
  description: Whether nothing differs (O(state=checked)).
  returned: always
  type: bool
drift:
  description: What differs, one sentence each; never a value of the environment or a key.
  returned: always
  type: list
  elements: str
  sample: ["the container wandb-local is not running (exited)"]
container:
  description: The container before this run (id null when there is none), as settings_info returns it.
  returned: always
  type: dict
  sample: {name: wandb-local, id: null, running: false, image: null, image_id: null}
image:
  description: The image O(container) names (C(image)) and its id on the host (null when it is not there).
  returned: always
  type: dict
checks:
  description: The result of each check of O(checks), as its module returns it.
  returned: always
  type: dict
  sample: {redis: {pong: true, redis_version: "7.0.15", tls: false, authenticated: true}}
docker_missing:
  description: With O(docker_socket), what is missing to run the server (empty when nothing is).
  returned: always
  type: str
  sample: "no Docker Engine socket at /var/run/docker.sock"
"""

import traceback

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.wandb_local.server.plugins.module_utils import _env_file
from ansible_collections.wandb_local.server.plugins.module_utils import _server_checks as sc
from ansible_collections.wandb_local.server.plugins.module_utils import _server_state as ss
from ansible_collections.wandb_local.server.plugins.module_utils import _wandb_container as wc


def _docker_facts(container, attrs, api):
    """(before, image) as settings_info returns them; raises what the SDK raises."""
    before = dict(name=container["name"], id=None, running=False, image=None, image_id=None)
    image = dict(name=container["image"], id=wc.image_id(api, container["image"]))
    if attrs is not None:
        named = (attrs.get("Config") or {}).get("Image")
        before.update(id=attrs["Id"], running=bool((attrs.get("State") or {}).get("Running")), image=named,
                      image_id=attrs.get("Image"),
                      image_current=(attrs.get("Image") == image["id"] if named == container["image"]
                                     else wc.image_still_named(api, attrs)))
    return before, image


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["checked", "recorded"], default="checked"),
            container=dict(type="dict", required=True),
            state_file=dict(type="path", required=True),
            env_file=dict(type="path", required=True),
            env=dict(type="dict", default={}),
            secret_env=dict(type="dict", default={}, no_log=True),
            keep=dict(type="list", elements="str", default=[], no_log=False),
            admin_key_file=dict(type="path", no_log=False),
            admin_key=dict(type="str", default="", no_log=True),
            admin_key_variable=dict(type="str", default="GLOBAL_ADMIN_API_KEY", no_log=False),
            **ss.checked_paths_argument_spec(),
            unlisted=dict(type="list", elements="dict", default=[], options=dict(
                directory=dict(type="path", required=True), pattern=dict(type="str", required=True))),
            health_url=dict(type="str"),
            health_timeout=dict(type="float", default=5),
            drift=dict(type="list", elements="str", default=[]),
            docker_socket=dict(type="path"),
            # Each check's options are validated by its own module's spec (_server_checks.run_checks).
            checks=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    p = module.params
    container = p["container"]
    checks = sc.run_checks(module, p["checks"]) if p["checks"] and p["state"] == "checked" else {}
    missing = wc.docker_missing(p["docker_socket"]) if p["docker_socket"] is not None else ""
    if missing and p["state"] == "checked":
        module.exit_json(changed=False, in_sync=False, drift=[missing], docker_missing=missing, checks=checks,
                         container=dict(name=container.get("name"), id=None, running=False, image=None,
                                        image_id=None),
                         image=dict(name=container.get("image"), id=None))
    wc.require_docker(module)
    for key in ("name", "image"):
        if not container.get(key):
            module.fail_json(msg="server_state: container must give %s (the container definition of the "
                                 "wandb_server role)" % key)
    bad = ss.bad_mode(p["directories"] + p["files"])
    if bad:
        module.fail_json(msg="server_state: mode %r of %s is not an octal mode such as '0700'" % bad)

    if p["state"] == "recorded":
        _api, attrs = wc.connect(module, container.get("docker_host") or None, container["name"])
        if attrs is None:
            module.fail_json(msg="server_state: cannot record the converge of %s: the container does not exist"
                             % container["name"])
        try:
            text = _env_file.read_text(p["env_file"])
            changed = ss.record(p["state_file"], container, text, attrs, module.check_mode)
        except (IOError, OSError, UnicodeDecodeError) as exc:
            module.fail_json(msg="server_state: cannot record the converge in %s: %s" % (p["state_file"], exc),
                             exception=traceback.format_exc())
        module.exit_json(changed=changed, in_sync=True, drift=[], container=None, image=None, docker_missing="",
                         checks=checks)

    drift = list(p["drift"]) + ss.check_paths(p["directories"], p["files"])
    for item in p["unlisted"]:
        drift += ss.check_unlisted(item["directory"], item["pattern"], [f["path"] for f in p["files"]])

    env = dict((str(k), "" if v is None else str(v)) for k, v in p["env"].items())
    secrets = dict((str(k), "" if v is None else str(v)) for k, v in p["secret_env"].items())
    if p["admin_key_file"]:
        key_drift, key = ss.check_admin_key(p["admin_key_file"], p["admin_key"])
        drift += key_drift
        variable = p["admin_key_variable"]
        if variable not in env and variable not in secrets:
            secrets[variable] = key or ""
    if not (p["admin_key_file"] and key_drift):
        env_drift, env_text = ss.check_env_file(p["env_file"], env, secrets, p["keep"])
    else:
        env_drift, env_text = [], None  # the key the env file must hold is not known yet
    drift += env_drift

    # As settings_info did at this point of a run: an engine that cannot be reached fails the run here, naming it.
    api, attrs = wc.connect(module, container.get("docker_host") or None, container["name"])
    before, image = _docker_facts(container, attrs, api)
    state, problem = ss.read_record(p["state_file"])
    drift += ss.check_container(container, attrs, image["id"], state)
    drift += ss.check_state(state, problem, container, env_text)
    if not drift and p["health_url"]:
        drift += ss.check_ready(p["health_url"], p["health_timeout"])
    module.exit_json(changed=False, in_sync=not drift, drift=drift, container=before, image=image, docker_missing="",
                     checks=checks)


if __name__ == "__main__":
    main()
