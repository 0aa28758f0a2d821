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
  keep:
    description:
      - Variables whose current lines stay in the file as they are when they are not given in I(env) or
        I(secret_env) (the W&B server role keeps the settings of an integration the inventory enables but the run
        did not converge, e.g. a tagged run). A kept variable absent from the file stays absent.
      - Their values are masked in the diff unless the catalog of settings knows them as not secret.
    type: list
    elements: str
    default: []
    version_added: 0.3.0
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

- name: Write it, keeping the OIDC settings the file has (this run did not compute them)
  wandb_local.server.env_file:
    path: /etc/wandb-local/wandb-local.env
    env:
      HOST: https://wandb.example.com
    keep: [OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_AUTH_METHOD, OIDC_SECRET]
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
kept:
  description: Names of I(keep) found in the file and kept as they were, sorted.
  returned: always
  type: list
  elements: str
  sample: [OIDC_CLIENT_ID, OIDC_ISSUER]
"""

import os
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.wandb_local.server.plugins.module_utils import _env_file
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_settings import SETTINGS, is_secret

# Names the catalog knows as not secret; values of other variables that leave the file stay masked.
_KNOWN_PLAIN = set(n for classic, gorilla, secret in SETTINGS.values() if not secret for n in (classic, gorilla))


def wanted_mode(module):
    mode = module.params["mode"]
    try:
        mode = int(mode, 8) if isinstance(mode, str) else int(mode)
    except ValueError:
        module.fail_json(msg="env_file: mode %r is not an octal file mode such as '0600'" % module.params["mode"])
    if mode & 0o077:
        module.fail_json(msg="env_file: mode %s would let others read secrets; use 0600 or narrower" % oct(mode))
    return mode


def fail_unchanged(module, exc, path, operation):
    """fail_json for a file error: the file and its directory, that nothing was changed (the server container
    neither: it is restarted only after its env file is written), and what to fix."""
    if not isinstance(exc, _env_file.WriteError):
        if isinstance(exc, UnicodeDecodeError):
            module.fail_json(msg="env_file: cannot read the env file %s: it is not UTF-8 text (%s). Nothing was "
                                 "changed. To fix: move it away or fix it, then run again." % (path, exc))
        exc = _env_file.write_error(exc, path, "env file", operation=operation)
    module.fail_json(msg=exc.message("env_file: ", "and the server container was not touched (it is restarted "
                                                   "only after its env file is written)"),
                     path=path, errno=exc.errno)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            env=dict(type="dict", default={}),
            secret_env=dict(type="dict", default={}, no_log=True),
            keep=dict(type="list", elements="str", default=[], no_log=False),
            mode=dict(type="raw", default="0600"),
            header=dict(type="str", default=_env_file.HEADER),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    env = dict((str(k), "" if v is None else str(v)) for k, v in module.params["env"].items())
    secrets = dict((str(k), "" if v is None else str(v)) for k, v in module.params["secret_env"].items())
    overlap = set(env) & set(secrets)
    if overlap:
        module.fail_json(msg="env_file: %s given both in env and secret_env" % ", ".join(sorted(overlap)))
    mode = wanted_mode(module)

    directory_missing = not os.path.isdir(os.path.dirname(path) or ".")
    if directory_missing and not module.check_mode:
        module.fail_json(msg="env_file: directory %s does not exist; create it first" % os.path.dirname(path))
    # In check mode the directory may be one an earlier task would have created: predict a new file.
    try:
        current_text = None if directory_missing else _env_file.read_text(path)
    except (IOError, OSError, UnicodeDecodeError) as exc:
        fail_unchanged(module, exc, path, "read")
    exists = current_text is not None
    try:
        current = _env_file.parse(current_text or "")
    except _env_file.EnvFileError as exc:
        module.fail_json(msg="env_file: %s is not a Docker env file (%s); move it away or fix it" % (path, exc))
    # keep: the current lines of variables not given this time stay (a bare KEY line too).
    try:
        wanted, kept, new_text = _env_file.wanted(current, env, secrets, module.params["keep"], module.params["header"])
    except _env_file.EnvFileError as exc:
        module.fail_json(msg="env_file: %s" % exc)
    content_changed = new_text != current_text
    mode_changed = exists and stat.S_IMODE(os.stat(path).st_mode) != mode
    changed = content_changed or mode_changed

    # Secrets are masked on both sides of the diff: those given as secret_env and whatever the collection's one
    # rule (is_secret) calls secret. A variable leaving the file, or kept from it, keeps its value hidden unless the
    # catalog knows it as plain: it may have been given as a secret last run.
    def secret(name, value):
        if name in secrets or is_secret(name, value):
            return True
        return (name not in wanted or name in kept) and name not in _KNOWN_PLAIN

    before_text, after_text = _env_file.masked_diff(current, wanted, is_secret=secret)
    result = dict(
        changed=changed,
        path=path,
        names=sorted(wanted),
        changed_names=_env_file.changed_names(current, wanted),
        kept=sorted(kept),
        diff=dict(before_header=path, after_header=path, before=before_text if exists else "", after=after_text),
    )
    if changed and not module.check_mode:
        try:
            if content_changed:
                _env_file.write(path, new_text, mode, what="env file")
            else:
                os.chmod(path, mode)
        except (IOError, OSError) as exc:
            fail_unchanged(module, exc, path, "write" if content_changed else "change the mode of")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
