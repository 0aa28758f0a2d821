#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: front_door_host_check
short_description: Check a docker host before the front door and the W&B server are put on it
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
description:
  - Fails, before anything changes, when the docker host cannot take the instance behind the front door
    (role C(front_door)).
  - The backend port O(backend_port) must be free, or published by this instance's own container O(container_name)
    (a run after the first, or a server moving behind the front door). Another container or another process
    holding it is named.
  - No other site file in O(sites_dir) may serve O(name) (an instance of another inventory, or one renamed).
  - The proxy's ports O(proxy_ports) must be free or held by the proxy itself (a process named in O(proxy_process)),
    on the listen addresses O(listen_addresses) (empty - every address); another web server holding port 80 or 443
    is named.
  - Listening sockets are read from C(/proc/net/tcp) and C(tcp6), and their processes from C(/proc/<pid>/fd) (root
    sees all of them); published ports from the Docker Engine at O(docker_host) when the Python Docker SDK is there.
  - Read-only; changes nothing.
extends_documentation_fragment:
  - wandb_local.server._attributes.read_only
options:
  name:
    description: The name the front door serves for this instance.
    type: str
    required: true
  sites_dir:
    description: The directory of the proxy's site files, one per instance.
    type: path
    required: true
  site_file:
    description: This instance's site file in O(sites_dir) (not a conflict with itself).
    type: path
    required: true
  backend_address:
    description: The address the W&B server is published on.
    type: str
    default: 127.0.0.1
  backend_port:
    description: The port the W&B server is published on.
    type: int
    required: true
  container_name:
    description: This instance's container.
    type: str
    required: true
  docker_host:
    description: Docker Engine API URL; omit for the default socket.
    type: str
  proxy_ports:
    description: The proxy's own ports (HTTPS, HTTP).
    type: list
    elements: int
    default: []
  listen_addresses:
    description: The addresses the proxy listens on; empty - every address.
    type: list
    elements: str
    default: []
  proxy_process:
    description: Names (C(/proc/<pid>/comm)) of the proxy's processes, which may hold O(proxy_ports).
    type: list
    elements: str
    default: [caddy]
"""

EXAMPLES = r"""
- name: Check the docker host before changing it
  wandb_local.server.front_door_host_check:
    name: wandb.example.com
    sites_dir: /etc/caddy/wandb.d
    site_file: /etc/caddy/wandb.d/wandb-local.caddy
    backend_port: 8080
    container_name: wandb-local
    proxy_ports: [443, 80]
"""

RETURN = r"""
backend:
  description: C(free), C(own) (this instance's container), C(taken) or C(unknown) (a container holds it and the Docker
    SDK cannot say which).
  returned: always
  type: str
backend_holder:
  description: Who holds the backend port when it is not free.
  returned: always
  type: str
proxy_port_holders:
  description: Port to the process holding it (empty when free).
  returned: always
  type: dict
problems:
  description: Why the host cannot take the instance (the module fails when there is one).
  returned: always
  type: list
  elements: str
"""

import glob
import ipaddress
import os
import re

from ansible.module_utils.basic import AnsibleModule

try:
    import docker
    HAS_DOCKER = True
except ImportError:
    HAS_DOCKER = False

_MARKER = re.compile(r"^#\s*wandb-front-door\s+name=(\S+)", re.MULTILINE)
_WILDCARDS = ("0.0.0.0", "::", "", "*")


def _hex_address(text):
    """The address of a /proc/net/tcp{,6} entry (little-endian 32-bit words)."""
    raw = bytes.fromhex(text)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[index:index + 4][::-1] for index in range(0, 16, 4))
    address = ipaddress.IPv6Address(words)
    return str(address.ipv4_mapped or address)


def listeners():
    """[(address, port, inode)] of the listening TCP sockets of this host."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as handle:
                lines = handle.read().splitlines()[1:]
        except (IOError, OSError):
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != "0A":  # 0A: LISTEN
                continue
            address, port = fields[1].split(":")
            found.append((_hex_address(address), int(port, 16), fields[9]))
    return found


def socket_owners():
    """socket inode -> (pid, process name), for the processes this user may read."""
    owners = {}
    for fd_dir in glob.glob("/proc/[0-9]*/fd"):
        pid = fd_dir.split("/")[2]
        try:
            with open("/proc/%s/comm" % pid) as handle:
                comm = handle.read().strip()
            for fd in os.listdir(fd_dir):
                target = os.readlink(os.path.join(fd_dir, fd))
                if target.startswith("socket:["):
                    owners[target[8:-1]] = (int(pid), comm)
        except (IOError, OSError):
            continue
    return owners


