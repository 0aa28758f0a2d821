#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: settings
short_description: Apply W&B server instance settings (license, host, SSO, storage, Redis, Slack) safely
version_added: 0.1.0
author: wandb_local.server maintainers (!UNKNOWN)
description:
  - Takes the wanted instance settings of a self-hosted W&B server (C(wandb/local) container), compares them with
    the current ones and changes only what differs.
  - "Route C(env), the route that always works (the documentation's I(configuration as code)): the module updates
    the server's docker env file in place (atomic write, mode 0600, comments and other variables kept) and reads the
    container through the Docker API to report whether its environment differs from the file (RV(restart_required),
    RV(pending_env))."
  - "The module does not restart or recreate the container. The C(wandb_server) role is the one path that creates and
    recreates it (C(community.docker.docker_container)): run its entry point C(apply_env)
    (C(ansible.builtin.include_role) with C(tasks_from: apply_env)) after this module to recreate the container once
    with the env file, keeping its image and the rest of its configuration, wait for C(/ready), and, with the
    admin API on, prove the admin key still works. C(playbooks/restore_access.yml) does that."
  - "There is no public description of the HTTP contract behind the server's C(/system-admin) page (its backend
    rejects a foreign Origin, wandb/server issue 46), so the module does not write settings through it. The one thing
    it asks over HTTP, the admin key check before a change, is public and kept in one client class
    (C(plugins/module_utils/_wandb_api.py)) - C(POST /graphql) with C(Authorization: Basic api:<key>) (the wandb
    SDK's C(viewer) query)."
  - "Pre-flight checks run before anything changes: the license must be a compact JWS (three dot-separated base64url
    parts; the server's own error is I(compact JWS format must have three parts)); O(host) must be an absolute
    http(s) origin without a path unless O(host_subpath_allowed); OIDC issuer and client id go together and the
    method is C(implicit) or C(pkce); bucket, region and bucket queue must describe one provider (C(s3://) needs
    O(aws_region) and an C(sqs://) queue or none, C(gs://) needs a C(pubsub:/) queue and no region, C(az://) needs
    an C(az://) queue)."
  - Every setting option left out (null) is left as it is. An empty string (or V(false) for the boolean settings)
    removes the setting so the server falls back to its default.
  - The C(wandb_server) role renders the same env file from inventory on each run of its main entry point
    (C(site.yml)); settings made with this module that are not in inventory are replaced by that run. Its
    C(apply_env) entry point applies the file as it is.
attributes:
  check_mode:
    support: full
    description: Reports what would change (RV(restart_required) as the container would be after the write); writes
      nothing.
  diff_mode:
    support: full
    description: Shows the env file before and after, every secret masked.
options:
  license:
    description: The W&B license (a compact JWS). Written as C(LICENSE) or C(GORILLA_LICENSE).
    type: str
  host:
    description: The frontend host, the origin users browse to, for example C(https://wandb.example.com).
    type: str
  host_subpath_allowed:
    description: Accept a path in O(host) (a server behind a proxy under a sub-path).
    type: bool
    default: false
  mysql:
    description: External MySQL connection string C(mysql://user:pass@host/db).
    type: str
  bucket:
    description: Object storage bucket, C(s3://...), C(gs://...) or C(az://...).
    type: str
  bucket_queue:
    description: Queue of object-created events, C(sqs://...), C(pubsub:/project/topic/subscription) or C(az://...).
    type: str
  notifications_queue:
    description: SQS queue on which the server publishes run events.
    type: str
  aws_region:
    description: AWS region of an C(s3://) bucket.
    type: str
  aws_s3_kms_id:
    description: KMS key id for server-side encryption of an S3 bucket.
    type: str
  azure_storage_account:
    description: Azure storage account of an C(az://) bucket.
    type: str
  azure_storage_key:
    description: Azure storage account key.
    type: str
  oidc_issuer:
    description: OpenID Connect issuer URL (its discovery document is at C(<issuer>/.well-known/openid-configuration)).
    type: str
  oidc_client_id:
    description: Client id of the W&B application at the identity provider.
    type: str
  oidc_auth_method:
    description:
      - OIDC grant, V(implicit) (form_post, the default of the server) or V(pkce). Empty string removes it.
      - Checked with the other OIDC rules before anything changes (a Cognito issuer needs V(pkce)).
    type: str
  oidc_secret:
    description: OIDC client secret (confidential clients only).
    type: str
  slack_client_id:
    description: Client id of the Slack app used for alerts.
    type: str
  slack_secret:
    description: Client secret of the Slack app.
    type: str
  redis:
    description: External Redis connection string, C(redis://[:pass@]host:port?tls=true...).
    type: str
  session_length:
    description: Session length as a Go duration, for example C(720h).
    type: str
  local_restore:
    description:
      - Set C(LOCAL_RESTORE=true) (V(true)) or remove it (V(false)). With it the server disables SSO and prints a
        temporary password to its log; see C(playbooks/restore_access.yml).
    type: bool
  logging_enabled:
    description: Stream access logs to stdout (V(true)), or remove the setting (V(false)).
    type: bool
  env_style:
    description:
      - Which names to write, the server-version choice. V(classic) writes the documentation's names (C(LICENSE),
        C(HOST), C(OIDC_ISSUER), ...), V(gorilla) the C(GORILLA_*) names of newer servers and the W&B operator.
      - Writing one spelling of a setting removes the other spelling of the same setting.
    type: str
    choices: [classic, gorilla]
    default: classic
  route:
    description:
      - How settings reach the server. Only V(env) exists, see the description for why there is no admin-API route.
    type: str
    choices: [env]
    default: env
  lock_timeout:
    description:
      - Seconds to wait for the instance's lock (C(<env file without .env>.lock)) when another run holds it; the
        module holds it while it writes the env file. The C(wandb_server) role takes the same lock, so the module
        never writes the file while a run of the role is between its env file and its health check.
    type: int
    default: 600
notes:
  - With an admin API key (O(api_key) or O(api_key_file)) the module proves before a change that the running server
    accepts the key (GraphQL C(viewer)), so that the key can be proven to work again once the file is applied (the
    C(wandb_server) role's C(apply_env) does so with the admin API on).
  - O(base_url) and the other HTTP options serve only that check; without an admin key the module does not talk to
    the server.
  - Secrets (license, OIDC and Slack secrets, MySQL and Redis strings, storage keys) are never returned and are
    masked in C(--diff); a changed secret is shown as C(******** (changed)).
seealso:
  - module: wandb_local.server.settings_info
  - module: wandb_local.server.admin_check
extends_documentation_fragment:
  - wandb_local.server._wandb_container
  - wandb_local.server._wandb_api
"""

EXAMPLES = r"""
- name: License, host and SSO with PKCE (classic names)
  wandb_local.server.settings:
    license: "{{ vault_wandb_license }}"
    host: https://wandb.example.com
    oidc_issuer: https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf
    oidc_client_id: 1a2b3c4d5e
    oidc_auth_method: pkce
    api_key_file: /etc/wandb-local/admin-api-key
  register: sso_settings

# The one path that recreates the container: the wandb_server role (the inventory's variables for this host).
- name: Apply the env file to the server (recreated once, /ready awaited, the admin key proven)
  ansible.builtin.include_role:
    name: wandb_local.server.wandb_server
    tasks_from: apply_env
  when: sso_settings.restart_required

- name: S3 storage on a newer server (GORILLA_ names)
  wandb_local.server.settings:
    env_style: gorilla
    bucket: s3:///my-wandb-bucket
    aws_region: eu-west-1
    bucket_queue: sqs://my-wandb-queue

- name: Remove the Slack integration
  wandb_local.server.settings:
    slack_client_id: ""
    slack_secret: ""
"""

RETURN = r"""
env_file:
  description: The env file the module read and wrote.
  returned: always
  type: str
  sample: /etc/wandb-local/wandb-local.env
changed_env:
  description: Environment variable names that were (or in check mode would be) added, changed or removed in the env file.
  returned: always
  type: list
  elements: str
  sample: [GORILLA_FRONTEND_HOST, HOST]
env_file_changed:
  description: Whether the env file was (or would be) written.
  returned: always
  type: bool
restart_required:
  description:
    - Whether the running container's environment differs from the env file after the module ran (in check mode, from
      the file as it would be), that is whether the C(wandb_server) role's C(apply_env) (or its next run) recreates
      the container. False when the container does not exist.
  returned: always
  type: bool
pending_env:
  description:
    - Names of the variables whose value in the container differs from the env file (the image's own variables taken
      into account), the ones a recreation applies. Names only, never values.
  returned: always
  type: list
  elements: str
  sample: [LOCAL_RESTORE]
container:
  description: The container's name, id and state; id null when it does not exist.
  returned: always
  type: dict
  sample: {name: wandb-local, id: 4f1c..., running: true}
settings:
  description: The settings after the change (canonical names), secrets masked.
  returned: always
  type: dict
  sample: {host: https://wandb.example.com, license: "********"}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils import _env_file as envfile
from ansible_collections.wandb_local.server.plugins.module_utils import _instance_lock as instance_lock
from ansible_collections.wandb_local.server.plugins.module_utils import _wandb_container as wc
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_api import (
    WandbApiError,
    WandbAuthError,
    api_from_params,
    read_api_key,
    server_api_argument_spec,
)
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_settings import (
    env_changes,
    is_secret_setting,
    mask_settings,
    preflight,
    settings_from_env,
)

SETTING_OPTIONS = dict(
    license=dict(type="str", no_log=True),
    host=dict(type="str"),
    mysql=dict(type="str", no_log=True),
    bucket=dict(type="str"),
    bucket_queue=dict(type="str"),
    notifications_queue=dict(type="str"),
    aws_region=dict(type="str"),
    aws_s3_kms_id=dict(type="str", no_log=False),
    azure_storage_account=dict(type="str"),
    azure_storage_key=dict(type="str", no_log=True),
    oidc_issuer=dict(type="str"),
    oidc_client_id=dict(type="str"),
    oidc_auth_method=dict(type="str"),  # implicit, pkce or "": checked by preflight (check_oidc)
    oidc_secret=dict(type="str", no_log=True),
    slack_client_id=dict(type="str"),
    slack_secret=dict(type="str", no_log=True),
    redis=dict(type="str", no_log=True),
    session_length=dict(type="str"),
    local_restore=dict(type="bool"),
    logging_enabled=dict(type="bool"),
)


def argument_spec():
    spec = dict(SETTING_OPTIONS)
    spec.update(wc.container_argument_spec())
    spec.update(server_api_argument_spec())
    spec.update(
        host_subpath_allowed=dict(type="bool", default=False),
        env_style=dict(type="str", choices=["classic", "gorilla"], default="classic"),
        route=dict(type="str", choices=["env"], default="env"),
        lock_timeout=dict(type="int", default=600),
    )
    return spec


def apply_env(env, set_vars, unset):
    out = dict((k, v) for k, v in env.items() if k not in unset)
    out.update(set_vars)
    return out


def container_summary(name, attrs):
    if attrs is None:
        return dict(name=name, id=None, running=False)
    return dict(name=name, id=attrs["Id"], running=bool((attrs.get("State") or {}).get("Running")))


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    p = module.params
    wc.require_docker(module)

    # A value with credentials in it (an S3-compatible bucket s3://KEY:SECRET@host/bucket) is a secret whatever
    # the option: hidden from every part of the result, the invocation included.
    module.no_log_values.update(str(p[k]) for k in SETTING_OPTIONS if p[k] is not None and is_secret_setting(k, p[k]))
    wanted = dict((k, p[k]) for k in SETTING_OPTIONS if p[k] is not None)
    env_path = p["env_file"] or wc.default_env_file(p["container_name"])
    api_key = read_api_key(module)

    try:
        set_vars, unset = env_changes(wanted, p["env_style"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    # Current state: env file and container (read only: the wandb_server role recreates it).
    try:
        file_before = envfile.read(env_path)
    except (envfile.EnvFileError, IOError, OSError) as exc:
        module.fail_json(msg="cannot read env file %s: %s" % (env_path, exc))
    api, attrs = wc.connect(module, p["docker_host"], p["container_name"])
    container_env = wc.env_of(attrs) if attrs is not None else None

    # Pre-flight on the settings as they will be after the change.
    base = dict(container_env or {})
    base.update(file_before)
    after_values, _names, _conflicts = settings_from_env(apply_env(base, set_vars, unset))
    errors = preflight(after_values, wanted.keys(), p["host_subpath_allowed"])
    if errors:
        module.fail_json(msg="pre-flight failed, nothing was changed: " + "; ".join(errors), errors=errors)

    # What differs: in the file, and between the file (as it will be) and the running container.
    plan = envfile.update(env_path, set_vars, unset, check_mode=True)
    pending = wc.env_differences(attrs, plan["after"], wc.image_env(api, attrs)) if attrs is not None else []
    changed = plan["changed"]
    result = dict(changed=changed, env_file=env_path,
                  changed_env=sorted(envfile.changed_names(plan["before"], plan["after"])),
                  env_file_changed=plan["changed"], restart_required=bool(pending), pending_env=pending,
                  container=container_summary(p["container_name"], attrs), settings=mask_settings(after_values))
    if module._diff:
        before_text, after_text = envfile.masked_diff(plan["before"], plan["after"])
        result["diff"] = [dict(before=before_text, after=after_text, before_header=env_path, after_header=env_path)]

    # Before a change: the admin key must work now, else it could not be proven to work once the file is applied.
    if changed and api_key and attrs is not None and (attrs.get("State") or {}).get("Running"):
        try:
            client = api_from_params(p, api_key)
        except WandbApiError as exc:
            module.fail_json(msg=str(exc), **result)
        try:
            client.viewer()
        except WandbAuthError as exc:
            module.fail_json(msg="before changing anything: %s" % exc, **result)
        except WandbApiError as exc:
            module.fail_json(msg="before changing anything, the server did not answer: %s" % exc, **result)

    if not changed or module.check_mode:
        module.exit_json(**result)

    # One run at a time on this instance: the wandb_server role holds the same lock from its env file to its health
    # check.
    lock_path = instance_lock.lock_path_for(env_path)
    try:
        held = instance_lock.acquire(lock_path, "the settings module", p["lock_timeout"], 3600)
    except instance_lock.LockTimeout as exc:
        module.fail_json(msg="nothing was changed: %s" % exc, **result)
    except OSError as exc:
        module.fail_json(msg="nothing was changed: cannot create the lock %s (%s)" % (lock_path, exc), **result)
    try:
        envfile.update(env_path, set_vars, unset)
    except (envfile.EnvFileError, IOError, OSError) as exc:
        # The error names the file, its directory and what to fix (_env_file.write_error).
        module.fail_json(msg=str(exc), **result)
    finally:
        instance_lock.release(lock_path, held["token"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
