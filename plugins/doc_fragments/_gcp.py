# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options of the gcp_* modules; the argument spec is ``GCP_COMMON_ARGS`` in module_utils/_gcp.py."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  project:
    description: Google Cloud project ID that owns the resources.
    type: str
    required: true
  credentials_file:
    description: Path to a service-account JSON key file. Without it, application default credentials are used
      (or no credentials at all when every endpoint is plain C(http://), i.e. an emulator).
    type: path
  storage_endpoint:
    description:
      - Base URL of the Cloud Storage JSON API (buckets, their notifications and IAM policies).
      - Every gcp module accepts the three endpoint options, so one set of defaults fits all of them; a module
        ignores the endpoints of the APIs it does not call.
    type: str
    default: https://storage.googleapis.com/storage/v1
  pubsub_endpoint:
    description:
      - Base URL of the Pub/Sub API (topics, subscriptions and their IAM policies), e.g. C(http://127.0.0.1:8085/v1)
        for the emulator.
    type: str
    default: https://pubsub.googleapis.com/v1
  iam_endpoint:
    description: Base URL of the IAM API (service-account IAM policies).
    type: str
    default: https://iam.googleapis.com/v1
requirements:
  - google-auth
  - requests
"""