def overlaps(listen_address, addresses):
    """Whether a socket listening on ``listen_address`` takes the port from a listener on ``addresses``."""
    if not addresses or listen_address in _WILDCARDS:
        return True
    return any(address in _WILDCARDS or address.strip("[]") == listen_address for address in addresses)


def holders(port, addresses, sockets, owners):
    """[(pid, name)] of the processes listening on ``port`` where ``addresses`` would listen."""
    return [owners.get(inode, (0, "an unknown process")) for address, number, inode in sockets
            if number == port and overlaps(address, addresses)]


def container_publishing(module, port):
    """(container name, None) of the running container that publishes ``port``; ('', error) when unknown."""
    if not HAS_DOCKER:
        return "", "the Python Docker SDK is missing"
    try:
        api = docker.APIClient(base_url=module.params["docker_host"] or None, timeout=20, version="auto")
        for container in api.containers():
            for binding in container.get("Ports") or []:
                if binding.get("PublicPort") == port:
                    names = [name.lstrip("/") for name in container.get("Names") or []]
                    return (names[0] if names else container["Id"][:12]), None
    except Exception as exc:  # pylint: disable=broad-except  # the SDK raises unrelated types (requests, OSError)
        return "", "the Docker engine did not answer (%s)" % exc
    return "", None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            sites_dir=dict(type="path", required=True),
            site_file=dict(type="path", required=True),
            backend_address=dict(type="str", default="127.0.0.1"),
            backend_port=dict(type="int", required=True),
            container_name=dict(type="str", required=True),
            docker_host=dict(type="str"),
            proxy_ports=dict(type="list", elements="int", default=[]),
            listen_addresses=dict(type="list", elements="str", default=[]),
            proxy_process=dict(type="list", elements="str", default=["caddy"]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    problems = []
    result = dict(changed=False, backend="free", backend_holder="", proxy_port_holders={}, problems=problems)
    sockets, owners = listeners(), socket_owners()

    port = p["backend_port"]
    container, docker_error = container_publishing(module, port)
    if container == p["container_name"]:
        result.update(backend="own", backend_holder="container %s" % container)
    elif container:
        result.update(backend="taken", backend_holder="container %s" % container)
    else:
        held = holders(port, [p["backend_address"]], sockets, owners)
        if held:
            pid, comm = held[0]
            if comm == "docker-proxy" and docker_error:
                result.update(backend="unknown", backend_holder="a container (%s, so which one is unknown)"
                              % docker_error)
                module.warn("port %d is published by a container, and %s: it is taken to be %s's own"
                            % (port, docker_error, p["container_name"]))
            else:
                result.update(backend="taken", backend_holder="%s (pid %d)" % (comm, pid) if pid else comm)
    if result["backend"] == "taken":
        problems.append("the backend port %d (wandb_server_port) is in use by %s, not by this instance's container %s: "
                        "choose another wandb_server_port or free the port" % (port, result["backend_holder"],
                                                                               p["container_name"]))

    for proxy_port in p["proxy_ports"]:
        held = [(pid, comm) for pid, comm in holders(proxy_port, p["listen_addresses"], sockets, owners)
                if comm not in p["proxy_process"]]
        result["proxy_port_holders"][str(proxy_port)] = ", ".join(
            "%s (pid %d)" % (comm, pid) if pid else comm for pid, comm in held)
        if held:
            problems.append("port %d, which the front door needs (front_door_https_port / front_door_http_port), is "
                            "in use by %s: stop that service or choose other ports"
                            % (proxy_port, result["proxy_port_holders"][str(proxy_port)]))

    own = os.path.realpath(p["site_file"])
    for path in sorted(glob.glob(os.path.join(p["sites_dir"], "*.caddy"))):
        if os.path.realpath(path) == own:
            continue
        try:
            with open(path) as handle:
                served = [name.lower() for name in _MARKER.findall(handle.read())]
        except (IOError, OSError):
            continue
        if p["name"].lower().rstrip(".") in served:
            problems.append("%s is already served on this host by %s (another instance's site file): each instance "
                            "needs its own front_door_name; remove that file if its instance is gone"
                            % (p["name"], path))
    if problems:
        module.fail_json(msg="; ".join(problems), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
