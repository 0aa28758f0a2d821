#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: azure_blob_cors
short_description: Set the CORS rules of an Azure storage account's Blob service
version_added: 0.1.0
description:
  - Makes the Blob service's CORS rules exactly one rule for the W&B server, by default methods V(GET) and V(PUT)
    from O(origins), all request headers allowed and all response headers exposed (what the W&B documentation
    asks for, so browsers can upload and download files with pre-signed URLs).
  - Reads the Blob service properties first and writes only when the rules differ (order-insensitive).
    Only the C(Cors) element is sent, so logging, metrics and other service properties stay as they are.
  - The rule set is exclusive, other CORS rules of the Blob service are replaced.
  - Uses C(azure-storage-blob) (C(BlobServiceClient)) with the account key or Entra ID, so the same calls work
    against Azure and against the Azurite emulator (set O(blob_endpoint)).
author:
  - wandb_local.server maintainers (!UNKNOWN)
options:
  origins:
    description:
      - Allowed origins, each V(*) or V(scheme://host[:port]) (the W&B server's address). At most 64.
      - Each is stored as a browser sends it in the C(Origin) header (RFC 6454), with scheme and host lower-cased,
        the scheme's default port dropped (V(https://wandb.example.com:443) is stored as
        V(https://wandb.example.com)), no trailing slash. A host name with non-ASCII letters must be written in
        its punycode form (V(xn--...)).
      - An empty list removes every CORS rule.
    type: list
    elements: str
    required: true
  methods:
    description: Allowed HTTP methods.
    type: list
    elements: str
    default: [GET, PUT]
  allowed_headers:
    description: Request headers allowed in cross-origin requests.
    type: list
    elements: str
    default: ['*']
  exposed_headers:
    description: Response headers exposed to the browser.
    type: list
    elements: str
    default: ['*']
  max_age:
    description: Seconds a browser may cache the preflight answer.
    type: int
    default: 3600
extends_documentation_fragment:
  - wandb_local.server._azure
  - wandb_local.server._azure.data
  - wandb_local.server._azure.blob_endpoint
"""

EXAMPLES = r"""
- name: Let the W&B web app upload and download files
  wandb_local.server.azure_blob_cors:
    account_name: wandbfiles
    account_key: "{{ storage_key }}"
    origins: [https://wandb.example.com]
  delegate_to: localhost
"""

RETURN = r"""
rules:
  description: The Blob service CORS rules after the run (normalized, sorted values).
  returned: always
  type: list
  elements: dict
  sample:
    - origins: [https://wandb.example.com]
      methods: [GET, PUT]
      allowed_headers: ['*']
      exposed_headers: ['*']
      max_age: 3600
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._azure import (
    StorageError,
    data_argument_spec,
    data_client,
    data_error,
    first_error,
    get_blob_cors,
    normalize_cors_rule,
    set_blob_cors,
    validate_cors_origin,
)
from ansible_collections.wandb_local.server.plugins.module_utils._storage import normalize_origin

METHODS = ("DELETE", "GET", "HEAD", "MERGE", "POST", "OPTIONS", "PUT", "PATCH")


def browser_origin(value):
    """(origin as a browser sends it, None) or (None, error message) for one entry of O(origins).

    Azure's rules first (http/https, no path, at most 256 characters), then the shared normalisation
    (``_storage.normalize_origin``: lower case, default port dropped), so the rule matches the browser's Origin.
    """
    value = value.strip().rstrip("/")
    error = validate_cors_origin(value)
    if error:
        return None, error
    try:
        return normalize_origin(value), None
    except ValueError as exc:
        return None, "CORS %s" % exc


def main():
    spec = data_argument_spec("blob")
    spec.update(
        origins=dict(type="list", elements="str", required=True),
        methods=dict(type="list", elements="str", default=["GET", "PUT"]),
        allowed_headers=dict(type="list", elements="str", default=["*"]),
        exposed_headers=dict(type="list", elements="str", default=["*"]),
        max_age=dict(type="int", default=3600),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    checked = [browser_origin(o) for o in p["origins"]]
    origins = sorted(set(origin for origin, dummy in checked if origin))
    bad_methods = [m for m in p["methods"] if m.upper() not in METHODS]
    client = data_client(module, "blob", extra_errors=(
        first_error(*[error for dummy, error in checked]),
        "origins: Azure allows at most 64 origins in a CORS rule" if len(origins) > 64 else None,
        "methods: %s not allowed; choose from %s" % (", ".join(bad_methods), ", ".join(METHODS))
        if bad_methods else None,
        "methods must not be empty" if origins and not p["methods"] else None,
        "max_age must be between 0 and 2147483647" if not 0 <= p["max_age"] <= 2147483647 else None,
    ))

    wanted = []
    if origins:
        wanted = [normalize_cors_rule(dict(origins=origins, methods=p["methods"],
                                           allowed_headers=p["allowed_headers"],
                                           exposed_headers=p["exposed_headers"], max_age=p["max_age"]))]
    try:
        current = get_blob_cors(client)
        changed = sorted(current, key=repr) != sorted(wanted, key=repr)
        if changed and not module.check_mode:
            set_blob_cors(client, wanted)
    except StorageError as exc:
        module.fail_json(msg=data_error("blob service CORS", client, exc, "blob"))

    result = dict(changed=changed, rules=wanted)
    if module._diff:
        result["diff"] = {"before": {"rules": current}, "after": {"rules": wanted}}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
