#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: server_backup
version_added: 0.2.0
author: wandb_local.server maintainers (!UNKNOWN)
short_description: Back up a W&B server's data before an upgrade, or restore such a backup
description:
  - "O(state=present) copies the server container's data directory (C(/vol): the embedded MySQL, local files and
    settings) through the Docker Engine API into a gzip tar archive of mode 0600 under O(dest_dir), and, when
    O(mysql) names an external MySQL, dumps that database with C(mysqldump) beside it. Database migrations run
    when a new server version starts, so this is the copy to go back to when an upgrade fails."
  - "The manifest C(X.manifest.json) (0600) is written beside the archive C(X.tar.gz) last and atomically (a
    backup without a manifest is incomplete): format 1, container name, instance, creation time (UTC), label,
    image and image id, server version, the env file's variables with secrets masked, and the name, size and
    SHA-256 of every file of the backup."
  - "O(state=restored) checks the backup against its manifest (O(verify)), then empties the container's data
    directory and unpacks O(path) into it, with a short-lived helper container of O(restore_image) that mounts
    the same volume or directory (so it works for named volumes, bind mounts and remote Docker hosts alike).
    External MySQL dumps are never restored automatically."
  - The container must be stopped (a running server changes its files while they are copied), unless
    O(allow_running=true).
  - Every backup is a new file, so O(state=present) always reports a change; run it only when something is about
    to change (the wandb_server role does so before it replaces the server image).
