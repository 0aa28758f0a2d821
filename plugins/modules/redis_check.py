#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: redis_check
short_description: Prove a Redis server answers PING with the credentials and TLS settings W&B will use
version_added: 0.1.0
description:
  - Opens a connection to Redis (plain TCP or TLS), authenticates (C(AUTH password) or C(AUTH user password)
    for an ACL user), selects the database of the URL and sends C(PING), using only the Python standard library.
  - Use it before the W&B server is pointed at an external Redis, so a wrong password, port or TLS setting fails
    the play with a message that says what to fix instead of breaking the running server.
  - Read-only; never changes anything, so it reports C(changed=false) and runs the same in check mode.
  - The password is never returned or printed.
author:
  - wandb_local.server maintainers (!UNKNOWN)
options:
  url:
    description:
      - A full connection string, C(redis://[user:password@]host:port[/db][?tls=true&caCertPath=...]) or C(rediss://...).
      - C(tls=true) or C(rediss) turns on TLS. C(caCertPath) is a path inside the W&B container and is not read
        here; give the CA to this module with O(ca_file).
    type: str
  host:
    description:
      - Host name or IP address of Redis. Required unless O(url) is given.
      - With O(url), the address to connect to instead of the URL's host (e.g. when the URL names a host only the
        containers resolve); the certificate is then still verified for the URL's host unless O(server_name) is set.
    type: str
  port:
    description: TCP port of Redis (with O(url), overrides the URL's port). Defaults to 6379.
    type: int
  user:
    description: ACL user name (Redis 6+). Leave unset for the default user.
    type: str
  password:
    description: Password of the user (C(requirepass) for the default user).
    type: str
  tls:
    description: Connect with TLS.
    type: bool
    default: false
  db:
    description: Database number to C(SELECT) after authenticating (a database in O(url) wins).
    type: int
    default: 0
  ca_file:
    description:
      - PEM file with the CA certificate(s) that signed the Redis certificate, on the host running the module; only
        these are trusted then (plus O(ca_certificates)).
    type: path
  validate_certs:
    description: Verify the TLS certificate and host name. Turn off only for test servers.
    type: bool
    default: true
  server_name:
    description: Name to verify in the certificate and send as SNI, when it differs from the host connected to.
    type: str
  timeout:
    description: Seconds to wait for the connection and for each reply.
    type: float
    default: 5.0
notes:
  - Supports C(check_mode); nothing is ever changed.
extends_documentation_fragment:
  - wandb_local.server._ca_certificates
"""

EXAMPLES = r"""
- name: PING an external Redis with a password over TLS
  wandb_local.server.redis_check:
    host: redis.internal.example.com
    port: 6380
    password: "{{ vault_redis_password }}"
    tls: true
    ca_file: /etc/ssl/certs/internal-ca.pem

- name: PING the connection string the server will get
  wandb_local.server.redis_check:
    url: "{{ wandb_redis_url }}"
    ca_file: /etc/wandb-local/redis-ca.pem
  no_log: true
"""

RETURN = r"""
pong:
  description: Whether Redis answered PONG.
  returned: success
  type: bool
  sample: true
host:
  description: Host that was checked.
  returned: success
  type: str
  sample: 127.0.0.1
port:
  description: Port that was checked.
  returned: success
  type: int
  sample: 6379
tls:
  description: Whether TLS was used.
  returned: success
  type: bool
  sample: true
user:
  description: ACL user that authenticated, or null for the default user.
  returned: success
  type: str
  sample: wandb
authenticated:
  description: Whether a password was sent.
  returned: success
  type: bool
  sample: true
redis_version:
  description: Server version from C(INFO server), or null when the user may not run INFO.
  returned: success
  type: str
  sample: 7.0.15
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._server_checks import (
    REDIS_REQUIRED_ONE_OF,
    redis_ping,
    redis_ping_spec,
)


def main():
    module = AnsibleModule(argument_spec=redis_ping_spec(), required_one_of=REDIS_REQUIRED_ONE_OF,
                           supports_check_mode=True)
    result, error = redis_ping(module.params, module.no_log_values)
    if error:
        module.fail_json(msg=error, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
