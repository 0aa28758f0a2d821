# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options of the aws_* modules; the argument spec is aws_argument_spec() in module_utils/_aws.py."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  region:
    description:
      - AWS region of the resources. Defaults to the region of the boto3 credential chain, then C(us-east-1).
    type: str
    aliases: [aws_region]
  endpoint_url:
    description:
      - Endpoint URL for S3-compatible stores or emulators (for example moto). Omit for AWS.
    type: str
    aliases: [aws_endpoint_url]
  profile:
    description:
      - Named profile of the shared AWS config and credentials files. Omit to use the usual boto3 credential chain.
    type: str
    aliases: [aws_profile]
  access_key:
    description:
      - AWS access key id. Omit to use the usual boto3 credential chain (environment, profile, instance role).
    type: str
    aliases: [aws_access_key_id]
  secret_key:
    description:
      - AWS secret access key. Never logged. Omit to use the usual boto3 credential chain.
    type: str
    aliases: [aws_secret_access_key]
  session_token:
    description:
      - AWS session token for temporary credentials. Never logged.
    type: str
    aliases: [aws_session_token]
  timeout:
    description:
      - Seconds to wait for the endpoint to accept a connection, and then for each answer. An endpoint that is down
        or stops answering fails the task within about O(max_attempts) times this (plus a short backoff).
    type: float
    default: 30
  max_attempts:
    description:
      - Attempts of each request (the first one included) when the endpoint cannot be reached, does not answer in
        time, throttles or answers with a transient error (HTTP 500, 502, 503, 504); retried by botocore alone, in
        O(retry_mode), with exponential backoff and jitter. Nothing is retried on top of that.
    type: int
    default: 4
  retry_mode:
    description:
      - botocore's retry mode. V(standard) retries with exponential backoff and full jitter under a client-side
        retry quota; V(adaptive) adds client-side rate limiting when AWS throttles (many concurrent runs against one
        account). The storage role sets it from C(storage_aws_retry_mode).
    type: str
    choices: [standard, adaptive]
    default: standard
  ca_certificates:
    description:
      - PEM texts of CA certificates to trust in addition to the system CAs, e.g. for an S3-compatible store with an
        internal CA; the C(storage) role passes those of C(wandb_server_ca_certificates), which the W&B server trusts
        too. An endpoint whose CA is neither fails with a message naming C(wandb_server_ca_certificates).
    type: list
    elements: str
    default: []
requirements:
  - boto3
"""
