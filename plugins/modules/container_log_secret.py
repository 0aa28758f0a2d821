#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: container_log_secret
short_description: Copy a secret a container prints to its log into a 0600 file, never into the play output
version_added: 0.1.0
author: wandb_local.server maintainers (!UNKNOWN)
description:
  - Reads a container's log (stdout and stderr) through the Docker API, finds a value with a regular expression and
    writes it to O(dest) with mode 0600. The value is never returned, logged or shown in a diff; only the file's path
    is returned.
  - Made for the temporary password a W&B server prints when started with C(LOCAL_RESTORE=true) (see
    C(playbooks/restore_access.yml)).
  - Waits up to O(wait_timeout) seconds in all for the value to appear (one deadline; each read of the log is
    given at most 10 seconds and never more than the time left). When it does not, the failure says how long it
    waited (measured), how often it read the log and what the last read saw (never the log itself).
attributes:
  check_mode:
    support: full
    description: Finds the value and reports whether the file would change; writes nothing.
  diff_mode:
    support: none
    description: Never shows the value, so no diff is returned.
options:
  container_name:
    description: Name or id of the container.
    type: str
    required: true
  pattern:
    description:
      - Python regular expression. The value is its group named C(secret), else its first group, else the whole
        match. The last match in the log wins unless O(occurrence=first).
    type: str
    required: true
  dest:
    description: File to write the value to (mode 0600, created atomically). Its directory must exist.
    type: path
    required: true
  occurrence:
    description: Which match to take when the log has several.
    type: str
    choices: [first, last]
    default: last
  since_start:
    description: Only read the log written since the container last started (not lines of earlier runs).
    type: bool
    default: true
  wait_timeout:
    description: Seconds the wait for a match may take in all; V(0) reads the log once (within 10 seconds).
    type: int
    default: 120
  docker_host:
    description: Docker daemon URL. Default C(DOCKER_HOST) or the local socket.
    type: str
requirements:
  - docker (Python Docker SDK) >= 5.0
"""

EXAMPLES = r"""
- name: Keep the W&B temporary password in a root-only file
  wandb_local.server.container_log_secret:
    container_name: wandb-local
    pattern: '(?i)temporary password[^:]*:\s*(?P<secret>\S+)'
    dest: /root/wandb-local-restore-password
"""

RETURN = r"""
dest:
  description: The file that holds the value.
  returned: always
  type: str
  sample: /root/wandb-local-restore-password
found:
  description: Whether the pattern matched.
  returned: always
  type: bool
"""

import calendar
import os
import re
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils import _env_file as envfile
from ansible_collections.wandb_local.server.plugins.module_utils import _wandb_container as wc
from ansible_collections.wandb_local.server.plugins.module_utils._wait import WaitTimeout, wait_until

# Seconds one read of the container log may take (capped by the time left of the wait).
LOG_READ_TIMEOUT = 10


def started_at(attrs):
    value = (attrs.get("State") or {}).get("StartedAt") or ""
    try:
        return calendar.timegm(time.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")) - 1
    except ValueError:
        return None


def extract(regex, text, occurrence):
    matches = list(regex.finditer(text))
    if not matches:
        return None
    match = matches[0] if occurrence == "first" else matches[-1]
    if "secret" in regex.groupindex:
        return match.group("secret")
    return match.group(1) if regex.groups else match.group(0)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            container_name=dict(type="str", required=True),
            pattern=dict(type="str", required=True),
            dest=dict(type="path", required=True),
            occurrence=dict(type="str", choices=["first", "last"], default="last"),
            since_start=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=120),
            docker_host=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    wc.require_docker(module)
    try:
        regex = re.compile(p["pattern"], re.MULTILINE)
    except re.error as exc:
        module.fail_json(msg="pattern is not a valid regular expression: %s" % exc)
    dest = p["dest"]
    result = dict(changed=False, dest=dest, found=False)
    if not os.path.isdir(os.path.dirname(os.path.abspath(dest))):
        module.fail_json(msg="the directory of dest %s does not exist" % dest, **result)
    api, attrs = wc.connect(module, p["docker_host"], p["container_name"], **result)
    if attrs is None:
        module.fail_json(msg="container %s does not exist" % p["container_name"], **result)
    since = started_at(attrs) if p["since_start"] else None

    def probe(budget):
        api.timeout = budget  # the Docker SDK's timeout of every request of this client
        try:
            text = wc.logs(api, attrs["Id"], since=since)
        except wc.APIError as exc:
            module.fail_json(msg="cannot read the log of %s: %s" % (p["container_name"], exc), **result)
        except Exception as exc:  # pylint: disable=broad-except  # requests' timeouts and connection errors
            return False, "the Docker API did not answer (%s)" % exc.__class__.__name__, None
        found = extract(regex, text, p["occurrence"])
        # Says nothing of the log's content: it may hold the secret in a form the pattern does not match.
        return bool(found), "%d log line(s), none matched" % len(text.splitlines()), found

    try:
        value = wait_until(probe, max(p["wait_timeout"], 0), 2, LOG_READ_TIMEOUT,
                           what="no line of the log of container %s matched the pattern" % p["container_name"]).value
    except WaitTimeout as exc:
        module.fail_json(msg=str(exc), elapsed=round(exc.elapsed, 1), **result)
    module.no_log_values.add(value)
    result["found"] = True

    content = value + "\n"
    try:
        current = envfile.read_text(dest, what="secret file (dest)")
    except (IOError, OSError) as exc:
        module.fail_json(msg=envfile.write_error(exc, dest, "secret file (dest)", operation="read").message(),
                         **result)
    mode_ok = envfile.file_mode(dest) == 0o600
    result["changed"] = current != content or not mode_ok
    if result["changed"] and not module.check_mode:
        try:
            if current != content:
                envfile.write(dest, content, mode=0o600, what="secret file (dest)")
            else:
                os.chmod(dest, 0o600)
        except (IOError, OSError) as exc:
            exc = envfile.write_error(exc, dest, "secret file (dest)", current is not None,
                                      "write" if current != content else "change the mode of")
            module.fail_json(msg=exc.message(), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
