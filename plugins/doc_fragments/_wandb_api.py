# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a module reaches the W&B server over HTTP; the argument spec is ``server_api_argument_spec()`` in
module_utils/_wandb_api.py."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  base_url:
    description: URL at which the server is reached from the managed node, for C(/ready) and GraphQL.
    type: str
    default: http://127.0.0.1:8080
  api_key:
    description: The admin API key. Never logged. Give it here or in O(api_key_file).
    type: str
  api_key_file:
    description: File holding the admin API key (the C(wandb_server) role keeps it at C(/etc/wandb-local/admin-api-key)).
    type: path
  validate_certs:
    description: Verify TLS certificates of O(base_url). Only turn off for tests.
    type: bool
    default: true
  ca_path:
    description: CA bundle to verify O(base_url) with (private CAs).
    type: path
  timeout:
    description: Seconds for one HTTP request.
    type: float
    default: 10
  retries:
    description: Retries of an HTTP request that failed transiently (connection refused, 5xx), with backoff.
    type: int
    default: 5
"""
