# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options of the azure_* modules; the argument specs are in module_utils/_azure.py.

Every azure_* module extends ``wandb_local.server._azure`` (what all of them take: credentials, identity platform,
CA bundle, timeout; ``common_argument_spec()``) and then either ``wandb_local.server._azure.arm`` (Azure Resource
Manager, ``arm_argument_spec()``) or ``wandb_local.server._azure.data`` plus ``wandb_local.server._azure.blob_endpoint``
or ``wandb_local.server._azure.queue_endpoint`` (the Blob or Queue data plane, ``data_argument_spec("blob")`` /
``data_argument_spec("queue")``).
"""
from __future__ import annotations


class ModuleDocFragment:
    # common_argument_spec(): every azure_* module.
    DOCUMENTATION = r"""
options:
  tenant_id:
    description:
      - Microsoft Entra tenant id for the client secret (O(client_secret)); with a managed or workload identity
        its tenant. Default from E(AZURE_TENANT_ID).
    type: str
  client_id:
    description:
      - Application (client) id of the service principal for O(client_secret); without a client secret, the client
        id of the user-assigned managed identity or workload identity to use. Default from E(AZURE_CLIENT_ID).
    type: str
  client_secret:
    description:
      - Client secret of the service principal (needs O(tenant_id) and O(client_id)). Default from
        E(AZURE_CLIENT_SECRET).
    type: str
  access_token:
    description:
      - A ready access token, used as it is instead of any other credential (for example from
        C(az account get-access-token)). Its audience must be the service the module talks to (Azure Resource
        Manager, or C(https://storage.azure.com) for the Blob/Queue modules without an account key).
        Default from E(AZURE_ACCESS_TOKEN).
    type: str
  authority_host:
    description:
      - Microsoft identity platform that issues the tokens (https only). Another cloud's, e.g.
        V(https://login.microsoftonline.us), or a private one (then MSAL's instance discovery is skipped).
    type: str
    default: https://login.microsoftonline.com
  ca_path:
    description:
      - CA bundle (PEM) that verifies the TLS certificates of the endpoints and the identity platform, for a
        TLS-inspecting proxy or a private cloud. Default the system's CAs (or E(REQUESTS_CA_BUNDLE)).
    type: path
  timeout:
    description: Timeout of each HTTP request, in seconds (connect and read).
    type: int
    default: 60
notes:
  - Credentials come from C(azure-identity), first match wins. O(access_token) as it is; O(tenant_id) +
    O(client_id) + O(client_secret) (C(ClientSecretCredential)); else C(DefaultAzureCredential), which tries the
    E(AZURE_*) environment (client secret or certificate), workload identity (AKS), managed identity (Azure VMs,
    O(client_id) picks a user-assigned one) and the Azure CLI (C(az login)), in that order.
  - Retries are the Azure SDKs' own, with backoff; this collection adds none on top.
requirements:
  - azure-identity
"""

    # Azure Resource Manager: the rest of arm_argument_spec().
    ARM = r"""
options:
  subscription_id:
    description: Azure subscription id (a GUID). Default from E(AZURE_SUBSCRIPTION_ID).
    type: str
    required: true
  arm_endpoint:
    description: Azure Resource Manager endpoint; plain http is accepted only to a loopback host (a local fake).
    type: str
    default: https://management.azure.com
"""

    # Blob or Queue service: data_argument_spec(service) without its endpoint option, which comes with BLOB_ENDPOINT
    # or QUEUE_ENDPOINT.
    DATA = r"""
options:
  account_name:
    description: Storage account name.
    type: str
    required: true
  account_key:
    description:
      - A key of the storage account (key1 or key2); requests are signed with it (Shared Key).
      - Without it the module authenticates with Microsoft Entra ID (the credential options above; scope
        C(https://storage.azure.com)), which needs an https endpoint and a data role on the account, such as
        Storage Blob Data Contributor or Storage Queue Data Contributor.
    type: str
requirements:
  - azure-storage-blob
  - azure-storage-queue
"""

    # The endpoint option of data_argument_spec(service), one fragment per service. Literal strings: ansible-test
    # reads documentation fragments without running them.
    BLOB_ENDPOINT = r"""
options:
  blob_endpoint:
    description:
      - Blob service endpoint. Default V(https://<account_name>.blob.core.windows.net).
      - Plain http is refused except to a loopback host (127.0.0.0/8, ::1, localhost), so a key or token never
        crosses a network unencrypted. For Azurite use the path-style URL, e.g.
        V(http://127.0.0.1:10000/devstoreaccount1).
    type: str
"""

    QUEUE_ENDPOINT = r"""
options:
  queue_endpoint:
    description:
      - Queue service endpoint. Default V(https://<account_name>.queue.core.windows.net).
      - Plain http is refused except to a loopback host (127.0.0.0/8, ::1, localhost), so a key or token never
        crosses a network unencrypted. For Azurite use the path-style URL, e.g.
        V(http://127.0.0.1:10001/devstoreaccount1).
    type: str
"""
