#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: settings_info
short_description: Read the current settings of a W&B server, secrets masked
version_added: 0.1.0
author: wandb_local.server maintainers (!UNKNOWN)
description:
  - Reads the W&B server's settings from its docker env file and from the running container's environment (Docker
    API) and returns them under their canonical names, with every secret replaced by C(********).
  - Tells which spelling the server is configured with (C(classic) names, C(GORILLA_) names, or C(mixed)), which
    settings are present under both spellings with different values, and whether the env file holds changes the
    container does not run with yet.
options:
  image:
    description:
      - An image reference such as C(wandb/local:0.75.0) to look up on the Docker host as well (RV(image)), e.g. to
        tell whether the container runs it, in the same call.
    type: str
seealso:
  - module: wandb_local.server.settings
extends_documentation_fragment:
  - wandb_local.server._attributes.read_only
  - wandb_local.server._wandb_container
"""

EXAMPLES = r"""
- name: Current settings
  wandb_local.server.settings_info:
  register: wandb_settings

- name: Show whether SSO is configured
  ansible.builtin.debug:
    msg: "OIDC issuer: {{ wandb_settings.settings.oidc_issuer | default('none') }}"
"""

RETURN = r"""
settings:
  description: >-
    The effective settings, canonical names, secrets masked; the container's values when it exists, else the env
    file's.
  returned: always
  type: dict
  sample: {host: http://127.0.0.1:8080, license: "********", local_restore: "true"}
env_file_settings:
  description: Settings in the env file, secrets masked.
  returned: always
  type: dict
container_settings:
  description: Settings in the container's environment, secrets masked; null when there is no container.
  returned: always
  type: dict
env_file:
  description: Path of the env file read.
  returned: always
  type: str
env_file_exists:
  description: Whether the env file exists.
  returned: always
  type: bool
env_file_mode:
  description: Mode of the env file as an octal string, null when it does not exist.
  returned: always
  type: str
  sample: "0600"
env_style:
  description: C(classic), C(gorilla), C(mixed), or null when no setting with two spellings is set.
  returned: always
  type: str
conflicts:
  description: Settings present under both spellings with different values (in the file or the container).
  returned: always
  type: list
  elements: str
pending:
  description: Settings whose value in the env file differs from the running container (a recreate would apply them).
  returned: always
  type: list
  elements: str
image:
  description: The image O(image) names on the Docker host (C(id) null when it is not there); null without O(image).
  returned: always
  type: dict
  sample: {name: "wandb/local:0.75.0", id: "sha256:0123abcd"}
container:
  description: >-
    Name, id, running state, image (as the container was created with it), image_id (the image it runs) and
    image_current (whether the image name still points to image_id) of the container; id null when it does not
    exist.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils import _env_file as envfile
from ansible_collections.wandb_local.server.plugins.module_utils import _wandb_container as wc
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_settings import (
    SETTINGS,
    mask_settings,
    settings_from_env,
)


def style_of(names):
    styles = set()
    for key, name in names.items():
        classic, gorilla, _secret = SETTINGS[key]
        if classic != gorilla:
            styles.add("gorilla" if name == gorilla else "classic")
    if not styles:
        return None
    return styles.pop() if len(styles) == 1 else "mixed"


def main():
    module = AnsibleModule(
        argument_spec=wc.container_argument_spec(image=dict(type="str")),
        supports_check_mode=True,
    )
    p = module.params
    wc.require_docker(module)
    path = p["env_file"] or wc.default_env_file(p["container_name"])
    try:
        text = envfile.read_text(path)
        file_env = envfile.parse(text) if text is not None else {}
    except (envfile.EnvFileError, IOError, OSError) as exc:
        module.fail_json(msg="cannot read env file %s: %s" % (path, exc))
    mode = envfile.file_mode(path)
    api, attrs = wc.connect(module, p["docker_host"], p["container_name"])

    file_values, file_names, file_conflicts = settings_from_env(file_env)
    container = dict(name=p["container_name"], id=None, running=False, image=None, image_id=None)
    container_values = None
    conflicts = set(file_conflicts)
    names = dict(file_names)
    pending = []
    if attrs is not None:
        container_values, c_names, c_conflicts = settings_from_env(wc.env_of(attrs))
        conflicts.update(c_conflicts)
        names = c_names
        container.update(id=attrs["Id"], running=bool((attrs.get("State") or {}).get("Running")),
                         image=(attrs.get("Config") or {}).get("Image"), image_id=attrs.get("Image"),
                         image_current=wc.image_still_named(api, attrs))
        if text is not None:
            pending = sorted(k for k in set(file_values) | set(container_values)
                             if file_values.get(k) != container_values.get(k))
    effective = container_values if container_values is not None else file_values
    module.exit_json(
        changed=False,
        settings=mask_settings(effective),
        env_file_settings=mask_settings(file_values),
        container_settings=mask_settings(container_values) if container_values is not None else None,
        env_file=path,
        env_file_exists=text is not None,
        env_file_mode="%04o" % mode if mode is not None else None,
        env_style=style_of(names),
        conflicts=sorted(conflicts),
        pending=pending,
        container=container,
        image=dict(name=p["image"], id=wc.image_id(api, p["image"])) if p["image"] else None,
    )


if __name__ == "__main__":
    main()
