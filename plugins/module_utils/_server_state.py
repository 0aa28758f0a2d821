# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a W&B server is exactly as the wandb_server role wants it: one read-only look, in one process.

The role's converge path (lock, files, image, container, health) costs a module run per step; a no-change run needs
none of them when this look finds nothing to do. Every check answers with drift reasons (sentences naming what
differs, never a value of the environment or a key); an empty list means the converge path would change nothing.
What it cannot see directly, the container's definition, it compares through a record the role writes after each
successful converge (``record``): the fingerprint of the definition it gave community.docker.docker_container and of
the env file the container was compared with, and the id of that container. A container recreated or updated by
hand has another id; a changed definition or env file another fingerprint; what ``docker update`` changes in place
(restart policy, memory, CPUs) and the networks are read from the container itself.

``fingerprint(container, env_text) -> str``
    sha256 of the container definition (a dict, keys sorted) and of the env file's text.
``read_record(path) -> (record or None, problem or None)``
``record(path, container, env_text, attrs, check_mode) -> bool``
    Writes ``{version, fingerprint, container_id, image_id}`` (0600, atomically) when it differs; True when it did.
``check_directory(path, owner, group, mode)``, ``check_file(path, content, owner, group, mode)``,
``check_unlisted(directory, pattern, listed)``, ``check_env_file(...)``, ``check_admin_key(path, given)``,
``check_container(api, container, attrs, image_id, record)``, ``check_ready(url, timeout)``
    Lists of drift reasons.
"""
from __future__ import annotations

import errno
import fnmatch
import grp
import hashlib
import json
import os
import pwd
import stat

from ansible_collections.wandb_local.server.plugins.module_utils import _env_file
from ansible_collections.wandb_local.server.plugins.module_utils import _kept_secret

VERSION = 1


def _sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(container, env_text):
    """sha256 of the container definition ``container`` (a dict; keys sorted) and the env file text."""
    return _sha256(json.dumps({"container": container, "env_file": _sha256(env_text or "")}, sort_keys=True,
                              separators=(",", ":"), default=str))


def read_record(path):
    """(record, None) or (None, why there is no usable record)."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None, "no record of a converge of this server yet (%s): the full path runs once and writes it" % path
        return None, "cannot read the record %s ([Errno %s] %s)" % (path, exc.errno, exc.strerror)
    except ValueError:
        return None, "the record %s is not JSON" % path
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return None, "the record %s is of another version" % path
    return data, None


def record(path, container, env_text, attrs, check_mode):
    """Keep the record of a converge (see the module docstring); True when the file was (or would be) written."""
    wanted = {"version": VERSION, "fingerprint": fingerprint(container, env_text), "container_id": attrs.get("Id"),
              "image_id": attrs.get("Image")}
    current, _problem = read_record(path)
    mode = _env_file.file_mode(path)
    if current == wanted and mode == 0o600:
        return False
    if not check_mode:
        _env_file.write(path, json.dumps(wanted, sort_keys=True) + "\n", mode=0o600, what="state record")
    return True


def _numeric_id(name, lookup, attribute):
    """A user or group given by name or number, as a number; None when not given; -1 when unknown (never equal: the
    converge path says what is wrong)."""
    if name is None or isinstance(name, int) or str(name).isdigit():
        return None if name is None else int(name)
    try:
        return getattr(lookup(name), attribute)
    except KeyError:
        return -1


def _uid(owner):
    return _numeric_id(owner, pwd.getpwnam, "pw_uid")


def _gid(group):
    return _numeric_id(group, grp.getgrnam, "gr_gid")


def octal_mode(mode):
    """An octal mode given as text ('0700') or a number; None when not given. Raises ValueError."""
    if mode is None:
        return None
    return int(mode, 8) if isinstance(mode, str) else int(mode)


def _attributes(what, path, info, owner, group, mode):
    drift = []
    uid, gid, wanted_mode = _uid(owner), _gid(group), octal_mode(mode)
    if uid is not None and info.st_uid != uid:
        drift.append("%s %s: owner uid %d, wanted %s" % (what, path, info.st_uid, owner))
    if gid is not None and info.st_gid != gid:
        drift.append("%s %s: group gid %d, wanted %s" % (what, path, info.st_gid, group))
    if wanted_mode is not None and stat.S_IMODE(info.st_mode) != wanted_mode:
        drift.append("%s %s: mode %04o, wanted %04o" % (what, path, stat.S_IMODE(info.st_mode), wanted_mode))
    return drift


