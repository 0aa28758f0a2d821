#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: gcp_iam_member
short_description: Grant or revoke one role for one member on a service account, bucket, topic or subscription
version_added: 0.1.0
description:
  - Reads the resource's IAM policy (version 3), adds or removes O(member) in the unconditional binding of
    O(role), and writes the policy back with the etag it read (so a concurrent change makes the write fail
    instead of being lost). Nothing is written when the policy already says what is wanted.
  - For the W&B server, C(roles/iam.serviceAccountTokenCreator) on the instance's own service account gives it
    C(iam.serviceAccounts.signBlob), needed to sign file URLs.
  - O(project) is the project of the topic or subscription; for the other resource types it is only validated.
    Bucket policies go through O(storage_endpoint), topic and subscription policies through O(pubsub_endpoint),
    service-account policies through O(iam_endpoint).
author:
  - wandb_local.server maintainers (!UNKNOWN)
options:
  resource_type:
    description: Kind of resource whose IAM policy is changed.
    type: str
    required: true
    choices: [service_account, bucket, topic, subscription]
  resource:
    description:
      - The resource, by kind, a service-account e-mail, a bucket name, a topic ID or a subscription ID.
    type: str
    required: true
  member:
    description: IAM principal, e.g. C(serviceAccount:wandb@my-project.iam.gserviceaccount.com).
    type: str
    required: true
  role:
    description: Role to grant, e.g. C(roles/iam.serviceAccountTokenCreator).
    type: str
    required: true
  state:
    description: Whether the member has the role (V(present)) or not (V(absent)).
    type: str
    default: present
    choices: [present, absent]
extends_documentation_fragment:
  - wandb_local.server._gcp
"""

EXAMPLES = r"""
- name: Let the instance's service account sign URLs (signBlob)
  wandb_local.server.gcp_iam_member:
    project: my-project
    resource_type: service_account
    resource: wandb@my-project.iam.gserviceaccount.com
    member: serviceAccount:wandb@my-project.iam.gserviceaccount.com
    role: roles/iam.serviceAccountTokenCreator
  delegate_to: localhost
"""

RETURN = r"""
members:
  description: Members of the role's unconditional binding after the run.
  returned: always
  type: list
  elements: str
  sample: ["serviceAccount:wandb@my-project.iam.gserviceaccount.com"]
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._gcp import (
    GcpClient,
    GcpError,
    check_project,
    ensure_policy_member,
    gcp_argument_spec,
    validate_bucket_name,
    validate_pubsub_id,
    validate_service_account_email,
)
from ansible_collections.wandb_local.server.plugins.module_utils._storage import make_diff

_MEMBER_RE = re.compile(r"^(user|serviceAccount|group|domain|principal|principalSet):\S+$|^(allUsers|allAuthenticatedUsers)$")
_ROLE_RE = re.compile(r"^(roles/[A-Za-z0-9_.]+|(projects|organizations)/[^/]+/roles/[A-Za-z0-9_.]+)$")


def main():
    module = AnsibleModule(
        argument_spec=gcp_argument_spec(
            resource_type=dict(type="str", required=True,
                               choices=["service_account", "bucket", "topic", "subscription"]),
            resource=dict(type="str", required=True),
            member=dict(type="str", required=True),
            role=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    check_project(module)
    kind, resource = params["resource_type"], params["resource"]
    if kind == "service_account":
        error = validate_service_account_email(resource)
    elif kind == "bucket":
        error = validate_bucket_name(resource, "resource")
    else:
        error = validate_pubsub_id(kind, resource)
    if not error and not _MEMBER_RE.match(params["member"]):
        error = ("member %r is not an IAM principal: use e.g. serviceAccount:NAME@PROJECT.iam.gserviceaccount.com "
                 "or user:someone@example.com" % params["member"])
    if not error and not _ROLE_RE.match(params["role"]):
        error = "role %r is not an IAM role name: use e.g. roles/iam.serviceAccountTokenCreator" % params["role"]
    if error:
        module.fail_json(msg=error)

    client = GcpClient(module)
    try:
        changed, before, after = ensure_policy_member(client, kind, resource, params["role"], params["member"],
                                                      state=params["state"], check_mode=module.check_mode)
    except GcpError as exc:
        module.fail_json(msg=str(exc), status=exc.status)
    result = dict(changed=changed, members=after)
    if module._diff:
        result["diff"] = make_diff({"role": params["role"], "members": before},
                                   {"role": params["role"], "members": after},
                                   header="IAM policy of %s %s" % (kind, resource))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
