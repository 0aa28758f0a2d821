# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a run of site.yml changes, from the tags it was given."""
from __future__ import annotations

DOCUMENTATION = r"""
name: run_parts
version_added: 0.2.0
author: wandb_local.server maintainers (!UNKNOWN)
short_description: Which parts of a W&B deployment a site.yml run changes, reads or leaves alone
description:
  - Maps C(--tags) and C(--skip-tags) (the magic variables C(ansible_run_tags) and C(ansible_skip_tags)) to a mode
    per part of site.yml - C(apply) (converge it), C(read) (compute what the server needs from it, changing
    nothing; the role runs in check mode) or C(skip).
  - "Tags: C(server) (docker_host and the server), C(settings) (the server's configuration only), C(docker_host),
    C(wandb_server), C(storage), C(team_storage), C(redis), C(oidc), C(slack); no C(--tags) means all."
  - The server's environment is made of what storage, redis, oidc and slack publish, so whenever the server is
    converged the integrations not selected are read, never left out. Selecting an integration converges the
    server too (its settings are part of it), unless the server is skipped (C(--skip-tags server)).
options:
  _input:
    description: C(ansible_run_tags).
    type: list
    elements: str
    required: true
  skip_tags:
    description: C(ansible_skip_tags).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Deploy
  hosts: wandb_servers
  vars:
    wandb_parts: "{{ ansible_run_tags | wandb_local.server.run_parts(ansible_skip_tags) }}"
  tasks:
    - name: Storage
      ansible.builtin.include_role:
        name: wandb_local.server.storage
        apply:
          tags: [always]
          check_mode: "{{ ansible_check_mode or wandb_parts.storage == 'read' }}"
      when: wandb_parts.storage != 'skip'
      tags: [always]
"""

RETURN = r"""
_value:
  description: Part name to C(apply), C(read) or C(skip).
  type: dict
  sample: {docker_host: skip, storage: apply, team_storage: skip, redis: read, oidc: read, slack: read, server: apply}
"""

from ansible.errors import AnsibleFilterError

# Integrations whose settings become part of the server's environment.
ENV_PARTS = ("storage", "redis", "oidc", "slack")
SERVER_TAGS = ("server", "settings", "wandb_server")
KNOWN_TAGS = frozenset(ENV_PARTS + SERVER_TAGS + ("docker_host", "team_storage", "all", "always", "tagged"))


def run_parts(run_tags, skip_tags=None):
    run_tags = set(run_tags or ["all"])
    skip_tags = set(skip_tags or [])
    unknown = sorted(run_tags - KNOWN_TAGS)
    if unknown and not run_tags & KNOWN_TAGS:
        raise AnsibleFilterError("site.yml has no part tagged %s; its tags are: %s"
                                 % (", ".join(unknown), ", ".join(sorted(KNOWN_TAGS - {"all", "always", "tagged"}))))
    everything = bool(run_tags & {"all", "tagged"})

    def chosen(*tags):
        return (everything or bool(run_tags & set(tags))) and not skip_tags & set(tags)

    server_skipped = bool(skip_tags & set(SERVER_TAGS))
    parts = {
        "docker_host": "apply" if chosen("docker_host", "server") else "skip",
        "team_storage": "apply" if chosen("team_storage") else "skip",
    }
    server = not server_skipped and (chosen(*SERVER_TAGS) or any(chosen(part) for part in ENV_PARTS))
    parts["server"] = "apply" if server else "skip"
    for part in ENV_PARTS:
        parts[part] = "apply" if chosen(part) else ("read" if server else "skip")
    return parts


class FilterModule:
    """Rollout filters."""

    def filters(self):
        return {"run_parts": run_parts}
