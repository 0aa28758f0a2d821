# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: redis_url
short_description: Build the W&B server's Redis connection string from its parts
version_added: 0.1.0
author:
  - wandb_local.server maintainers (!UNKNOWN)
description:
  - Returns C(redis://[user:password@]host:port[?tls=true&caCertPath=...&ttlInSeconds=N]) with user and password
    percent-escaped, the format the W&B server reads from C(REDIS).
  - The result contains the password; use it only in tasks with C(no_log).
options:
  _input:
    description: Redis host name or IP address.
    type: str
    required: true
  port:
    description: TCP port.
    type: int
    default: 6379
  user:
    description: ACL user name.
    type: str
  password:
    description: Password.
    type: str
  tls:
    description: Add C(tls=true).
    type: bool
    default: false
  ca_cert_path:
    description: Path of the CA certificate inside the W&B container (C(caCertPath)).
    type: str
  ttl_in_seconds:
    description: Cache TTL (C(ttlInSeconds)).
    type: int
"""

EXAMPLES = r"""
- name: Build the connection string
  ansible.builtin.set_fact:
    redis_env: "{{ {'REDIS': 'redis.internal' | wandb_local.server.redis_url(port=6380, password=pw, tls=true)} }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The connection string.
  type: str
  sample: redis://:p%40ss@redis.internal:6380?tls=true
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wandb_local.server.plugins.module_utils._redis import build_redis_url


def redis_url(host, port=6379, user=None, password=None, tls=False, ca_cert_path=None, ttl_in_seconds=None):
    try:
        return build_redis_url(host, port=port, user=user, password=password, tls=tls, ca_cert_path=ca_cert_path,
                               ttl_in_seconds=ttl_in_seconds)
    except ValueError as exc:
        raise AnsibleFilterError("redis_url: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"redis_url": redis_url}
