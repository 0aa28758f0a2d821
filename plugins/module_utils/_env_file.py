# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker env files: parse, render, update in place, write atomically with mode 0600, diff with secrets masked.

The format is the one ``docker run --env-file`` and community.docker's ``env_file`` read: one ``KEY=VALUE`` per
line, the value taken literally up to the end of the line (no quoting, no escapes, no variable expansion), lines
starting with ``#`` and blank lines ignored. A line holding only ``KEY`` makes Docker copy that variable from the
client's environment; such lines are kept as they are and reported with the value ``None``.

Public API (all pure functions, no Ansible objects):

``parse(text) -> dict``
    Variables in file order. Raises ``EnvFileError`` on a line Docker would refuse.
``render(env, header=None) -> str``
    Text of an env file holding ``env`` (optionally preceded by ``# header`` comment lines).
``read(path) -> dict``
    ``parse`` of the file, ``{}`` when it does not exist.
``apply(text, set_vars=None, unset=None) -> str``
    ``text`` with variables changed in place, removed, or appended; comments and order are kept.
``write(path, text, mode=0o600)``
    Atomic write: temporary file in the same directory, ``fsync``, ``rename``; the owner and group of an existing
    file are kept, the mode is always ``mode``.
``update(path, set_vars=None, unset=None, check_mode=False, mode=0o600, header=None) -> dict``
    Read, apply, and write when something differs (or when the mode is wider than ``mode``). Returns
    ``{"changed", "before", "after", "mode_changed", "created"}`` with ``before``/``after`` as dicts.
``masked_diff(before, after, is_secret=None) -> (before_text, after_text)``
    Env-file texts for Ansible's ``diff`` with every secret value replaced by a mask; a secret that changed is
    shown as ``********`` before and ``******** (changed)`` after, so the diff shows *that* it changed, never
    *what* it is.
"""
from __future__ import annotations

import errno
import os
import re
import stat
import tempfile

from ansible_collections.wandb_local.server.plugins.module_utils._wandb_settings import MASK, is_secret_env

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
CHANGED_MASK = MASK + " (changed)"


class EnvFileError(Exception):
    """A file or value that Docker's env-file reader would refuse."""


def _split(line):
    """(name, value) of a variable line, None for a comment/blank line; value None for a bare ``KEY``."""
    stripped = line.lstrip()
    if not stripped or stripped.startswith("#"):
        return None
    if "=" in stripped:
        name, value = stripped.split("=", 1)
    else:
        name, value = stripped, None
    if not name or any(c.isspace() for c in name):
        raise EnvFileError("variable %r contains whitespace or is empty" % name)
    return name, value


def parse(text):
    """Variables of env-file ``text`` in file order (a later line for the same name wins, as in Docker)."""
    env = {}
    for number, line in enumerate(text.splitlines(), 1):
        try:
            item = _split(line)
        except EnvFileError as exc:
            raise EnvFileError("line %d: %s" % (number, exc))
        if item is not None:
            env.pop(item[0], None)
            env[item[0]] = item[1]
    return env


def _check(name, value):
    if not _NAME.match(str(name)):
        raise EnvFileError("%r is not a valid environment variable name" % (name,))
    if value is not None and ("\n" in value or "\r" in value or "\0" in value):
        raise EnvFileError("the value of %s contains a line break or NUL; an env file cannot carry it" % name)


def _line(name, value):
    _check(name, value)
    return name if value is None else "%s=%s" % (name, value)


def render(env, header=None):
    """Env-file text for ``env`` (dict, in its order)."""
    lines = []
    for comment in (header.splitlines() if header else []):
        lines.append(("# " + comment).rstrip())
    lines.extend(_line(name, value) for name, value in env.items())
    return "\n".join(lines) + "\n" if lines else ""


def read_text(path):
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise


def read(path):
    """Variables of the env file at ``path``; ``{}`` when it does not exist."""
    text = read_text(path)
    return parse(text) if text is not None else {}


def apply(text, set_vars=None, unset=None):
    """``text`` with ``set_vars`` changed in place (or appended) and ``unset`` names removed.

    Comments, blank lines and the order of untouched variables are kept. Duplicate lines of a changed
    variable collapse into one (at the position of the first).
    """
    set_vars = dict(set_vars or {})
    unset = set(unset or ())
    both = unset.intersection(set_vars)
    if both:
        raise EnvFileError("cannot set and unset %s at once" % ", ".join(sorted(both)))
    for name, value in set_vars.items():
        _check(name, value)
    out = []
    done = set()
    for line in (text or "").splitlines():
        item = _split(line)
        if item is None:
            out.append(line)
            continue
        name = item[0]
        if name in unset:
            continue
        if name in set_vars:
            if name not in done:
                out.append(_line(name, set_vars[name]))
                done.add(name)
            continue
        out.append(line)
    for name, value in set_vars.items():
        if name not in done:
            out.append(_line(name, value))
    return "\n".join(out) + "\n" if out else ""


def write(path, text, mode=0o600):
    """Write ``text`` to ``path`` atomically with ``mode``; keep the owner/group of an existing file."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    owner = None
    try:
        st = os.stat(path)
        owner = (st.st_uid, st.st_gid)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, mode)
        if owner is not None:
            try:
                os.fchown(fd, owner[0], owner[1])
            except OSError as exc:
                if exc.errno != errno.EPERM:
                    raise
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            fd = None
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(tmp, path)
        tmp = None
        try:
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:
            pass
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def file_mode(path):
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def update(path, set_vars=None, unset=None, check_mode=False, mode=0o600, header=None):
    """Apply ``set_vars``/``unset`` to the env file at ``path``; write only when something differs.

    ``header`` is used only when the file is created. Returns a dict: ``changed``, ``before`` and ``after``
    (variables as dicts), ``created`` (the file did not exist), ``mode_changed`` (the mode was not ``mode``).
    """
    text = read_text(path)
    created = text is None
    before = parse(text) if text is not None else {}
    if created:
        new_text = apply(render({}, header=header), set_vars, unset)
    else:
        new_text = apply(text, set_vars, unset)
    after = parse(new_text)
    content_changed = before != after or (created and bool(after))
    current_mode = file_mode(path)
    mode_changed = not created and current_mode != mode
    changed = content_changed or mode_changed
    if changed and not check_mode:
        if content_changed:
            write(path, new_text, mode=mode)
        else:
            os.chmod(path, mode)
    return dict(changed=changed, before=before, after=after, created=created and content_changed,
                mode_changed=mode_changed)


def mask(env, is_secret=None):
    """Copy of ``env`` with secret values masked."""
    is_secret = is_secret or is_secret_env
    return dict((k, MASK if (is_secret(k) and v is not None) else v) for k, v in env.items())


def masked_diff(before, after, is_secret=None):
    """(before_text, after_text) env-file texts with secrets masked; changed secrets marked as changed."""
    is_secret = is_secret or is_secret_env
    masked_after = {}
    for name, value in after.items():
        if is_secret(name) and value is not None:
            changed = name in before and before[name] != value
            masked_after[name] = CHANGED_MASK if changed else MASK
        else:
            masked_after[name] = value
    return render(mask(before, is_secret)), render(masked_after)


def changed_names(before, after):
    """Sorted names whose value differs between ``before`` and ``after`` (added, removed or changed)."""
    names = set(before) | set(after)
    return sorted(n for n in names if before.get(n, object()) != after.get(n, object()))
