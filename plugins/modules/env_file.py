#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: env_file
version_added: 0.1.0
author: wandb_local.server maintainers (!UNKNOWN)
short_description: Write the W&B server's Docker env file, secrets kept out of output
description:
  - Writes a Docker C(--env-file) (C(KEY=VALUE) per line, no quoting) holding exactly the given variables,
    atomically and with mode 0600, so secrets reach the container without appearing in play output.
  - The diff shows every variable, with the values of I(secret_env) masked; a changed secret shows as
    C(******** (changed)).
  - Idempotent; check mode reports what would change without writing.
options:
  path:
    description: Path of the env file on the host. Its directory must exist.
    type: path
    required: true
  env:
    description: Variables whose values may be shown in diffs and results.
    type: dict
    default: {}
  secret_env:
    description: Variables whose values are secret. Never shown.
    type: dict
    default: {}
  mode:
    description: File mode. Anything wider than 0600 is refused.
    type: raw
    default: "0600"
  header:
    description: Comment written at the top of the file.
    type: str
    default: Managed by Ansible (wandb_local.server). Local changes are overwritten.
notes:
  - Docker env files cannot carry line breaks; values containing them are refused.
"""

EXAMPLES = r"""
- name: Write the server environment
  wandb_local.server.env_file:
    path: /etc/wandb-local/wandb-local.env
    env:
      HOST: https://wandb.example.com
      BUCKET: s3://my-bucket
    secret_env:
      LICENSE: "{{ vault_wandb_license }}"
"""

RETURN = r"""
path:
  description: Path of the env file.
  returned: always
  type: str
names:
  description: Names of the variables in the file, sorted.
  returned: always
  type: list
  elements: str
  sample: [BUCKET, HOST, LICENSE]
changed_names:
  description: Names whose value was added, changed or removed.
  returned: always
  type: list
  elements: str
"""

import os
import re
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_settings import SETTINGS, is_secret_env

# Names the catalog knows as not secret; values of other variables that leave the file stay masked.
_KNOWN_PLAIN = set(n for classic, gorilla, secret in SETTINGS.values() if not secret for n in (classic, gorilla))

MASK = "********"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse(text):
    """Variables of a Docker env file (comments and blank lines skipped)."""
    env = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        env[name.strip()] = value
    return env


def render(env, header):
    lines = ["# " + line for line in header.splitlines()] if header else []
    lines.extend("%s=%s" % (name, env[name]) for name in sorted(env))
    return "\n".join(lines) + "\n"


def masked_lines(env, secret_names, other_env=None):
    """Env file lines for the diff; secret values masked, marked when they differ from other_env."""
    lines = []
    for name in sorted(env):
        value = env[name]
        if name in secret_names:
            changed = other_env is not None and name in other_env and other_env[name] != value
            value = MASK + (" (changed)" if changed else "")
        lines.append("%s=%s\n" % (name, value))
    return "".join(lines)


def validate(module, env):
    for name, value in env.items():
        if not _NAME.match(name):
            module.fail_json(msg="env_file: %r is not a valid environment variable name" % name)
        if "\n" in value or "\r" in value:
            module.fail_json(msg="env_file: the value of %s contains a line break; Docker env files cannot carry it" % name)


def wanted_mode(module):
    mode = module.params["mode"]
    try:
        mode = int(mode, 8) if isinstance(mode, str) else int(mode)
    except ValueError:
        module.fail_json(msg="env_file: mode %r is not an octal file mode such as '0600'" % module.params["mode"])
    if mode & 0o077:
        module.fail_json(msg="env_file: mode %s would let others read secrets; use 0600 or narrower" % oct(mode))
    return mode


def write_atomic(path, text, mode):
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".env-", dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        if os.path.exists(path):
            st = os.stat(path)
            os.chown(tmp, st.st_uid, st.st_gid)
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            env=dict(type="dict", default={}),
            secret_env=dict(type="dict", default={}, no_log=True),
            mode=dict(type="raw", default="0600"),
            header=dict(type="str", default="Managed by Ansible (wandb_local.server). Local changes are overwritten."),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    env = dict((str(k), "" if v is None else str(v)) for k, v in module.params["env"].items())
    secrets = dict((str(k), "" if v is None else str(v)) for k, v in module.params["secret_env"].items())
    overlap = set(env) & set(secrets)
    if overlap:
        module.fail_json(msg="env_file: %s given both in env and secret_env" % ", ".join(sorted(overlap)))
    wanted = dict(env)
    wanted.update(secrets)
    validate(module, wanted)
    mode = wanted_mode(module)

    if not os.path.isdir(os.path.dirname(path) or "."):
        module.fail_json(msg="env_file: directory %s does not exist; create it first" % os.path.dirname(path))
    exists = os.path.exists(path)
    current_text = ""
    current_mode = None
    if exists:
        with open(path) as handle:
            current_text = handle.read()
        current_mode = stat.S_IMODE(os.stat(path).st_mode)
    current = parse(current_text)
    new_text = render(wanted, module.params["header"])

    changed_names = sorted(n for n in set(current) | set(wanted) if current.get(n) != wanted.get(n))
    content_changed = new_text != current_text
    mode_changed = current_mode != mode
    changed = content_changed or mode_changed

    # Secrets are masked on both sides of the diff. A variable leaving the file keeps its value hidden
    # unless the catalog knows it as plain: it may have been a secret last run.
    secret_names = set(secrets) | set(n for n in wanted if is_secret_env(n) and n not in env)
    secret_names |= set(n for n in current if n not in env and (n in secrets or n not in _KNOWN_PLAIN))
    result = dict(
        changed=changed,
        path=path,
        names=sorted(wanted),
        changed_names=changed_names,
        diff=dict(
            before_header=path,
            after_header=path,
            before=masked_lines(current, secret_names) if exists else "",
            after=masked_lines(wanted, secret_names, current),
        ),
    )
    if changed and not module.check_mode:
        if content_changed:
            write_atomic(path, new_text, mode)
        else:
            os.chmod(path, mode)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
