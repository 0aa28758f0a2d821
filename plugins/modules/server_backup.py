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
  - "O(state=restored) empties the container's data directory and unpacks O(path) into it, with a short-lived
    helper container of O(restore_image) that mounts the same volume or directory (so it works for named volumes,
    bind mounts and remote Docker hosts alike). External MySQL dumps are never restored automatically."
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
removed:
  description: Older backups deleted because of O(keep).
  returned: when state is present
  type: list
  elements: str
"""

import datetime
import gzip
import hashlib
import os
import posixpath
import re
import shutil
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.six.moves.urllib.parse import unquote, urlsplit
from ansible_collections.wandb_local.server.plugins.module_utils import _wandb_container as wc

ARCHIVE_SUFFIX = ".tar.gz"


def backup_name(container_name, label, now):
    """``<container>-<UTC time>[-<label>].tar.gz``: sorts by time, says what it was taken from."""
    safe_label = re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_")
    return "%s-%s%s%s" % (container_name, now.strftime("%Y%m%dT%H%M%SZ"), "-" + safe_label if safe_label else "",
                          ARCHIVE_SUFFIX)


def older_backups(dest_dir, container_name, keep):
    """This container's archives in ``dest_dir`` beyond the ``keep`` newest (names sort by time)."""
    if keep <= 0 or not os.path.isdir(dest_dir):
        return []
    pattern = re.compile(r"^%s-\d{8}T\d{6}Z.*%s$" % (re.escape(container_name), re.escape(ARCHIVE_SUFFIX)))
    mine = sorted(name for name in os.listdir(dest_dir) if pattern.match(name))
    return [os.path.join(dest_dir, name) for name in mine[:-keep]]


def mysql_options(url):
    """(client options file text, database) from ``mysql://user:password@host:port/database``."""
    parts = urlsplit(url)
    database = parts.path.lstrip("/")
    if parts.scheme != "mysql" or not parts.hostname or not database:
        raise ValueError("mysql must look like mysql://user:password@host:port/database")
    lines = ["[client]", "host=%s" % parts.hostname, "port=%d" % (parts.port or 3306)]
    if parts.username:
        lines.append("user=%s" % unquote(parts.username))
    if parts.password:
        lines.append('password="%s"' % unquote(parts.password).replace("\\", "\\\\").replace('"', '\\"'))
    return "\n".join(lines) + "\n", unquote(database)


def _create_private(path):
    """File descriptor of ``path``, created (or truncated) with mode 0600 before anything is written to it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode on O_CREAT: narrow it before the first byte
    return fd


def private_dir(module, path):
    """Create ``path`` with mode 0700; warn when an existing one lets others in (backups hold every secret)."""
    if not os.path.isdir(path):
        os.makedirs(path, 0o700)
        os.chmod(path, 0o700)
    elif stat.S_IMODE(os.stat(path).st_mode) & 0o077:
        module.warn("backup directory %s has mode %04o: others can see the backups' names; 0700 is safer"
                    % (path, stat.S_IMODE(os.stat(path).st_mode)))


def _private_temp(dest_dir, suffix):
    handle, path = tempfile.mkstemp(dir=dest_dir, prefix=".wandb-backup-", suffix=suffix)
    os.close(handle)
    os.chmod(path, 0o600)
    return path


def archive_data(api, container, data_path, dest):
    """Stream ``data_path`` of ``container`` as gzip tar to ``dest`` (mode 0600); (size, sha256)."""
    stream, _stat = api.get_archive(container, data_path)
    with gzip.open(dest, "wb") as out:
        for chunk in stream:
            out.write(chunk)
    digest = hashlib.sha256()
    with open(dest, "rb") as written:
        for block in iter(lambda: written.read(1 << 20), b""):
            digest.update(block)
    return os.path.getsize(dest), digest.hexdigest()


def dump_mysql(module, url, dest):
    """``mysqldump`` of the external database, gzip, to ``dest``; the password goes through a 0600 options file."""
    try:
        options, database = mysql_options(url)
    except ValueError as exc:
        module.fail_json(msg=to_native(exc))
    binary = module.get_bin_path(module.params["mysqldump"])
    if binary is None:
        module.fail_json(msg="%s was not found on the Docker host: install the MySQL client (default-mysql-client or "
                         "mariadb-client), set mysqldump to its path, or turn the database dump off."
                         % module.params["mysqldump"])
    dest_dir = os.path.dirname(dest)
    options_file = _private_temp(dest_dir, ".cnf")
    raw_dump = _private_temp(dest_dir, ".sql")
    try:
        with open(options_file, "w") as handle:
            handle.write(options)
        rc, _out, err = module.run_command([binary, "--defaults-extra-file=" + options_file, "--single-transaction",
                                            "--routines", "--triggers", "--result-file=" + raw_dump,
                                            "--databases", database])
        if rc != 0:
            module.fail_json(msg="mysqldump of database %s failed (rc %d): %s" % (database, rc, err.strip()))
        # Created 0600 before its first byte (a dump holds every user, key and run of the server).
        with open(raw_dump, "rb") as source, os.fdopen(_create_private(dest), "wb") as raw_out, \
                gzip.GzipFile(fileobj=raw_out, mode="wb") as out:
            shutil.copyfileobj(source, out)
    finally:
        for path in (options_file, raw_dump):
            if os.path.exists(path):
                os.remove(path)


def take_backup(module, api, attrs):
    params = module.params
    dest_dir = params["dest_dir"]
    name = backup_name(params["container_name"], params["label"], datetime.datetime.now(datetime.timezone.utc))
    path = os.path.join(dest_dir, name)
    dump = path[:-len(ARCHIVE_SUFFIX)] + "-mysql.sql.gz" if params["mysql"] else ""
    removed = older_backups(dest_dir, params["container_name"], params["keep"] - 1 if params["keep"] > 0 else 0)
    result = dict(changed=True, path=path, mysql_dump=dump, removed=removed, size=0, sha256="")
    if module.check_mode:
        module.exit_json(**result)
    private_dir(module, dest_dir)
    partial = _private_temp(dest_dir, ARCHIVE_SUFFIX)
    try:
        result["size"], result["sha256"] = archive_data(api, attrs["Id"], params["data_path"], partial)
        if dump:
            dump_mysql(module, params["mysql"], dump)
        os.rename(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    for old in removed:
        os.remove(old)
        if os.path.exists(old[:-len(ARCHIVE_SUFFIX)] + "-mysql.sql.gz"):
            os.remove(old[:-len(ARCHIVE_SUFFIX)] + "-mysql.sql.gz")
    module.exit_json(**result)


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
            "backup" if params["state"] == "present" else "restore", name, to_native(exc)))


if __name__ == "__main__":
    main()