def checked_paths_argument_spec():
    """The ``directories`` and ``files`` options (doc fragment wandb_local.server._checked_paths)."""
    attributes = dict(owner=dict(type="raw"), group=dict(type="raw"), mode=dict(type="raw"))
    return dict(
        directories=dict(type="list", elements="dict", default=[],
                         options=dict(path=dict(type="path", required=True), **attributes)),
        files=dict(type="list", elements="dict", default=[],
                   options=dict(path=dict(type="path", required=True), content=dict(type="str", required=True),
                                **attributes)),
    )


def bad_mode(items):
    """The first ``(mode, path)`` of ``items`` whose mode is not octal, else None."""
    for item in items:
        try:
            octal_mode(item["mode"])
        except ValueError:
            return item["mode"], item["path"]
    return None


def check_paths(directories, files):
    """Drift of the ``directories`` and ``files`` options' entries."""
    drift = []
    for item in directories:
        drift += check_directory(item["path"], item["owner"], item["group"], item["mode"])
    for item in files:
        drift += check_file(item["path"], item["content"], item["owner"], item["group"], item["mode"])
    return drift


def check_directory(path, owner=None, group=None, mode=None):
    """A directory (followed like ansible.builtin.file does) with this owner, group and mode."""
    try:
        info = os.stat(path)
    except OSError:
        return ["directory %s does not exist" % path]
    if not stat.S_ISDIR(info.st_mode):
        return ["%s is not a directory" % path]
    return _attributes("directory", path, info, owner, group, mode)


def check_file(path, content, owner=None, group=None, mode=None):
    """A regular file holding exactly ``content`` (as ansible.builtin.copy writes it), owner, group, mode."""
    try:
        info = os.stat(path)
        with open(path, "rb") as handle:
            data = handle.read()
    except (IOError, OSError):
        return ["file %s does not exist or cannot be read" % path]
    drift = [] if data == content.encode("utf-8") else ["file %s: content differs" % path]
    return drift + _attributes("file", path, info, owner, group, mode)


def check_unlisted(directory, pattern, listed):
    """Regular files in ``directory`` matching ``pattern`` that ``listed`` (paths) leaves out (the role removes
    them, as ansible.builtin.find finds them: not hidden, not followed)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    listed = set(os.path.basename(path) for path in listed)
    drift = []
    for name in sorted(names):
        if name.startswith(".") or name in listed or not fnmatch.fnmatch(name, pattern):
            continue
        if stat.S_ISREG(os.lstat(os.path.join(directory, name)).st_mode):
            drift.append("%s is no longer listed" % os.path.join(directory, name))
    return drift


def check_admin_key(path, given):
    """(drift, key): the kept admin key as the kept_secret module chooses it (a given one wins; it must be the
    kept one), the file 0600. ``key`` is None when the file does not hold what the converge path would keep."""
    given = (given or "").strip()
    try:
        kept = _kept_secret.read_kept(path)
    except (IOError, OSError, UnicodeDecodeError):
        return ["the admin API key file %s cannot be read" % path], None
    if kept.mode is None:
        return ["the admin API key file %s does not exist" % path], None
    drift = []
    if not kept.value:
        drift.append("the admin API key file %s is empty" % path)
    elif given and kept.value != given:
        drift.append("the admin API key file %s does not hold the given key" % path)
    if kept.mode != _kept_secret.MODE:
        drift.append("the admin API key file %s: mode %04o, wanted %04o" % (path, kept.mode, _kept_secret.MODE))
    return drift, (given or kept.value or None)


def check_env_file(path, env, secret_env, keep):
    """(drift, text): the env file as the env_file module would write it (text equal, mode 0600); ``text`` is the
    file's text (None when missing)."""
    try:
        text = _env_file.read_text(path)
    except (IOError, OSError, UnicodeDecodeError):
        return ["the env file %s cannot be read" % path], None
    if text is None:
        return ["the env file %s does not exist" % path], None
    try:
        current = _env_file.parse(text)
        wanted, _kept, wanted_text = _env_file.wanted(current, env, secret_env, keep)
    except _env_file.EnvFileError:
        return ["the env file %s is not a Docker env file" % path], text
    drift = []
    if text != wanted_text:
        names = _env_file.changed_names(current, wanted)
        drift.append("the env file %s differs%s" % (
            path, (": " + ", ".join(names)) if names else " (comments or order)"))
    mode = _env_file.file_mode(path)
    if mode != 0o600:
        drift.append("the env file %s: mode %04o, wanted 0600" % (path, mode))
    return drift, text


