# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kept secrets: a given value wins, else the value kept in a 0600 file, else a newly generated one.

One rule for every secret this collection chooses once and keeps on the managed host (the admin API key, the
local Redis password). Used by the ``kept_secret`` module (and the deprecated ``admin_key`` module).

Public API (no Ansible objects):

``generate(length, prefix="", alphabet=ALPHANUMERIC) -> str``
    ``prefix`` and ``length`` characters drawn from ``alphabet`` with ``secrets.choice``.
``check_generator(length, prefix, alphabet) -> str or None``
    What is wrong with the generator options (a sentence), None when they are fine.
``read_kept(path) -> Kept``
    The kept value ("" when the file is missing or holds only white space), the file's mode, owner and group
    (None when missing). Raises ``OSError``/``UnicodeDecodeError`` when the file cannot be read.
``keep(path, given, new_value, check_mode, owner=None, what="secret") -> dict``
    Choose (given > kept > ``new_value()``) and keep the value: the file is written atomically
    (``_env_file.write``: a temporary file that has mode 0600, and ``owner`` when given, before its first byte,
    then renamed) only when its content differs, its mode is fixed when it is not 0600, its owner/group when
    ``owner`` (uid, gid; -1 leaves one as it is) differs. Returns ``value``, ``source`` (given, kept,
    generated), ``changed``, ``created`` and ``diff`` (the file's existence, mode and owner: never the value).
    Raises ``KeptSecretError`` whose message names the file, its directory and what to fix; never the value.
"""
from __future__ import annotations

import collections
import errno
import grp
import os
import pwd
import secrets
import stat
import string

from ansible_collections.wandb_local.server.plugins.module_utils import _env_file

MODE = 0o600
ALPHANUMERIC = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
MIN_LENGTH = 16

Kept = collections.namedtuple("Kept", "value mode uid gid")
MISSING = Kept("", None, None, None)


class KeptSecretError(Exception):
    """Keeping the secret failed; ``str()`` names the file, its directory and what to fix (never the value)."""

    def __init__(self, message, errno_=None):
        super(KeptSecretError, self).__init__(message)
        self.errno = errno_


def generate(length, prefix="", alphabet=ALPHANUMERIC):
    """``prefix`` followed by ``length`` characters drawn uniformly from ``alphabet`` (a CSPRNG)."""
    return prefix + "".join(secrets.choice(alphabet) for _index in range(length))


def check_generator(length, prefix, alphabet):
    """A sentence saying what is wrong with the generator options, or None."""
    if length < MIN_LENGTH:
        return "length must be at least %d (got %d): a shorter generated secret can be guessed" % (MIN_LENGTH, length)
    if len(set(alphabet)) < 2:
        return "alphabet must hold at least two different characters"
    if len(set(alphabet)) != len(alphabet):
        return "alphabet repeats characters, which would make some more likely than others; list each once"
    if any(char.isspace() or not char.isprintable() for char in alphabet + prefix):
        return "alphabet and prefix must not contain white space or control characters (the file holds one line)"
    return None


def read_kept(path):
    """``Kept`` for ``path``: value stripped of surrounding white space, mode, uid and gid; ``MISSING``."""
    try:
        with open(path, encoding="utf-8") as handle:
            info = os.fstat(handle.fileno())
            return Kept(handle.read().strip(), stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return MISSING
        raise


def _owner_text(uid, gid):
    def name(number, lookup):
        try:
            return lookup(number)[0]
        except (KeyError, OverflowError):
            return str(number)
    return "%s:%s" % (name(uid, pwd.getpwuid), name(gid, grp.getgrgid))


def _describe(value_text, mode, uid, gid, with_owner):
    text = "%s, mode %04o" % (value_text, mode)
    if with_owner:
        text += ", owner %s" % _owner_text(uid, gid)
    return text + "\n"


def _wanted(owner, current_uid, current_gid):
    """(uid, gid) the file should have: ``owner``'s, -1 in it meaning the current one."""
    uid, gid = owner
    return (current_uid if uid == -1 else uid), (current_gid if gid == -1 else gid)


def _check_can_give_away(path, uid, gid):
    """Fail before any change when this user may not make the file owned by uid:gid (only root may)."""
    euid = os.geteuid()
    if euid == 0:
        return
    groups = set(os.getgroups()) | {os.getegid()}
    if uid != euid or gid not in groups:
        directory = os.path.dirname(os.path.abspath(path)) or "."
        raise KeptSecretError(
            "cannot make %s (in %s) owned by %s: Ansible runs as uid %d, and only root may give a file to another "
            "user or a group it is not in. Nothing was changed. To fix: run as root (become: true), or set owner "
            "and group to the user Ansible runs as, then run again" % (path, directory, _owner_text(uid, gid), euid),
            errno.EPERM)


def _read_error(exc, path, what):
    directory = os.path.dirname(os.path.abspath(path)) or "."
    if isinstance(exc, UnicodeDecodeError):
        reason = "it is not UTF-8 text"  # the codec's message would quote a byte of the secret
    elif getattr(exc, "errno", None) == errno.EISDIR:
        return _env_file.write_error(exc, path, "%s file" % what, True, "read").message()
    else:
        reason = "[Errno %s] %s" % (exc.errno, exc.strerror)
    return ("cannot read the %s file %s (%s). Nothing was changed: %s was left as it was, nothing new was "
            "generated. To fix: check the file's owner and mode (ls -l %s; ls -ld %s) and run as a user who may "
            "read it (become: true); or move the file away to have a new value generated (it then replaces the "
            "old one everywhere the old one was used); then run again"
            % (what, path, reason, path, path, directory))


def keep(path, given, new_value, check_mode, owner=None, what="secret"):
    """Choose and keep the secret in ``path`` (see the module docstring). ``given`` is stripped here."""
    given = (given or "").strip()
    path = os.path.abspath(path)
    directory = os.path.dirname(path) or "."
    directory_missing = not os.path.isdir(directory)
    if directory_missing and not check_mode:
        raise KeptSecretError(
            "the directory %s of the %s file %s does not exist. Nothing was changed. To fix: create it first "
            "(ansible.builtin.file, state=directory, owner root, mode 0700), then run again"
            % (directory, what, path), errno.ENOENT)
    try:
        kept = MISSING if directory_missing else read_kept(path)
    except (IOError, OSError, UnicodeDecodeError) as exc:
        raise KeptSecretError(_read_error(exc, path, what), getattr(exc, "errno", None))

    if given:
        value, source = given, "given"
    elif kept.value:
        value, source = kept.value, "kept"
    else:
        value, source = new_value(), "generated"

    exists = kept.mode is not None
    content_changed = value != kept.value
    mode_changed = exists and kept.mode != MODE
    if owner is not None:
        # A rewritten file is a new file: it gets the wanted owner, or the old file's when owner is not managed.
        target = _wanted(owner, kept.uid if exists else os.geteuid(), kept.gid if exists else os.getegid())
        owner_changed = not exists or (kept.uid, kept.gid) != target
    else:
        target = (kept.uid, kept.gid) if exists else (os.geteuid(), os.getegid())
        owner_changed = False
    changed = content_changed or mode_changed or (owner_changed and exists)
    if owner is not None and (content_changed or owner_changed) and target != (os.geteuid(), os.getegid()):
        _check_can_give_away(path, *target)

    if changed and not check_mode:
        try:
            if content_changed:
                _env_file.write(path, value + "\n", MODE, what="%s file" % what,
                                owner=target if owner is not None else None)
            else:
                if mode_changed:
                    os.chmod(path, MODE)
                if owner_changed:
                    os.chown(path, *target)
        except (IOError, OSError) as exc:
            error = _env_file.write_error(exc, path, "%s file" % what, exists,
                                          "write" if content_changed else "change the mode or owner of")
            raise KeptSecretError(error.message(), error.errno)

    # Never the value: only whether the file is there, whether the value changes, its mode and owner.
    with_owner = owner is not None
    label = "%s: " % what
    before = "" if not exists else _describe(
        label + (_env_file.MASK if kept.value else "(empty)"), kept.mode, kept.uid, kept.gid, with_owner)
    after = _describe(label + (_env_file.CHANGED_MASK if content_changed and kept.value else _env_file.MASK),
                      MODE, target[0], target[1], with_owner)
    return dict(value=value, source=source, changed=changed, created=not exists,
                diff=dict(before_header=path, after_header=path, before=before, after=after))
