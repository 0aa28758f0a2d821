# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules between instances served by HTTPS front doors (role front_door), checked offline on the controller by
its preflight (site.yml and playbooks/validate.yml): one name per instance, one set of proxy settings per docker
host, one backend port per instance of a docker host."""
from __future__ import annotations

DOCUMENTATION = r"""
name: front_door_conflicts
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
short_description: Problems between W&B instances served by front doors
description:
  - Takes one entry per instance the front door serves and returns what conflicts, as sentences naming the
    variables and the inventory hosts - a name served twice (anywhere in the inventory); on one docker host
    (instances whose C(docker_host) is equal) settings of the one proxy that serves them all that differ (ports,
    admin endpoint, main Caddyfile, sites directory, HTTP/3, imports), a backend port used twice, or a backend port that is
    one of the proxy's own ports.
options:
  _input:
    description:
      - The instances, each a dict with C(host) (inventory name), C(name) (front_door_name), C(docker_host) (what
        identifies the machine, front_door_docker_host), C(backend_port) (wandb_server_port) and the shared settings
        C(https_port), C(http_port), C(admin_address), C(config_file), C(sites_dir), C(http3), C(imports).
    type: list
    elements: dict
    required: true
  host:
    description: Only the problems this inventory host is part of; omitted - all.
    type: str
"""

EXAMPLES = r"""
- name: Refuse two instances under one name
  ansible.builtin.assert:
    that: instances | wandb_local.server.front_door_conflicts(inventory_hostname) | length == 0
    fail_msg: "{{ instances | wandb_local.server.front_door_conflicts(inventory_hostname) | join('; ') }}"
"""

RETURN = r"""
_value:
  description: The problems; empty when there are none.
  type: list
  elements: str
"""

_SHARED = (("https_port", "front_door_https_port"), ("http_port", "front_door_http_port"),
           ("admin_address", "front_door_admin_address"), ("config_file", "front_door_config_file"),
           ("sites_dir", "front_door_sites_dir"), ("http3", "front_door_http3"), ("imports", "front_door_imports"))


def _port(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def front_door_conflicts(instances, host=None):
    """The problems of a set of instances (see DOCUMENTATION), only those ``host`` is part of when given; empty list:
    none."""
    problems = []  # (sentence, the hosts it concerns)
    by_name, by_docker_host = {}, {}
    for instance in instances or []:
        by_name.setdefault(str(instance.get("name", "")).lower().rstrip("."), []).append(instance["host"])
        by_docker_host.setdefault(str(instance.get("docker_host", "")), []).append(instance)
    for name, hosts in sorted(by_name.items()):
        if name and len(hosts) > 1:
            problems.append(("front_door_name %s is served twice, by %s: each instance needs its own name"
                             % (name, " and ".join(sorted(hosts))), hosts))
    for docker_host, members in sorted(by_docker_host.items()):
        for key, variable in _SHARED:
            if len({str(member.get(key)) for member in members}) > 1:
                problems.append(("%s differs between the instances on docker host %s (%s): one proxy serves them "
                                 "all, so it must be the same for each" % (
                                     variable, docker_host,
                                     ", ".join("%s: %s" % (member["host"], member.get(key)) for member in members)),
                                 [member["host"] for member in members]))
        by_port = {}
        for member in members:
            backend = _port(member.get("backend_port"))
            by_port.setdefault(backend, []).append(member["host"])
            if backend in (_port(member.get("https_port")), _port(member.get("http_port"))):
                sentence = ("wandb_server_port %d of %s is one of the front door's own ports on docker host %s "
                            "(front_door_https_port, front_door_http_port)" % (backend, member["host"], docker_host))
                problems.append((sentence, [member["host"]]))
        for port, hosts in sorted(by_port.items()):
            if len(hosts) > 1:
                problems.append(("wandb_server_port %d is used by %s on docker host %s: each instance needs its own "
                                 "backend port" % (port, " and ".join(sorted(hosts)), docker_host), hosts))
    return [sentence for sentence, hosts in problems if host is None or host in hosts]


class FilterModule:
    """Front door filters."""

    def filters(self):
        return {"front_door_conflicts": front_door_conflicts}