options:
  state:
    description: V(present) takes a backup, V(restored) restores O(path).
    type: str
    choices: [present, restored]
    default: present
  container_name:
    description: The server container whose data is backed up or restored.
    type: str
    required: true
  data_path:
    description: The data directory inside the container.
    type: str
    default: /vol
  dest_dir:
    description: Directory for the backups (created with mode 0700). Required with O(state=present).
    type: path
  label:
    description: Text added to the backup's file name, such as the image tag being replaced.
    type: str
    default: ""
  keep:
    description: Backups of this container to keep in O(dest_dir), the newest; older ones are deleted. V(0) keeps all.
    type: int
    default: 0
  path:
    description: The backup archive to restore. Required with O(state=restored).
    type: path
  restore_image:
    description: Image of the helper container that empties and refills the data directory; it needs C(sh) and
      C(find). Default the image of the server container.
    type: str
  allow_running:
    description: Copy the data of a running container (not consistent, the database may be mid-write).
    type: bool
    default: false
  mysql:
    description: "The server's external MySQL URL (C(mysql://user:password@host:port/database)); when set, the
      database is dumped too."
    type: str
    default: ""
  mysqldump:
    description: The C(mysqldump) command on the Docker host (package C(default-mysql-client) or C(mariadb-client)).
    type: str
    default: mysqldump
  docker_host:
    description: Docker Engine API URL.
    type: str
    default: unix:///var/run/docker.sock
    aliases: [docker_url]
  timeout:
    description: Seconds to wait for the Docker Engine API and for the restore helper.
    type: int
    default: 600
  env_file:
    description: "The server's env file; its variables go into the backup's manifest with every secret masked.
      Default C(/etc/wandb-local/<container_name>.env) (the wandb_server role's); none when it does not exist."
    type: path
    version_added: 0.3.0
  instance:
    description: Name of the instance (its inventory host) recorded in the manifest.
    type: str
    default: ""
    version_added: 0.3.0
  server_version:
    description: Server version recorded in the manifest (from the server's C(serverInfo)); empty when unknown.
    type: str
    default: ""
    version_added: 0.3.0
  verify:
    description: "With O(state=restored): check the archive (and the MySQL dump) against the sizes and SHA-256 of
      the manifest C(X.manifest.json) beside O(path) before anything is overwritten; a backup without a manifest
      or that does not match fails with C(nothing was overwritten). V(false) restores an archive without manifest
      (made before 0.3.0)."
    type: bool
    default: true
    version_added: 0.3.0
attributes:
  check_mode:
    support: full
    description: Reports the backup or restore it would make; reads the container only.
  diff_mode:
    support: none
    description: Returns no diff.
requirements:
  - docker (Python Docker SDK)
"""

EXAMPLES = r"""
- name: Back up the server before replacing its image
  wandb_local.server.server_backup:
    container_name: wandb-local
    dest_dir: /var/backups/wandb-local
    label: "0.74.0"
    keep: 5
  register: wandb_backup

- name: Put the data back after a failed upgrade
  wandb_local.server.server_backup:
    state: restored
    container_name: wandb-local
    path: "{{ wandb_backup.path }}"
"""

RETURN = r"""
path:
  description: The backup archive written (or that would be written), or the one restored.
  returned: always
  type: str
size:
  description: Size of the archive in bytes (0 in check mode).
  returned: when state is present
  type: int
sha256:
  description: SHA-256 of the archive (empty in check mode).
  returned: when state is present
  type: str
mysql_dump:
  description: The gzip MySQL dump written beside the archive, empty when O(mysql) is not set.
  returned: when state is present
  type: str
manifest:
  description: The manifest written beside the archive.
  returned: when state is present
  type: str
  version_added: 0.3.0
removed:
  description: Older backups deleted because of O(keep) (their archives; their manifests and dumps went too).
  returned: when state is present
  type: list
  elements: str
"""

import gzip
import os
import posixpath
import shutil  # noqa: F401  pylint: disable=unused-import  # the unit tests watch the dump's copy through it
import traceback

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.wandb_local.server.plugins.module_utils import _backup
from ansible_collections.wandb_local.server.plugins.module_utils import _env_file
from ansible_collections.wandb_local.server.plugins.module_utils import _wandb_container as wc
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_settings import mask_env

ARCHIVE_SUFFIX = _backup.ARCHIVE_SUFFIX
backup_name = _backup.backup_name
mysql_options = _backup.mysql_options
_create_private = _backup.create_private


def older_backups(dest_dir, container_name, keep):
    """This container's archives in ``dest_dir`` beyond the ``keep`` newest, oldest last."""
    if keep <= 0:
        return []
    return sorted(b["archive"] for b in _backup.expired_backups(dest_dir, container_name, keep=keep))


def private_dir(module, path):
    """Create ``path`` with mode 0700; warn when an existing one lets others in (backups hold every secret)."""
    warning = _backup.private_dir(path)
    if warning:
        module.warn(warning)


def dump_mysql(module, url, dest):
    """``mysqldump`` of the external database, gzip, to ``dest`` (0600); fail_json naming what to fix."""
    try:
        _backup.mysql_options(url)
    except ValueError as exc:
        module.fail_json(msg=to_native(exc))
    binary = mysqldump_binary(module)
    try:
        _backup.dump_mysql(url, dest, binary, module.run_command)
    except ValueError as exc:
        module.fail_json(msg=to_native(exc))


def mysqldump_binary(module):
    binary = module.get_bin_path(module.params["mysqldump"])
    if binary is None:
        module.fail_json(msg="%s was not found on the Docker host: install the MySQL client (default-mysql-client or "
                         "mariadb-client), set mysqldump to its path, or turn the database dump off."
                         % module.params["mysqldump"])
    return binary


def masked_settings(path):
    """The env file's variables with every secret masked ({} when there is no env file)."""
    if not path or not os.path.isfile(path):
        return {}
    with open(path) as handle:
        return mask_env(_env_file.parse(handle.read()))


def take_backup(module, api, attrs):
    params = module.params
    dest_dir = params["dest_dir"]
    name = params["container_name"]
    if module.check_mode:
        path = os.path.join(dest_dir, _backup.backup_name(name, params["label"]))
        module.exit_json(changed=True, path=path, manifest=_backup.manifest_path(path), size=0, sha256="",
                         mysql_dump=_backup.dump_path(path) if params["mysql"] else "",
                         removed=older_backups(dest_dir, name, params["keep"] - 1 if params["keep"] > 0 else 0))
    if params["mysql"]:
        try:
            _backup.mysql_options(params["mysql"])
        except ValueError as exc:
            module.fail_json(msg=to_native(exc))
        mysqldump = mysqldump_binary(module)
    else:
        mysqldump = None
    try:
        settings = masked_settings(params["env_file"] or wc.default_env_file(name))
    except (OSError, ValueError) as exc:
        module.warn("the manifest lists no settings: cannot read the env file (%s)" % to_native(exc))
        settings = {}
    try:
        result = _backup.take_backup(api, attrs, dest_dir, data_path=params["data_path"], label=params["label"],
                                     mysql=params["mysql"], mysqldump=mysqldump, run=module.run_command,
                                     instance=params["instance"], settings=settings,
                                     server_version=params["server_version"], keep=params["keep"])
    except ValueError as exc:
        module.fail_json(msg="backup of container %s failed, nothing was kept: %s" % (name, to_native(exc)))
    for warning in result.pop("warnings"):
        module.warn(warning)
    module.exit_json(changed=True, **result)


def data_mount(attrs, data_path):
    """The bind spec (``volume-or-host-path:data_path``) that gives a helper container the same data."""
    for mount in attrs.get("Mounts") or []:
        if mount.get("Destination") == data_path:
            source = mount.get("Name") if mount.get("Type") == "volume" else mount.get("Source")
            return "%s:%s" % (source, data_path)
    return None


def restore_backup(module, api, attrs):
    params = module.params
    path, data_path = params["path"], params["data_path"]
    if not os.path.isfile(path):
        module.fail_json(msg="backup %s does not exist on the Docker host" % path)
    if params["verify"]:
        manifest = _backup.manifest_path(path)
        if not os.path.isfile(manifest):
            module.fail_json(msg="backup %s has no manifest %s (an incomplete backup, or one made before manifests "
                             "existed): nothing was overwritten. Set verify=false to restore it anyway."
                             % (path, os.path.basename(manifest)))
        problems = _backup.verify_backup(manifest)
        if problems:
            module.fail_json(msg="backup %s does not verify, nothing was overwritten: %s" % (path, "; ".join(problems)),
                             problems=problems)
    bind = data_mount(attrs, data_path)
    if bind is None:
        module.fail_json(msg="container %s has no volume or bind mount at %s: nothing to restore into"
                         % (params["container_name"], data_path))
    result = dict(changed=True, path=path)
    if module.check_mode:
        module.exit_json(**result)
    image = params["restore_image"] or attrs["Image"]
    # Runs as root: the server's files belong to its own user, and an old file left behind could confuse it.
    helper = api.create_container(image, entrypoint=["sh", "-c", 'find "$0" -mindepth 1 -delete', data_path],
                                  user="0:0", host_config=api.create_host_config(binds=[bind]),
                                  labels={"org.wandb.local.managed-by": "wandb_local.server"})["Id"]
    try:
        api.start(helper)
        status = api.wait(helper, timeout=params["timeout"]).get("StatusCode")
        if status != 0:
            module.fail_json(msg="could not empty %s of %s before the restore (helper exit %s): %s"
                             % (data_path, params["container_name"], status, wc.logs(api, helper, tail=20)))
        with gzip.open(path, "rb") as archive:
            # The archive holds the directory itself (vol/...), so it is unpacked into its parent.
            api.put_archive(helper, posixpath.dirname(data_path.rstrip("/")) or "/", archive.read())
    finally:
        api.remove_container(helper, force=True)
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "restored"], default="present"),
            container_name=dict(type="str", required=True),
            data_path=dict(type="str", default="/vol"),
            dest_dir=dict(type="path"),
            label=dict(type="str", default=""),
            keep=dict(type="int", default=0),
            path=dict(type="path"),
            restore_image=dict(type="str"),
            allow_running=dict(type="bool", default=False),
            mysql=dict(type="str", default="", no_log=True),
            mysqldump=dict(type="str", default="mysqldump"),
            docker_host=dict(type="str", default="unix:///var/run/docker.sock", aliases=["docker_url"]),
            timeout=dict(type="int", default=600),
            env_file=dict(type="path"),
            instance=dict(type="str", default=""),
            server_version=dict(type="str", default=""),
            verify=dict(type="bool", default=True),
        ),
        required_if=[("state", "present", ["dest_dir"]), ("state", "restored", ["path"])],
        supports_check_mode=True,
    )
    wc.require_docker(module)
    params = module.params
    name = params["container_name"]
    api, attrs = wc.connect(module, params["docker_host"], name)
    if attrs is None:
        module.fail_json(msg="container %s does not exist: there is no server data to %s"
                         % (name, "back up" if params["state"] == "present" else "restore into"))
    # In check mode the task that stops the server before this one only predicted the stop.
    if (attrs.get("State") or {}).get("Running") and not params["allow_running"] and not module.check_mode:
        module.fail_json(msg="container %s is running: stop it first so its database is not copied mid-write "
                         "(or set allow_running=true)" % name)
    try:
        if params["state"] == "present":
            take_backup(module, api, attrs)
        restore_backup(module, api, attrs)
    except (wc.APIError, OSError) as exc:
        module.fail_json(msg="%s of container %s failed: %s" % (
            "backup" if params["state"] == "present" else "restore", name, to_native(exc)),
            exception=traceback.format_exc())


if __name__ == "__main__":
    main()
