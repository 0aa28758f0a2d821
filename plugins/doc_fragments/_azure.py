# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options of the azure_* modules; the argument specs are in module_utils/_azure.py.

Every azure_* module extends ``wandb_local.server._azure`` (what all of them take) and then either
``wandb_local.server._azure.arm`` (Azure Resource Manager, ``arm_argument_spec()``) or
``wandb_local.server._azure.data`` plus ``wandb_local.server._azure.blob_endpoint`` or
``wandb_local.server._azure.queue_endpoint`` (the Blob or Queue data plane with Shared Key,
``data_argument_spec("blob")`` / ``data_argument_spec("queue")``).
"""
from __future__ import annotations


class ModuleDocFragment:
    # Common to arm_argument_spec() and data_argument_spec().
    DOCUMENTATION = r"""
options:
  timeout:
    description: Timeout of each HTTP request, in seconds.
    type: int
    default: 60
requirements:
  - requests
"""

    # Azure Resource Manager: the rest of arm_argument_spec().
    ARM = r"""
options:
  subscription_id:
    description: Azure subscription id (a GUID). Default from E(AZURE_SUBSCRIPTION_ID).
    type: str
    required: true
  tenant_id:
    description: Microsoft Entra tenant id for the client secret. Default from E(AZURE_TENANT_ID).
    type: str
  client_id:
    description: Application (client) id of the service principal. Default from E(AZURE_CLIENT_ID).
    type: str
  client_secret:
    description: Client secret of the service principal. Default from E(AZURE_CLIENT_SECRET).
    type: str
  access_token:
    description:
      - An Azure Resource Manager access token to use instead of the client secret (for example from
        C(az account get-access-token)). Default from E(AZURE_ACCESS_TOKEN).
    type: str
  arm_endpoint:
    description: Azure Resource Manager endpoint; plain http is accepted only for a loopback fake.
    type: str
    default: https://management.azure.com
  authority_host:
    description: Microsoft identity platform host that issues tokens for the client secret.
    type: str
    default: https://login.microsoftonline.com
"""

    # Blob or Queue service with Shared Key: data_argument_spec(service) without its endpoint option, which
    # comes with BLOB_ENDPOINT or QUEUE_ENDPOINT.
    DATA = r"""
options:
  account_name:
    description: Storage account name.
    type: str
    required: true
  account_key:
    description: A key of the storage account (key1 or key2).
    type: str
    required: true
"""

    # The endpoint option of data_argument_spec(service), one fragment per service. Literal strings: ansible-test
    # reads documentation fragments without running them.
    BLOB_ENDPOINT = r"""
options:
  blob_endpoint:
    description:
      - Blob service endpoint. Default V(https://<account_name>.blob.core.windows.net).
      - For Azurite use the path-style URL, e.g. V(http://127.0.0.1:10000/devstoreaccount1).
    type: str
"""

    QUEUE_ENDPOINT = r"""
options:
  queue_endpoint:
    description:
      - Queue service endpoint. Default V(https://<account_name>.queue.core.windows.net).
      - For Azurite use the path-style URL, e.g. V(http://127.0.0.1:10001/devstoreaccount1).
    type: str
"""
