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
``write(path, text, mode=0o600, what="file", owner=None)``
    Atomic write: temporary file in the same directory, ``fsync``, ``rename``; the owner and group of an existing
    file are kept (or set to ``owner``, a (uid, gid), before the first byte), the mode is always ``mode``. On
    failure (full file system, path is a directory, read-only or immutable directory, ...) the old file is intact,
    the temporary file removed, and ``WriteError`` (an ``OSError``) names the file and its directory, says that
    nothing was changed and what to fix.
``update(path, set_vars=None, unset=None, check_mode=False, mode=0o600, header=None) -> dict``
    Read, apply, and write when something differs (or when the mode is wider than ``mode``). Returns
    ``{"changed", "before", "after", "mode_changed", "created"}`` with ``before``/``after`` as dicts.
``wanted(current, env, secret_env, keep=(), header=HEADER) -> (variables, kept, text)``
    What the env_file module writes: ``env`` and ``secret_env``, plus the ``keep`` names ``current`` (the file's
    variables) has and neither gives, sorted by name; ``kept`` the names kept; ``text`` rendered with ``header``.
``masked_diff(before, after, is_secret=None) -> (before_text, after_text)``
    Env-file texts for Ansible's ``diff`` with every secret value (``_wandb_settings.is_secret(name, value)``, or the
    given ``is_secret(name, value)``) replaced by a mask; a secret that changed is
    shown as ``********`` before and ``******** (changed)`` after, so the diff shows *that* it changed, never
    *what* it is.
