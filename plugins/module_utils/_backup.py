# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backups of a W&B server's data: names, manifests, verification, listing and retention.

Shared by the server_backup and backup_copy modules, the restore/migrate playbooks, and the scheduled backup runner
that the backup role installs on the Docker host (which runs without Ansible: this file imports the Python standard
library only, plus the Docker SDK lazily, inside the functions that need it).

On disk, in ``<dest_dir>``::

    <container>-<YYYYmmddTHHMMSSZ>[-<label>].tar.gz          the container's data directory (/vol), gzip tar
    <container>-<YYYYmmddTHHMMSSZ>[-<label>]-mysql.sql.gz    external MySQL dump (when there is one)
    <container>-<YYYYmmddTHHMMSSZ>[-<label>].manifest.json   written last, atomically: without it, incomplete

All three are 0600, the directory 0700.
"""
from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile

FORMAT = 1
ARCHIVE_SUFFIX = ".tar.gz"
DUMP_SUFFIX = "-mysql.sql.gz"
MANIFEST_SUFFIX = ".manifest.json"
_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
_MANIFEST_KEYS = ("format", "container_name", "instance", "created", "label", "image", "image_id", "server_version",
                  "settings", "files")


def _utc(now=None):
    return now or datetime.datetime.now(datetime.timezone.utc)


def backup_name(container_name, label="", now=None):
    """``<container>-<UTC time>[-<label>].tar.gz``: sorts by time, says what it was taken from."""
    safe_label = re.sub(r"[^A-Za-z0-9._-]+", "_", label or "").strip("_")
    return "%s-%s%s%s" % (container_name, _utc(now).strftime(_TIME_FORMAT), "-" + safe_label if safe_label else "",
                          ARCHIVE_SUFFIX)


def _archive_pattern(container_name):
    return re.compile(r"^%s-(\d{8}T\d{6}Z)(?:-[A-Za-z0-9._-]*)?%s$"
                      % (re.escape(container_name), re.escape(ARCHIVE_SUFFIX)))


def stem(archive_path):
    """The archive's path without ``.tar.gz``."""
    return archive_path[:-len(ARCHIVE_SUFFIX)] if archive_path.endswith(ARCHIVE_SUFFIX) else archive_path


def manifest_path(archive_path):
    """``X.manifest.json`` beside ``X.tar.gz``."""
    return stem(archive_path) + MANIFEST_SUFFIX


def dump_path(archive_path):
    """``X-mysql.sql.gz`` beside ``X.tar.gz``."""
    return stem(archive_path) + DUMP_SUFFIX


def archive_of(manifest):
    """``X.tar.gz`` of ``X.manifest.json``."""
    return manifest[:-len(MANIFEST_SUFFIX)] + ARCHIVE_SUFFIX


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_entry(path):
    """``{"name", "size", "sha256"}`` of a file of a backup (name without directory)."""
    return {"name": os.path.basename(path), "size": os.path.getsize(path), "sha256": sha256_file(path)}


