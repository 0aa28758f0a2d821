#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: wait_ready
short_description: Wait for a W&B server's readiness URL, with one deadline
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
description:
  - Sends C(GET) to O(url) (the server's C(/ready)) without credentials until it answers 2xx, pausing O(delay)
    seconds between probes, for at most O(timeout) seconds in all.
  - Each probe is given O(request_timeout) seconds, and never more than the time left of the wait, so a server
    that accepts connections and never answers does not stretch the wait beyond O(timeout).
  - Fails when the time is up, saying how long it waited (measured), how many probes it made and what the last
    one saw (C(HTTP 503), C(connection refused), C(timed out after 10s)); the same is returned as RV(elapsed),
    RV(attempts), RV(last) and RV(status).
options:
  url:
    description: URL to probe, e.g. C(http://127.0.0.1:8080/ready).
    type: str
    required: true
  timeout:
    description: Seconds the whole wait may take. V(0) probes once (for at most O(request_timeout)).
    type: float
    default: 300
  delay:
    description: Seconds between the end of one probe and the start of the next.
    type: float
    default: 5
  request_timeout:
    description: Seconds one probe may take (connect and answer), capped by the time left of the wait.
    type: float
    default: 10
  validate_certs:
    description: Verify the TLS certificate of an C(https://) O(url). Only turn off for tests.
    type: bool
    default: true
  ca_path:
    description: CA bundle to verify O(url) with (private CAs).
    type: path
seealso:
  - module: wandb_local.server.admin_check
extends_documentation_fragment:
  - wandb_local.server._attributes.read_only
"""

EXAMPLES = r"""
- name: Wait up to 5 minutes for the server to be ready
  wandb_local.server.wait_ready:
    url: http://127.0.0.1:8080/ready
    timeout: 300
    delay: 5
"""

RETURN = r"""
ready:
  description: Whether O(url) answered 2xx within O(timeout).
  returned: always
  type: bool
status:
  description: HTTP status of the last probe; null when it got no HTTP answer (refused, timed out).
  returned: always
  type: int
  sample: 200
last:
  description: What the last probe saw.
  returned: always
  type: str
  sample: timed out after 10s
elapsed:
  description: Seconds the wait took (measured).
  returned: always
  type: float
attempts:
  description: Probes made.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._wandb_api import (
    WandbApi,
    WandbApiError,
    WandbWaitTimeout,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            timeout=dict(type="float", default=300),
            delay=dict(type="float", default=5),
            request_timeout=dict(type="float", default=10),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p["timeout"] < 0 or p["delay"] < 0 or p["request_timeout"] <= 0:
        module.fail_json(msg="timeout and delay must be 0 or more and request_timeout more than 0; got %s, %s, %s"
                         % (p["timeout"], p["delay"], p["request_timeout"]))
    result = dict(changed=False, ready=False, status=None, last=None, elapsed=0.0, attempts=0)
    try:
        client = WandbApi(p["url"], validate_certs=p["validate_certs"], ca_path=p["ca_path"],
                          timeout=p["request_timeout"])
    except WandbApiError as exc:
        module.fail_json(msg="url: %s" % exc, **result)
    try:
        client.wait_ready(p["timeout"], interval=p["delay"], path="")
    except WandbWaitTimeout as exc:
        result.update(status=exc.status, last=exc.last, elapsed=round(exc.elapsed, 1), attempts=exc.attempts)
        module.fail_json(msg=str(exc), **result)
    except WandbApiError as exc:  # not worth waiting for (an unverifiable certificate)
        result.update(attempts=client.attempts)
        module.fail_json(msg=str(exc), **result)
    waited = client.last_wait
    result.update(ready=True, status=waited.value, last=waited.last, elapsed=round(waited.elapsed, 1),
                  attempts=waited.attempts)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
