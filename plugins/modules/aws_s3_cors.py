#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: aws_s3_cors
short_description: Allow the W&B server's origins to GET and PUT objects of an S3 bucket (CORS rule)
version_added: 0.1.0
description:
  - Adds (or replaces) one CORS rule, identified by O(id), in the bucket's CORS configuration, with allowed
    origins O(origins), methods O(methods) (GET and PUT), headers O(headers) (all).
  - CORS rules with another id (or none) are kept. Origins are stored as a browser sends them in the C(Origin)
    header (RFC 6454 serialisation, with scheme and host lower-cased, the scheme's default port dropped, no path or
    trailing slash), so V(https://wandb.example.com:443) becomes V(https://wandb.example.com) (a browser's
    preflight would not match the rule otherwise), and the same HOST spelled differently does not cause changes.
    A rule of ours stored with a default port by an older version is rewritten once.
author:
  - wandb_local.server maintainers (!UNKNOWN)
options:
  bucket:
    description:
      - Name of the bucket.
    type: str
    required: true
  origins:
    description:
      - Origins allowed, for example C(https://wandb.example.com) (the server's HOST). Required when
        O(state=present).
      - A host name with non-ASCII letters must be written in its punycode form (C(xn--...)), the form browsers send.
    type: list
    elements: str
  methods:
    description:
      - HTTP methods allowed.
    type: list
    elements: str
    default: [GET, PUT]
  headers:
    description:
      - Request headers allowed in a preflight.
    type: list
    elements: str
    default: ['*']
  expose_headers:
    description:
      - Response headers the browser may read.
    type: list
    elements: str
    default: []
  max_age:
    description:
      - Seconds a browser may cache the preflight answer. Omit for the browser's default.
    type: int
  id:
    description:
      - Id of the CORS rule this module owns.
    type: str
    default: wandb-local
  state:
    description:
      - C(present) adds or updates the rule, C(absent) removes only it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode and diff mode (before/after of the bucket's CORS rules).
extends_documentation_fragment:
  - wandb_local.server._aws
"""

EXAMPLES = r"""
- name: Browser uploads from the W&B server
  wandb_local.server.aws_s3_cors:
    bucket: acme-wandb-files
    origins: [https://wandb.example.com]
"""

RETURN = r"""
cors_rules:
  description: The bucket's CORS rules after the run (predicted in check mode).
  returned: success
  type: list
  elements: dict
  sample:
    - ID: wandb-local
      AllowedOrigins: [https://wandb.example.com]
      AllowedMethods: [GET, PUT]
      AllowedHeaders: ['*']
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._aws import (
    AWSHelper,
    aws_argument_spec,
    check_bucket_name,
)
# The step itself lives in module_utils (shared with aws_storage).
from ansible_collections.wandb_local.server.plugins.module_utils._aws_storage import (
    DEFAULT_CORS_ID,
    cors_rule_of,
    ensure_cors,
)


def main():
    module = AnsibleModule(
        argument_spec=aws_argument_spec(
            bucket=dict(type="str", required=True),
            origins=dict(type="list", elements="str"),
            methods=dict(type="list", elements="str", default=["GET", "PUT"]),
            headers=dict(type="list", elements="str", default=["*"]),
            expose_headers=dict(type="list", elements="str", default=[]),
            max_age=dict(type="int"),
            id=dict(type="str", default=DEFAULT_CORS_ID),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ["origins"])],
        supports_check_mode=True,
    )
    params = module.params
    bucket = check_bucket_name(module)
    ours = None
    if params["state"] == "present":
        ours, error = cors_rule_of(params["origins"], params["methods"], params["headers"],
                                   params["expose_headers"], params["max_age"], params["id"])
        if error:
            module.fail_json(msg=error)
    aws = AWSHelper(module)
    module.exit_json(**ensure_cors(aws, bucket, ours, params["id"]))


if __name__ == "__main__":
    main()
