#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: oidc_check
short_description: Check an OpenID Connect provider before W&B single sign-on is turned on
version_added: 0.1.0
description:
  - Fetches the provider's discovery document (C($issuer/.well-known/openid-configuration)) and checks that the
    W&B server can sign users in with it, so a typo fails the play before the server is changed and nobody is
    locked out.
  - "Checks: the document's C(issuer) equals O(issuer) exactly; C(authorization_endpoint) and C(jwks_uri) exist;
    the auth method is offered (V(implicit): response type C(id_token) and, when the provider lists response modes,
    C(form_post); V(pkce): response type C(code) and code challenge method C(S256)); the scopes C(openid),
    C(profile) and C(email) are supported when the provider lists its scopes."
  - "AWS Cognito rules from the W&B documentation: a Cognito user pool issuer
    (C(https://cognito-idp.REGION.amazonaws.com/POOL_ID)) needs O(auth_method=pkce); a Cognito domain
    (C(*.auth.REGION.amazoncognito.com)) is not an issuer. Both fail before any request is sent."
  - Returns the callback and logout URLs to register at the provider for every W&B host.
  - Read-only; never changes anything (C(changed=false)); runs the same in check mode.
author:
  - wandb_local.server maintainers (!UNKNOWN)
options:
  issuer:
    description: The OpenID Connect issuer URL the W&B server will get (C(OIDC_ISSUER)).
    type: str
    required: true
  auth_method:
    description: The grant W&B will use (C(OIDC_AUTH_METHOD)).
    type: str
    choices: [implicit, pkce]
    default: implicit
  hosts:
    description:
      - The W&B server's origins (C(HOST)), e.g. C(https://wandb.example.com). One callback URL and two logout
        URLs are returned for each.
    type: list
    elements: str
    default: []
  required_scopes:
    description: Scopes the provider must support (W&B requests C(openid profile email)).
    type: list
    elements: str
    default: [openid, profile, email]
  assume_pkce:
    description:
      - Accept a provider that offers the code grant but does not publish C(code_challenge_methods_supported).
      - Cognito user pools support S256 without publishing it and are accepted without this option.
    type: bool
    default: false
  discovery_url:
    description:
      - Fetch the discovery document from this URL instead of C($issuer/.well-known/openid-configuration), e.g.
        through an internal name or proxy. The C(issuer) inside must still equal O(issuer).
    type: str
  ca_bundle:
    description:
      - PEM file with the CA certificate(s) of a private identity provider, on the host running the module; only
        these are trusted then (plus O(ca_certificates)).
    type: path
  validate_certs:
    description: Verify the provider's TLS certificate. Turn off only for test providers.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the provider.
    type: int
    default: 10
notes:
  - Supports C(check_mode); nothing is ever changed.
extends_documentation_fragment:
  - wandb_local.server._ca_certificates
"""

EXAMPLES = r"""
- name: Check Cognito before turning SSO on
  wandb_local.server.oidc_check:
    issuer: https://cognito-idp.us-east-1.amazonaws.com/us-east-1_uiIFNdacd
    auth_method: pkce
    hosts:
      - https://wandb.example.com
  register: oidc

- name: Show what to register at the identity provider
  ansible.builtin.debug:
    msg: "Callback URLs {{ oidc.callback_urls }}, logout URLs {{ oidc.logout_urls }}"

- name: A private Keycloak with its own CA
  wandb_local.server.oidc_check:
    issuer: https://sso.internal.example.com/realms/main
    ca_bundle: /etc/ssl/certs/internal-ca.pem
    hosts: ["https://wandb.internal.example.com"]

- name: Trust the system CAs plus the custom CAs the W&B server trusts
  wandb_local.server.oidc_check:
    issuer: https://sso.internal.example.com/realms/main
    ca_certificates: "{{ query('wandb_local.server.ca_certificates', *wandb_server_ca_certificates) }}"
"""

RETURN = r"""
issuer:
  description: The issuer that was checked.
  returned: always
  type: str
  sample: https://cognito-idp.us-east-1.amazonaws.com/us-east-1_uiIFNdacd
discovery_url:
  description: Where the discovery document was read.
  returned: always
  type: str
  sample: https://cognito-idp.us-east-1.amazonaws.com/us-east-1_uiIFNdacd/.well-known/openid-configuration
auth_method:
  description: The auth method that was checked.
  returned: always
  type: str
  sample: pkce
callback_urls:
  description: C(<HOST>/oidc/callback) for every host, to register as allowed callback URLs.
  returned: always
  type: list
  elements: str
  sample: ["https://wandb.example.com/oidc/callback"]
logout_urls:
  description: C(<HOST>) and C(<HOST>/logout) for every host, to register as sign-out URLs.
  returned: always
  type: list
  elements: str
  sample: ["https://wandb.example.com", "https://wandb.example.com/logout"]
discovery:
  description: The parts of the discovery document the check used.
  returned: when the document was read
  type: dict
  sample:
    issuer: https://sso.example.com
    authorization_endpoint: https://sso.example.com/auth
    jwks_uri: https://sso.example.com/jwks
problems:
  description: Everything found wrong (also joined in C(msg) on failure).
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._server_checks import (
    oidc_discovery,
    oidc_discovery_spec,
)


def main():
    module = AnsibleModule(argument_spec=oidc_discovery_spec(), supports_check_mode=True)
    result, error = oidc_discovery(module.params)
    if error:
        module.fail_json(msg=error, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