def create_private(path):
    """File descriptor of ``path``, created (or truncated) with mode 0600 before anything is written to it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode on O_CREAT: narrow it before the first byte
    return fd


def private_temp(directory, suffix):
    """A new empty 0600 file in ``directory`` (hidden name, never mistaken for a backup)."""
    handle, path = tempfile.mkstemp(dir=directory, prefix=".wandb-backup-", suffix=suffix)
    os.close(handle)
    os.chmod(path, 0o600)
    return path


def private_dir(path):
    """Create ``path`` with mode 0700 (parents too). A warning text when an existing one lets others in, else None."""
    if not os.path.isdir(path):
        os.makedirs(path, 0o700)
        os.chmod(path, 0o700)
        return None
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        return ("backup directory %s has mode %04o: others can see the backups' names; 0700 is safer" % (path, mode))
    return None


def write_manifest(archive_path, container_name, files, instance="", label="", image="", image_id="",
                   server_version="", settings=None, created=None):
    """Write ``X.manifest.json`` (0600) beside ``archive_path``, atomically (temporary file, then rename): a backup
    without its manifest is incomplete. ``files`` are paths (or ready ``file_entry`` dicts) of the backup's files;
    ``settings`` must already be masked. Returns (manifest path, manifest dict)."""
    entries = [f if isinstance(f, dict) else file_entry(f) for f in files]
    manifest = {
        "format": FORMAT,
        "container_name": container_name,
        "instance": instance or "",
        "created": _utc(created).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "label": label or "",
        "image": image or "",
        "image_id": image_id or "",
        "server_version": server_version or "",
        "settings": dict(settings or {}),
        "files": entries,
    }
    path = manifest_path(archive_path)
    directory = os.path.dirname(path) or "."
    partial = private_temp(directory, ".json")
    try:
        with open(partial, "w") as handle:
            json.dump(manifest, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return path, manifest


def read_manifest(path):
    """The manifest at ``path`` as a dict; ValueError naming what is wrong when it is not one of format 1."""
    try:
        with open(path) as handle:
            manifest = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ValueError("cannot read backup manifest %s: %s" % (path, exc))
    if not isinstance(manifest, dict):
        raise ValueError("backup manifest %s is not a JSON object" % path)
    if manifest.get("format") != FORMAT:
        raise ValueError("backup manifest %s has format %r, this collection reads format %d"
                         % (path, manifest.get("format"), FORMAT))
    missing = [key for key in _MANIFEST_KEYS if key not in manifest]
    if missing or not isinstance(manifest.get("files"), list) or not manifest["files"]:
        raise ValueError("backup manifest %s lacks %s" % (path, ", ".join(missing or ["files"])))
    return manifest


def verify_backup(manifest_path_):
    """Problems of the backup described by ``manifest_path_`` (empty list: every file is there, with the size and
    SHA-256 the manifest records). Files are looked up beside the manifest."""
    try:
        manifest = read_manifest(manifest_path_)
    except ValueError as exc:
        return [str(exc)]
    problems = []
    directory = os.path.dirname(manifest_path_) or "."
    for entry in manifest["files"]:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not name or os.path.basename(name) != name:
            problems.append("manifest %s lists a file with a bad name: %r" % (manifest_path_, name))
            continue
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            problems.append("%s is missing" % path)
            continue
        size = os.path.getsize(path)
        if size != entry.get("size"):
            problems.append("%s has %d bytes, the manifest says %s" % (path, size, entry.get("size")))
            continue
        if sha256_file(path) != entry.get("sha256"):
            problems.append("%s does not match its SHA-256 in the manifest (corrupt or changed)" % path)
    return problems


def backup_time(archive_name, container_name):
    """UTC datetime encoded in a backup's name, None when the name is not one of this container's backups."""
    match = _archive_pattern(container_name).match(os.path.basename(archive_name))
    if not match:
        return None
    return datetime.datetime.strptime(match.group(1), _TIME_FORMAT).replace(tzinfo=datetime.timezone.utc)


def list_backups(directory, container_name):
    """This container's backups in ``directory``, newest first: dicts with ``archive`` (path), ``manifest`` (path,
    or None when the backup is incomplete), ``dump`` (path or None), ``created`` (UTC datetime from the name),
    ``complete`` (bool: the manifest exists; it is not verified here)."""
    if not os.path.isdir(directory):
        return []
    found = []
    for name in os.listdir(directory):
        created = backup_time(name, container_name)
        if created is None:
            continue
        archive = os.path.join(directory, name)
        manifest = manifest_path(archive)
        dump = dump_path(archive)
        found.append({
            "archive": archive,
            "manifest": manifest if os.path.isfile(manifest) else None,
            "dump": dump if os.path.isfile(dump) else None,
            "created": created,
            "complete": os.path.isfile(manifest),
        })
    # Names sort by time; the name breaks ties between two backups of the same second.
    found.sort(key=lambda b: (b["created"], os.path.basename(b["archive"])), reverse=True)
    return found


def expired_backups(directory, container_name, keep=0, max_age_days=0, now=None):
    """Backups to delete, oldest last: beyond the ``keep`` newest (0: no limit by count), and those older than
    ``max_age_days`` (0: no limit by age). The newest complete backup is never expired by age (a timer that stopped
    working must not leave no backup at all)."""
    backups = list_backups(directory, container_name)
    expired = []
    newest_complete = next((b for b in backups if b["complete"]), None)
    limit = _utc(now) - datetime.timedelta(days=max_age_days) if max_age_days and max_age_days > 0 else None
    for index, backup in enumerate(backups):
        if keep and keep > 0 and index >= keep:
            expired.append(backup)
        elif limit is not None and backup["created"] < limit and backup is not newest_complete:
            expired.append(backup)
    return expired


def remove_backup(backup):
    """Delete a backup's files (manifest first, so a half-deleted backup reads as incomplete)."""
    removed = []
    for path in (backup.get("manifest"), backup["archive"], backup.get("dump") or dump_path(backup["archive"])):
        if path and os.path.exists(path):
            os.remove(path)
            removed.append(path)
    return removed


