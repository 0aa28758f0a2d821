#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: gcp_bucket
short_description: Ensure a Cloud Storage bucket for W&B file storage
version_added: 0.1.0
description:
  - Creates or updates a Google Cloud Storage bucket through the Cloud Storage JSON API v1 so that it has the
    C(STANDARD) storage class, uniform bucket-level access, enforced public access prevention, an optional
    customer-managed encryption key (CMEK) and a CORS rule that lets the W&B server's origins C(GET) and C(PUT).
  - The bucket name is checked against the Cloud Storage naming rules before any call.
  - The location of an existing bucket cannot be changed; a different O(location) fails with a message.
  - After creating or updating the bucket the module reads it back and fails, naming each setting with the value it
    expected and the value the service returned, when the location, storage class, uniform bucket-level access,
    public access prevention, CORS rule or default KMS key is not what it asked for (a service that accepted the
    request without applying it). It never reports success for settings that are not in place.
  - O(project) is the project that owns the bucket. The module calls only the Cloud Storage JSON API
    (O(storage_endpoint)).
author:
  - wandb_local.server maintainers (!UNKNOWN)
options:
  name:
    description: Bucket name (globally unique).
    type: str
    required: true
  location:
    description: Bucket location, a region (C(EUROPE-WEST1)), dual-region or multi-region (C(US)).
    type: str
    default: US
  cors_origins:
    description:
      - Origins allowed to C(GET) and C(PUT) objects from a browser, e.g. C(https://wandb.example.com).
      - Each is stored as a browser sends it in the C(Origin) header (RFC 6454), with scheme and host lower-cased, the
        scheme's default port dropped (V(https://wandb.example.com:443) is stored as V(https://wandb.example.com)),
        no path or trailing slash. A host name with non-ASCII letters must be written in its punycode form.
      - An empty list removes the CORS configuration.
    type: list
    elements: str
    default: []
  cors_max_age:
    description: Seconds a browser may cache the CORS preflight answer.
    type: int
    default: 3600
  kms_key_name:
    description:
      - Full resource name of a Cloud KMS key used as the bucket's default key, C(projects/P/locations/L/keyRings/R/cryptoKeys/K).
      - Empty or unset leaves Google-managed encryption.
    type: str
notes:
  - "Emulators, as seen with the read-back: gcp-storage-emulator ignores the body of a bucket insert except the name
    (a new bucket is in C(US), without uniform access, public access prevention, CORS or key); the module's patch
    right after the insert sets all of them except the location, which Cloud Storage cannot patch, so any
    O(location) other than C(US) fails against that emulator with a location mismatch. fake-gcs-server keeps none of
    these settings (its buckets are always in C(US-CENTRAL1)), so the module fails against it, naming each one."
extends_documentation_fragment:
  - wandb_local.server._gcp
"""

EXAMPLES = r"""
- name: Bucket for the W&B server
  wandb_local.server.gcp_bucket:
    project: my-project
    name: my-wandb-files
    location: EUROPE-WEST1
    cors_origins: ["https://wandb.example.com"]
    kms_key_name: projects/my-project/locations/europe-west1/keyRings/wandb/cryptoKeys/files
  delegate_to: localhost
"""

RETURN = r"""
bucket:
  description: The bucket's managed properties after the run.
  returned: always
  type: dict
  sample:
    name: my-wandb-files
    location: EUROPE-WEST1
    storageClass: STANDARD
    uniformBucketLevelAccess: true
    publicAccessPrevention: enforced
    defaultKmsKeyName: null
    cors: [{origin: ["https://wandb.example.com"], method: [GET, PUT], responseHeader: ["*"], maxAgeSeconds: 3600}]
url:
  description: The bucket URL the W&B server uses.
  returned: always
  type: str
  sample: gs://my-wandb-files
"""

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._gcp import (
    GcpClient,
    GcpError,
    check_project,
    gcp_argument_spec,
    validate_bucket_name,
)
from ansible_collections.wandb_local.server.plugins.module_utils._storage import (
    cors_origins_error,
    cors_rule,
    gcp_kms_key_problems,
    make_diff,
)


def cors_rules(origins, max_age):
    """The bucket's CORS list for the origins (shared neutral rule: GET and PUT, any header) in GCS shape."""
    if not origins:
        return []
    rule = cors_rule(origins, max_age_seconds=max_age)
    return [{"origin": rule["origins"], "method": rule["methods"], "responseHeader": rule["headers"],
             "maxAgeSeconds": rule["max_age_seconds"]}]


def _norm_cors(rules):
    out = []
    for rule in rules or []:
        out.append({
            "origin": sorted(rule.get("origin") or []),
            "method": sorted(m.upper() for m in rule.get("method") or []),
            "responseHeader": sorted(rule.get("responseHeader") or []),
            "maxAgeSeconds": int(rule.get("maxAgeSeconds") or 0),
        })
    return out


def summarize(bucket):
    """Managed properties of a bucket resource, in a stable shape for comparison and diff."""
    if bucket is None:
        return {}
    iam = bucket.get("iamConfiguration") or {}
    return {
        "name": bucket.get("name"),
        "location": (bucket.get("location") or "").upper(),
        "storageClass": bucket.get("storageClass"),
        "uniformBucketLevelAccess": bool((iam.get("uniformBucketLevelAccess") or {}).get("enabled")),
        "publicAccessPrevention": iam.get("publicAccessPrevention") or "inherited",
        "defaultKmsKeyName": (bucket.get("encryption") or {}).get("defaultKmsKeyName") or None,
        "cors": _norm_cors(bucket.get("cors")),
    }


def wanted_resource(params):
    body = {
        "name": params["name"],
        "location": params["location"].upper(),
        "storageClass": "STANDARD",
        "iamConfiguration": {
            "uniformBucketLevelAccess": {"enabled": True},
            "publicAccessPrevention": "enforced",
        },
        "cors": cors_rules(params["cors_origins"], params["cors_max_age"]),
    }
    if params.get("kms_key_name"):
        body["encryption"] = {"defaultKmsKeyName": params["kms_key_name"]}
    return body


# The settings read back after a write, with the name the failure message gives them.
VERIFIED = (
    ("location", "location"),
    ("storageClass", "storage class"),
    ("uniformBucketLevelAccess", "uniform bucket-level access"),
    ("publicAccessPrevention", "public access prevention"),
    ("cors", "CORS"),
    ("defaultKmsKeyName", "default KMS key"),
)


def mismatches(got, wanted):
    """One 'setting: expected X, got Y' line for each verified setting of `got` that is not the one of `wanted`."""
    have, want = summarize(got), summarize(wanted)
    return ["%s: expected %s, got %s" % (label, json.dumps(want[key], sort_keys=True),
                                         json.dumps(have[key], sort_keys=True))
            for key, label in VERIFIED if have[key] != want[key]]


def verify_applied(module, client, name, wanted):
    """Read the bucket back after a write; fail naming every setting the service did not apply. Returns its summary."""
    got = client.call("GET", "storage", "b/%s" % name, what="reading back bucket %s" % name)
    wrong = mismatches(got, wanted)
    if wrong:
        module.fail_json(
            msg="bucket %s: Cloud Storage accepted the request but did not apply %s. The service at %s stores other "
                "values than the ones sent (an emulator or proxy that does not implement them, or a policy that "
                "overrides them); check the bucket with `gcloud storage buckets describe gs://%s` and the "
                "storage_endpoint option." % (name, "; ".join(wrong), client.endpoints["storage"], name),
            changed=True, bucket=summarize(got), mismatches=wrong)
    return summarize(got)


def patch_body(current, wanted):
    """Only the top-level fields that differ (each sent whole, so shallow-merging servers get them right)."""
    cur, want = summarize(current), summarize(wanted)
    body = {}
    if cur["storageClass"] != want["storageClass"]:
        body["storageClass"] = wanted["storageClass"]
    if (cur["uniformBucketLevelAccess"], cur["publicAccessPrevention"]) != \
            (want["uniformBucketLevelAccess"], want["publicAccessPrevention"]):
        body["iamConfiguration"] = wanted["iamConfiguration"]
    if cur["cors"] != want["cors"]:
        body["cors"] = wanted["cors"]
    if cur["defaultKmsKeyName"] != want["defaultKmsKeyName"]:
        body["encryption"] = wanted.get("encryption") or {"defaultKmsKeyName": None}
    return body


def main():
    module = AnsibleModule(
        argument_spec=gcp_argument_spec(
            name=dict(type="str", required=True),
            location=dict(type="str", default="US"),
            cors_origins=dict(type="list", elements="str", default=[]),
            cors_max_age=dict(type="int", default=3600),
            kms_key_name=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    check_project(module)
    error = validate_bucket_name(params["name"])
    if not error and params.get("kms_key_name") and gcp_kms_key_problems(params["kms_key_name"]):
        error = ("kms_key_name %r is not a Cloud KMS key name: use projects/P/locations/L/keyRings/R/cryptoKeys/K"
                 % params["kms_key_name"])
    error = error or cors_origins_error(params["cors_origins"], "cors_origins")
    if error:
        module.fail_json(msg=error)

    client = GcpClient(module)
    name = params["name"]
    wanted = wanted_resource(params)
    changed = False
    try:
        current = client.call("GET", "storage", "b/%s" % name, allow_404=True, what="reading bucket %s" % name)
        before = summarize(current)
        if current is None:
            changed = True
            after = summarize(wanted)
            if not module.check_mode:
                current = client.call("POST", "storage", "b", body=wanted, params={"project": client.project},
                                      what="creating bucket %s" % name)
                # Some servers (emulators) ignore part of the insert body: converge with a patch.
                fix = patch_body(current, wanted)
                if fix:
                    client.call("PATCH", "storage", "b/%s" % name, body=fix, what="updating bucket %s" % name)
                after = verify_applied(module, client, name, wanted)
        else:
            if before["location"] != wanted["location"]:
                module.fail_json(msg="bucket %s exists in location %s, not %s: a bucket's location cannot be changed; "
                                     "set location to %s or choose another bucket name"
                                     % (name, before["location"], wanted["location"], before["location"]))
            fix = patch_body(current, wanted)
            after = before
            if fix:
                changed = True
                merged = dict(current)
                merged.update(fix)
                after = summarize(merged)
                if not module.check_mode:
                    client.call("PATCH", "storage", "b/%s" % name, body=fix, what="updating bucket %s" % name)
                    after = verify_applied(module, client, name, wanted)
    except GcpError as exc:
        module.fail_json(msg=str(exc), status=exc.status)

    result = dict(changed=changed, bucket=after, url="gs://%s" % name)
    if module._diff:
        result["diff"] = make_diff(before or None, after, header="gs://%s" % name)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
