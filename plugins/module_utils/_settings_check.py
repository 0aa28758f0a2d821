# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the network pre-flights of settings (smtp_check, ldap_check) share (private).

A pre-flight that connects costs a round trip or three; the wandb_server role runs one only on its converge path,
and passes ``unchanged_env_file`` and ``unchanged_env``: when the server's env file already holds exactly those
values (the settings were proven when they were written), the module connects to nothing and says so.
"""
from __future__ import annotations

from ansible_collections.wandb_local.server.plugins.module_utils import _env_file


def unchanged_argument_spec():
    """The options ``unchanged_env_file`` and ``unchanged_env``."""
    return dict(unchanged_env_file=dict(type="path"), unchanged_env=dict(type="dict", default={}, no_log=True))


def unchanged(path, env):
    """Whether the env file at ``path`` has exactly the values of ``env`` (a missing name means an empty value; a
    missing, unreadable or malformed file means no: any doubt means "check it"). Never raises."""
    if not path or not env:
        return False
    try:
        current = _env_file.read(path)
    except Exception:  # pylint: disable=broad-except
        return False
    return all((current.get(name) or "") == ("" if value is None else str(value)) for name, value in env.items())