def backup_age_hours(directory, container_name, now=None):
    """(hours since the newest complete backup, its archive path), or (None, None) when there is none."""
    for backup in list_backups(directory, container_name):
        if backup["complete"]:
            return (_utc(now) - backup["created"]).total_seconds() / 3600.0, backup["archive"]
    return None, None


# ---------------------------------------------------------------------------------------------------------
# Taking the data: the container's data directory through the Docker Engine API, an external MySQL dump.
# ---------------------------------------------------------------------------------------------------------
def archive_container(api, container, data_path, dest):
    """Stream ``data_path`` of ``container`` (docker.APIClient) as gzip tar to ``dest`` (0600); (size, sha256)."""
    stream, _stat = api.get_archive(container, data_path)
    with os.fdopen(create_private(dest), "wb") as raw_out, gzip.GzipFile(fileobj=raw_out, mode="wb") as out:
        for chunk in stream:
            out.write(chunk)
    return os.path.getsize(dest), sha256_file(dest)


def mysql_options(url):
    """(client options file text, database) from ``mysql://user:password@host:port/database``."""
    try:
        from urllib.parse import unquote, urlsplit
    except ImportError:  # pragma: no cover - Python 2
        from urllib import unquote  # type: ignore
        from urlparse import urlsplit  # type: ignore
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


def dump_mysql(url, dest, binary, run):
    """``mysqldump --single-transaction`` of the external database, gzip, to ``dest`` (0600). The password goes
    through a 0600 options file, never the command line. ``run(argv) -> (rc, out, err)``. Raises ValueError with
    the reason when it fails."""
    options, database = mysql_options(url)
    directory = os.path.dirname(dest) or "."
    options_file = private_temp(directory, ".cnf")
    raw_dump = private_temp(directory, ".sql")
    try:
        with open(options_file, "w") as handle:
            handle.write(options)
        rc, _out, err = run([binary, "--defaults-extra-file=" + options_file, "--single-transaction",
                             "--routines", "--triggers", "--result-file=" + raw_dump, "--databases", database])
        if rc != 0:
            raise ValueError("mysqldump of database %s failed (rc %d): %s" % (database, rc, (err or "").strip()))
        with open(raw_dump, "rb") as source, os.fdopen(create_private(dest), "wb") as raw_out, \
                gzip.GzipFile(fileobj=raw_out, mode="wb") as out:
            shutil.copyfileobj(source, out)
    finally:
        for path in (options_file, raw_dump):
            if os.path.exists(path):
                os.remove(path)


def take_backup(api, attrs, dest_dir, data_path="/vol", label="", mysql="", mysqldump="mysqldump", run=None,
                instance="", settings=None, server_version="", keep=0, max_age_days=0, now=None):
    """Archive ``data_path`` of the container ``attrs`` (its ``docker inspect``) into ``dest_dir``, dump the external
    MySQL ``mysql`` beside it when set, write the manifest last, then apply the retention (``keep`` newest,
    ``max_age_days``). The caller makes sure the data is quiet (server stopped). Returns a dict: path, size,
    sha256, mysql_dump, manifest, removed (archives deleted), warnings. Raises ValueError/OSError (nothing of the
    new backup is left behind then)."""
    container_name = attrs["Name"].lstrip("/")
    now = _utc(now)
    warnings = [w for w in [private_dir(dest_dir)] if w]
    name = backup_name(container_name, label, now)
    path = os.path.join(dest_dir, name)
    dump = dump_path(path) if mysql else ""
    if os.path.exists(path) or os.path.exists(manifest_path(path)):
        raise ValueError("backup %s exists already (two backups in the same second with the same label)" % path)
    partial = private_temp(dest_dir, ARCHIVE_SUFFIX)
    try:
        size, digest = archive_container(api, attrs["Id"], data_path, partial)
        files = [{"name": name, "size": size, "sha256": digest}]
        if dump:
            dump_mysql(mysql, dump, mysqldump, run)
            files.append(file_entry(dump))
        os.rename(partial, path)
        manifest, _content = write_manifest(
            path, container_name, files, instance=instance, label=label,
            image=(attrs.get("Config") or {}).get("Image") or "", image_id=attrs.get("Image") or "",
            server_version=server_version, settings=settings, created=now)
    except BaseException:
        for leftover in (partial, path, dump):
            if leftover and os.path.exists(leftover):
                os.remove(leftover)
        raise
    removed = []
    for old in expired_backups(dest_dir, container_name, keep, max_age_days, now):
        if old["archive"] != path:
            remove_backup(old)
            removed.append(old["archive"])
    return {"path": path, "size": size, "sha256": digest, "mysql_dump": dump, "manifest": manifest,
            "removed": removed, "warnings": warnings}
