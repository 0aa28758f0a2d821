#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: backup_copy
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
short_description: Copy a W&B server backup off the host to S3, GCS or Azure Blob, or fetch one back
description:
  - "O(state=present) verifies a backup made by M(wandb_local.server.server_backup) or the backup role (its
    C(X.manifest.json) and the files it lists) and uploads its files, then the manifest, to O(url). An object
    already there with the same SHA-256 (kept in its C(sha256) metadata) is not sent again."
  - "O(state=fetched) downloads a backup (O(name), or the newest of O(container_name)) from O(url) into O(dest_dir)
    (0700, files 0600) and verifies it against its manifest; files already there with the right SHA-256 are kept."
  - "Encryption: on S3 every object is sent with server-side encryption (O(sse): C(AES256), or C(aws:kms) with
    O(kms_key_id)). GCS and Azure Blob encrypt every object at rest, always (Google- or Microsoft-managed keys); on
    GCS O(kms_key_name) uses a customer-managed key instead."
  - "Credentials go through the same clients as the storage role: boto3 (the aws options), google-auth (a
    service-account key file, else application default credentials; anonymous for an C(http://) emulator),
    azure-storage-blob (an account key or SAS token)."
options:
  state:
    description: V(present) uploads the backup at O(path); V(fetched) downloads one into O(dest_dir).
    type: str
    choices: [present, fetched]
    default: present
  url:
    description: "Where the copies live: C(s3://bucket/prefix), C(gs://bucket/prefix) or
      C(az://account/container/prefix). No credentials in it."
    type: str
    required: true
  path:
    description: The backup to upload, its archive C(X.tar.gz) or manifest C(X.manifest.json). Required with
      O(state=present).
    type: path
  dest_dir:
    description: Directory to fetch into. Required with O(state=fetched).
    type: path
  name:
    description: With O(state=fetched), the backup to fetch (archive or manifest name, without directory).
    type: str
  container_name:
    description: With O(state=fetched) and no O(name), fetch the newest backup of this server container.
    type: str
  sse:
    description: S3 server-side encryption of every object.
    type: str
    choices: [AES256, "aws:kms"]
    default: AES256
  kms_key_id:
    description: With O(sse=aws:kms), the KMS key (id, ARN or alias); default the account's C(aws/s3) key.
    type: str
  kms_key_name:
    description: GCS customer-managed key (C(projects/P/locations/L/keyRings/R/cryptoKeys/K)); default Google-managed.
    type: str
  credentials_file:
    description: GCS service-account key file; default application default credentials.
    type: path
  storage_endpoint:
    description: GCS JSON API endpoint (an emulator's C(http://127.0.0.1:PORT/storage/v1)).
    type: str
    default: https://storage.googleapis.com/storage/v1
  account_key:
    description: Azure storage account key.
    type: str
  sas_token:
    description: Azure SAS token (instead of O(account_key)).
    type: str
  blob_endpoint:
    description: Azure Blob endpoint; default C(https://<account>.blob.core.windows.net).
    type: str
extends_documentation_fragment:
  - wandb_local.server._aws
attributes:
  check_mode:
    support: full
    description: Reports what would be sent or fetched (reads the bucket only).
  diff_mode:
    support: none
    description: Returns no diff.
requirements:
  - boto3 (S3), google-auth and requests (GCS), azure-storage-blob (Azure)
"""

EXAMPLES = r"""
- name: Copy the backup off the host
  wandb_local.server.backup_copy:
    path: "{{ wandb_backup.manifest }}"
    url: s3://acme-wandb-backups/wandb-local
    sse: aws:kms
    kms_key_id: alias/wandb-backups

- name: Fetch the newest backup of wandb-local onto a new host
  wandb_local.server.backup_copy:
    state: fetched
    url: s3://acme-wandb-backups/wandb-local
    container_name: wandb-local
    dest_dir: /var/backups/wandb-local
  register: fetched
"""

RETURN = r"""
manifest:
  description: The manifest uploaded, or fetched (local path).
  returned: always
  type: str
sent:
  description: With O(state=present), the names uploaded (the manifest last).
  returned: when state is present
  type: list
  elements: str
present:
  description: With O(state=present), the names already in the bucket with the same SHA-256.
  returned: when state is present
  type: list
  elements: str
fetched:
  description: With O(state=fetched), the names downloaded (empty when the backup was already there).
  returned: when state is fetched
  type: list
  elements: str
archive:
  description: With O(state=fetched), the local archive to restore (C(X.tar.gz)).
  returned: when state is fetched
  type: str
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.wandb_local.server.plugins.module_utils import _aws
from ansible_collections.wandb_local.server.plugins.module_utils import _backup
from ansible_collections.wandb_local.server.plugins.module_utils import _backup_store as store_lib


def open_store(module):
    params = module.params
    try:
        scheme, bucket, container, prefix = store_lib.parse_url(params["url"])
    except ValueError as exc:
        module.fail_json(msg=to_native(exc))
    try:
        if scheme == "s3":
            client = _aws.AWSHelper(module).client("s3")
            return store_lib.S3Store(client, bucket, prefix, params["sse"], params["kms_key_id"])
        if scheme == "gs":
            return store_lib.GCSStore(store_lib.gcs_session(params["credentials_file"], params["storage_endpoint"]),
                                      bucket, prefix, params["storage_endpoint"], params["kms_key_name"],
                                      params["timeout"])
        return store_lib.AzureStore(store_lib.azure_container(bucket, container, params["account_key"],
                                                              params["sas_token"], params["blob_endpoint"]),
                                    prefix, "az://%s/%s/%s" % (bucket, container, prefix))
    except ImportError as exc:
        module.fail_json(msg=missing_required_lib({"s3": "boto3", "gs": "google-auth and requests",
                                                   "az": "azure-storage-blob"}[scheme]),
                         exception=traceback.format_exc(), error=to_native(exc))
    except Exception as exc:  # pylint: disable=broad-except  # each SDK raises its own credential errors
        module.fail_json(msg="cannot open %s: %s" % (params["url"], to_native(exc)))


def main():
    module = AnsibleModule(
        argument_spec=_aws.aws_argument_spec(
            state=dict(type="str", choices=["present", "fetched"], default="present"),
            url=dict(type="str", required=True),
            path=dict(type="path"),
            dest_dir=dict(type="path"),
            name=dict(type="str"),
            container_name=dict(type="str"),
            sse=dict(type="str", choices=["AES256", "aws:kms"], default="AES256"),
            kms_key_id=dict(type="str"),
            kms_key_name=dict(type="str"),
            credentials_file=dict(type="path"),
            storage_endpoint=dict(type="str", default=store_lib.GCS_DEFAULT_ENDPOINT),
            account_key=dict(type="str", no_log=True),
            sas_token=dict(type="str", no_log=True),
            blob_endpoint=dict(type="str"),
        ),
        required_if=[("state", "present", ["path"]), ("state", "fetched", ["dest_dir"]),
                     ("state", "fetched", ["name", "container_name"], True)],
        supports_check_mode=True,
    )
    params = module.params
    store = open_store(module)
    try:
        if params["state"] == "present":
            path = params["path"]
            manifest = path if path.endswith(_backup.MANIFEST_SUFFIX) else _backup.manifest_path(path)
            sent, present = store_lib.upload_backup(store, manifest, check_mode=module.check_mode)
            module.exit_json(changed=bool(sent), manifest=manifest, sent=sent, present=present)
        manifest, fetched, warning = store_lib.fetch_backup(store, params["dest_dir"], name=params["name"],
                                                            container_name=params["container_name"],
                                                            check_mode=module.check_mode)
        if warning:
            module.warn(warning)
        module.exit_json(changed=bool(fetched), manifest=manifest, fetched=fetched,
                         archive=_backup.archive_of(manifest))
    except store_lib.StoreError as exc:
        module.fail_json(msg=to_native(exc))
    except (OSError, ValueError) as exc:
        module.fail_json(msg="%s: %s" % (params["url"], to_native(exc)))
    except Exception as exc:  # pylint: disable=broad-except  # boto3, google-auth, azure errors
        if _aws.is_boto_error(exc):
            _aws.fail_aws(module, exc, "copy of the backup to or from %s failed" % params["url"])
        module.fail_json(msg="copy of the backup to or from %s failed: %s" % (params["url"], to_native(exc)))


if __name__ == "__main__":
    main()
