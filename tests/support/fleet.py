# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several W&B instances on this machine from one inventory, for the rollout tests.

Each instance is its own inventory host (local connection) with its own stand-in container, port, data volume,
config dir and backup dir, so the instances share nothing but the Docker engine.
"""
from __future__ import annotations

import json
import sys
import uuid

import docker

from support.playbooks import run_playbook
from support.procs import free_port, url_status


class Fleet:
    """`hosts`: inventory name -> host vars (edit, then `write()`); `run(playbook, *options)` runs ansible-playbook
    on the inventory; `remove(client)` deletes every container and volume."""

    def __init__(self, root, names, group_vars):
        self.root = root
        suffix = uuid.uuid4().hex[:6]
        self.hosts = {}
        for host in names:
            port = free_port()
            name = "wandb-%s-%s" % (host, suffix)
            self.hosts[host] = {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "wandb_server_container_name": name,
                "wandb_server_data_volume": name,
                "wandb_server_port": port,
                "wandb_server_host": "http://127.0.0.1:%d" % port,
                "wandb_server_config_dir": str(root / host / "etc"),
                "wandb_server_backup_dir": str(root / host / "backups"),
            }
        self.group_vars = dict({"wandb_server_image_pull": "never", "wandb_server_bind_address": "127.0.0.1",
                                "wandb_server_health_delay": 1, "wandb_server_health_timeout": 60,
                                "wandb_server_extra_env": {"STANDIN_STARTUP_SECONDS": "1"}}, **group_vars)
        self.inventory = root / "inventory.json"
        self.write()

    def write(self):
        self.inventory.write_text(json.dumps(
            {"all": {"children": {"wandb_servers": {"hosts": self.hosts, "vars": self.group_vars}}}}))

    def container_name(self, host):
        return self.hosts[host]["wandb_server_container_name"]

    def container(self, client, host):
        return client.containers.get(self.container_name(host))

    def ready(self, host):
        return url_status(self.hosts[host]["wandb_server_host"] + "/ready") == 200

    def run(self, playbook, *options, extra_vars=None, timeout=900):
        return run_playbook(playbook, extra_vars, "-i", str(self.inventory), *options, local=False, verbose=False,
                            diff=False, timeout=timeout, env={"ANSIBLE_STDOUT_CALLBACK": "default"})

    def remove(self, client):
        for host in self.hosts:
            for collection in (client.containers, client.volumes):
                try:
                    collection.get(self.container_name(host)).remove(force=True)
                except docker.errors.NotFound:
                    pass