"""
from __future__ import annotations

import errno
import os
import re
import stat
import tempfile

from ansible_collections.wandb_local.server.plugins.module_utils._wandb_settings import MASK
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_settings import is_secret as _is_secret

# The comment the env_file module starts a file with (its header option's default).
HEADER = "Managed by Ansible (wandb_local.server). Local changes are overwritten."
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


def wanted(current, env, secret_env, keep=(), header=HEADER):
    """(variables, kept, text): what the env_file module writes (see the module docstring)."""
    kept = dict((name, current[name]) for name in keep
                if name in current and name not in env and name not in secret_env)
    variables = dict((name, value) for name, value in sorted(list(env.items()) + list(secret_env.items())
                                                             + list(kept.items())))
    return variables, kept, render(variables, header)


def read_text(path, what="env file"):
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        if exc.errno == errno.EISDIR:
            raise write_error(exc, path, what, True, "read")
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


class WriteError(OSError):
    """Writing a file failed. ``problem``, ``kept`` and ``fix`` are sentences naming the file and its directory:
    what went wrong, what was left as it was, what to do; ``str()`` joins them. An ``OSError`` (with the ``errno``
    of the cause), so callers that catch ``OSError`` keep working."""

    def __init__(self, problem, kept, fix, cause=None, path=None, directory=None):
        super(WriteError, self).__init__(problem)
        self.errno = getattr(cause, "errno", None)
        self.problem = problem
        self.kept = kept
        self.fix = fix
        self.path = path
        self.directory = directory

    def message(self, prefix="", also_kept=""):
        """``prefix`` + the problem, then "Nothing was changed: <kept>[, <also_kept>]." and "To fix: ..."."""
        kept = self.kept + (", " + also_kept if also_kept else "")
        return "%s%s. Nothing was changed: %s. To fix: %s." % (prefix, self.problem, kept, self.fix)

    def __str__(self):
        return self.message()


_FS_IOC_GETFLAGS = 0x80086601  # _IOR('f', 1, long) on 64-bit Linux
_FS_IMMUTABLE_FL = 0x10


def _immutable(path):
    """True when ``path`` carries the immutable attribute (chattr +i); False when not or unknown."""
    try:
        import array
        import fcntl
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (ImportError, OSError):
        return False
    try:
        flags = array.array("l", [0])
        fcntl.ioctl(fd, _FS_IOC_GETFLAGS, flags, True)
        return bool(flags[0] & _FS_IMMUTABLE_FL)
    except (OSError, ValueError):
        return False
    finally:
        os.close(fd)


def _read_only_fs(directory):
    try:
        return bool(os.statvfs(directory).f_flag & getattr(os, "ST_RDONLY", 1))
    except OSError:
        return False


def _not_writable(exc, path, directory, what, existed, operation):
    """(problem, fix) for EACCES/EPERM/EROFS: name the directory and the likely cause."""
    reason = "([Errno %d] %s)" % (exc.errno, os.strerror(exc.errno))
    if exc.errno == errno.EROFS or _read_only_fs(directory):
        return ("cannot %s the %s %s: the file system holding %s is mounted read-only %s"
                % (operation, what, path, directory, reason),
                "remount that file system read-write (mount -o remount,rw) or put the directory on a writable one, "
                "then run again")
    if _immutable(directory):
        return ("cannot %s the %s %s: the directory %s has the immutable attribute (chattr +i; lsattr -d shows "
                "'i') %s" % (operation, what, path, directory, reason),
                "clear it with chattr -i %s (if it was set on purpose, change the file by hand instead), then run "
                "again" % directory)
    if existed and _immutable(path):
        return ("cannot %s the %s %s: the file has the immutable attribute (chattr +i; lsattr shows 'i') %s"
                % (operation, what, path, reason),
                "clear it with chattr -i %s (if it was set on purpose, change the file by hand instead), then run "
                "again" % path)
    return ("cannot %s the %s %s: writing in the directory %s is not allowed %s; likely causes: the user Ansible "
            "runs as (uid %d) lacks write permission on it, it has the immutable attribute (chattr +i), or its "
            "file system is read-only" % (operation, what, path, directory, reason, os.geteuid()),
            "check with ls -ld, lsattr -d and findmnt -T on %s; then run as root (become: true) or fix the "
            "directory's owner/mode, clear the attribute with chattr -i, or remount it read-write; then run again"
            % directory)


def write_error(exc, path, what="file", existed=None, operation="write", temp_removed=False):
    """A ``WriteError`` for the ``OSError`` ``exc`` raised while writing (or changing the mode of) ``path``."""
    if isinstance(exc, WriteError):
        return exc
    path = os.path.abspath(path)
    directory = os.path.dirname(path) or "."
    if existed is None:
        existed = os.path.lexists(path)
    code = getattr(exc, "errno", None)
    reason = "([Errno %s] %s)" % (code, getattr(exc, "strerror", None) or exc)
    if operation == "write":
        kept = "%s keeps its previous content" % path if existed else "%s was not created" % path
        if temp_removed:
            kept += " (the new content went to a temporary file in %s, which was removed)" % directory
    else:
        kept = "%s keeps its content and its previous mode" % path
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        space = "no space is left" if code == errno.ENOSPC else "the disk quota of the user Ansible runs as is used up"
        problem = "cannot %s the %s %s: %s on the file system holding %s %s" % (
            operation, what, path, space, directory, reason)
        fix = "free space on that file system (df -h %s shows it) or put the directory on another one, then run " \
              "again" % directory
    elif code == errno.EISDIR:
        problem = "cannot %s the %s %s: that path is a directory, not a file %s" % (operation, what, path, reason)
        kept = "the directory %s and everything in it were left as they were" % path
        fix = "move the directory %s away (or choose another file name), then run again" % path
    elif operation == "read":
        problem = "cannot read the %s %s: %s" % (what, path, reason)
        kept = "%s was left as it was" % path
        fix = "check the file's owner and mode (ls -l %s) and run as a user who may read it (become: true), " \
              "then run again" % path
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        problem, fix = _not_writable(exc, path, directory, what, existed, operation)
    else:
        problem = "cannot %s the %s %s in %s: %s" % (operation, what, path, directory, reason)
        fix = "fix the cause named above in %s, then run again" % directory
    return WriteError(problem, kept, fix, cause=exc, path=path, directory=directory)


def write(path, text, mode=0o600, what="file", owner=None):
    """Write ``text`` to ``path`` atomically with ``mode``; keep the owner/group of an existing file.

    ``owner`` (uid, gid) makes the file owned by them instead (set on the temporary file before its first byte;
    a failure to do so is an error). On failure the old file is left as it was, the temporary file is removed,
    and a ``WriteError`` (an ``OSError``) names the file (``what``: "env file", ...), its directory and what to fix.
    """
    directory = os.path.dirname(os.path.abspath(path)) or "."
    existed = os.path.lexists(path)
    state = {}
    try:
        if os.path.isdir(path):
            raise OSError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        _write(path, directory, text, mode, state, owner)
    except (IOError, OSError) as exc:
        raise write_error(exc, path, what, existed, temp_removed="tmp" in state)


def _write(path, directory, text, mode, state, wanted_owner=None):
    owner = None
    if wanted_owner is None:
        try:
            st = os.stat(path)
            owner = (st.st_uid, st.st_gid)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    state["tmp"] = tmp
    try:
        os.fchmod(fd, mode)
        if wanted_owner is not None:
            os.fchown(fd, wanted_owner[0], wanted_owner[1])
        elif owner is not None:
            try:
                os.fchown(fd, owner[0], owner[1])
            except OSError as exc:
                if exc.errno != errno.EPERM:
                    raise
        handle = os.fdopen(fd, "w", encoding="utf-8")
        fd = None
        try:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            try:
                handle.close()
            except (IOError, OSError):
                pass  # the error of write/flush/fsync above is the one to report
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
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                state.pop("tmp", None)  # not removed: the message must not say it was


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
            write(path, new_text, mode=mode, what="env file")
        else:
            try:
                os.chmod(path, mode)
            except OSError as exc:
                raise write_error(exc, path, "env file", True, "change the mode of")
    return dict(changed=changed, before=before, after=after, created=created and content_changed,
                mode_changed=mode_changed)


def mask(env, is_secret=None):
    """Copy of ``env`` with secret values masked; ``is_secret(name, value)`` defaults to the collection's one rule."""
    is_secret = is_secret or _is_secret
    return dict((k, MASK if (v is not None and is_secret(k, v)) else v) for k, v in env.items())


def masked_diff(before, after, is_secret=None):
    """(before_text, after_text) env-file texts with secrets masked; changed secrets marked as changed."""
    is_secret = is_secret or _is_secret
    masked_after = {}
    for name, value in after.items():
        if value is not None and is_secret(name, value):
            changed = name in before and before[name] != value
            masked_after[name] = CHANGED_MASK if changed else MASK
        else:
            masked_after[name] = value
    return render(mask(before, is_secret)), render(masked_after)


def changed_names(before, after):
    """Sorted names whose value differs between ``before`` and ``after`` (added, removed or changed)."""
    names = set(before) | set(after)
    return sorted(n for n in names if before.get(n, object()) != after.get(n, object()))