def _bytes(value):
    """Bytes of a Docker memory size such as 8g, 512m, 1024; None when it cannot be read."""
    text = str(value).strip().lower()
    units = {"b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}
    if text.endswith("b") and len(text) > 1 and text[-2] in units:
        text = text[:-1]
    factor = 1
    if text and text[-1] in units:
        factor, text = units[text[-1]], text[:-1]
    try:
        return int(float(text) * factor)
    except ValueError:
        return None


def check_container(container, attrs, image_id, state):
    """The container against the definition: exists, runs, runs the image the name gives, is the one the last
    converge left (``state``, the record) with the same fingerprint, and what docker update changes in place."""
    name = container["name"]
    if attrs is None:
        return ["the container %s does not exist" % name]
    drift = []
    status = (attrs.get("State") or {})
    if not status.get("Running"):
        drift.append("the container %s is not running (%s)" % (name, status.get("Status") or "stopped"))
    elif status.get("Paused"):
        drift.append("the container %s is paused" % name)
    if image_id is None:
        drift.append("the image %s is not on the host" % container["image"])
    elif attrs.get("Image") != image_id:
        drift.append("the container %s runs %s, not %s (%s): an upgrade" % (
            name, attrs.get("Image"), container["image"], image_id))
    if state is not None and state.get("container_id") != attrs.get("Id"):
        drift.append("the container %s was recreated since the last converge" % name)
    host = attrs.get("HostConfig") or {}
    policy = (host.get("RestartPolicy") or {}).get("Name") or "no"
    wanted_policy = container.get("restart_policy") or "no"
    if container.get("restart_policy") is not None and policy != wanted_policy:
        drift.append("the container %s has restart policy %s, wanted %s" % (name, policy, wanted_policy))
    if container.get("memory") not in (None, ""):
        wanted = _bytes(container["memory"])
        if wanted is None or wanted != (host.get("Memory") or 0):
            drift.append("the container %s has a memory limit of %s bytes, wanted %s" % (
                name, host.get("Memory") or 0, container["memory"]))
    if container.get("cpus") not in (None, "", 0):
        wanted = int(round(float(container["cpus"]) * 1e9))
        if wanted != (host.get("NanoCpus") or 0):
            drift.append("the container %s has %s CPUs, wanted %s" % (
                name, (host.get("NanoCpus") or 0) / 1e9, container["cpus"]))
    if container.get("networks"):
        wanted = set((item.get("name") if isinstance(item, dict) else item) for item in container["networks"])
        current = set(((attrs.get("NetworkSettings") or {}).get("Networks") or {}).keys())
        if current != wanted:
            drift.append("the container %s is on the networks %s, wanted %s" % (
                name, ", ".join(sorted(current)) or "none", ", ".join(sorted(wanted))))
    return drift


def check_state(state, problem, container, env_text):
    """The record against the definition and env file given now."""
    if state is None:
        return [problem]
    if state.get("fingerprint") != fingerprint(container, env_text):
        return ["the container definition or the env file changed since the last converge"]
    return []


def check_ready(url, timeout):
    """One GET of the readiness URL, at most ``timeout`` seconds: 2xx or a drift reason."""
    # pylint: disable=import-outside-toplevel  # only needed when everything else is in sync
    from ansible_collections.wandb_local.server.plugins.module_utils._wandb_api import WandbApi, WandbApiError
    try:
        ready, observation, _status = WandbApi(url, timeout=timeout).probe("", timeout)
    except WandbApiError as exc:
        return ["GET %s failed: %s" % (url, exc)]
    return [] if ready else ["GET %s: %s" % (url, observation)]
