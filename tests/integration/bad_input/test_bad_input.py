"""Wrong inventories fail before anything changes, with a message naming the variable and what is allowed.

Each case is one inventory run through playbooks/site.yml (or playbooks/validate.yml, marked `playbook`, or a role's
entry point, marked `role`). Every case
must fail once, change nothing (PLAY RECAP changed=0; no container, volume or network carrying the case's name; no
config dir) and contact nothing: wherever the inventory points an emulator endpoint, a Redis or an identity provider,
a tripwire port counts connections and must count none. The failure message must contain both the variable's name
and what would be allowed. Secret values must not be printed.

The runs are independent ansible-playbook processes (a failing host ends a site.yml play for every host, so cases
cannot share one), PARALLEL_RUNS at a time, all started by one module-scoped fixture.
"""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from bad_input_testenv import Tripwire, run_case

GUID = "00000000-1111-2222-3333-444444444444"
PARALLEL_RUNS = 3


@dataclass
class Case:
    """One wrong inventory: its variables, the variable the message must name and what it must say is allowed.
    `base` picks a valid starting point ('server', 'aws', 'gcp', 'azure', 'redis', 'oidc', 'slack', 'smtp', 'ldap')
    the case breaks;
    `drop` removes variables of the base; `role` runs that role's entry point instead of site.yml, `playbook`
    'validate' runs playbooks/validate.yml; `secrets` must not appear in the output."""

    name: str
    variables: dict
    variable: str
    allowed: str
    base: str = "server"
    role: str | None = None
    secrets: tuple = ()
    drop: tuple = ()
    playbook: str = "site"


def base_vars(kind: str, tripwire: Tripwire) -> dict:
    """A valid configuration of `kind` whose every endpoint is the tripwire."""
    if kind == "aws":
        return {"storage_provider": "aws", "storage_bucket": "acme-wandb-files", "storage_queue": "acme-wandb-files",
                "storage_aws_endpoint_url": tripwire.url}
    if kind == "gcp":
        return {"storage_provider": "gcp", "storage_bucket": "acme-wandb-files", "storage_queue": "wandb-files",
                "storage_gcp_project": "acme-ml-123", "storage_gcp_subscription": "wandb-files-server",
                "storage_gcp_storage_endpoint": tripwire.url + "/storage/v1",
                "storage_gcp_pubsub_endpoint": tripwire.url + "/v1", "storage_gcp_iam_endpoint": tripwire.url + "/v1"}
    if kind == "azure":
        return {"storage_provider": "azure", "storage_bucket": "wandb-files", "storage_queue": "wandb-file-events",
                "storage_azure_subscription_id": GUID, "storage_azure_resource_group": "wandb",
                "storage_azure_account": "wandbfiles", "storage_azure_location": "eastus",
                "storage_azure_access_token": "arm-token-value-not-to-be-printed",
                "storage_azure_arm_endpoint": tripwire.url, "storage_azure_blob_endpoint": tripwire.url,
                "storage_azure_queue_endpoint": tripwire.url}
    if kind == "redis":
        return {"redis_host": "127.0.0.1", "redis_port": tripwire.port, "redis_check_timeout": 2}
    if kind == "oidc":
        return {"oidc_issuer": tripwire.url, "oidc_client_id": "wandb-client", "oidc_timeout": 2,
                "oidc_discovery_url": tripwire.url + "/.well-known/openid-configuration"}
    if kind == "slack":
        return {"slack_client_id": "1234.5678", "slack_client_secret": "slack-secret-not-to-be-printed"}
    if kind == "smtp":
        return {"wandb_server_email_sink": "smtp://wandb:%s@127.0.0.1:%d" % (SMTP_SECRET, tripwire.port)}
    if kind == "ldap":
        return {"wandb_server_ldap_login": True, "wandb_server_ldap_address": "ldap://127.0.0.1:%d" % tripwire.port,
                "wandb_server_ldap_base_dn": "dc=example,dc=com",
                "wandb_server_ldap_bind_dn": "cn=wandb,ou=services,dc=example,dc=com",
                "wandb_server_ldap_bind_password": LDAP_SECRET,
                "wandb_server_ldap_attributes": {"email": "mail", "group": "gidNumber"}}
    return {}


SMTP_SECRET = "Smtp-Secret-not-to-be-printed"
LDAP_SECRET = "Ldap-Secret-not-to-be-printed"
NOT_BOOL = "convert to bool"


CASES = [
    # --- the server's own variables (wandb_server preflight, first task of site.yml) ---
    Case("port_not_a_number", {"wandb_server_port": "eighty"}, "wandb_server_port", "convert to int"),
    Case("host_not_http", {"wandb_server_host": "ftp://wandb.example.com"}, "wandb_server_host",
         "absolute http(s) URL"),
    Case("host_trailing_slash", {"wandb_server_host": "https://wandb.example.com/"}, "wandb_server_host",
         "without a trailing slash"),
    Case("mysql_wrong_scheme", {"wandb_server_mysql": "postgres://wandb:Pg-Secret-42@db:5432/wandb"},
         "wandb_server_mysql", "mysql://user:password@host:port/database", secrets=("Pg-Secret-42",)),
    Case("redis_setting_wrong_scheme", {"wandb_server_redis": "http://:Redis-Secret-42@cache:6379"},
         "wandb_server_redis", "redis://", secrets=("Redis-Secret-42",)),
    Case("oidc_issuer_without_client_id", {"wandb_server_oidc_issuer": "https://idp.example.com"},
         "wandb_server_oidc_client_id", "set both"),
    Case("oidc_issuer_not_a_url", {"wandb_server_oidc_issuer": "idp.example.com",
                                   "wandb_server_oidc_client_id": "wandb"}, "wandb_server_oidc_issuer", "https://"),
    Case("slack_id_without_secret", {"wandb_server_slack_client_id": "1234.5678"}, "wandb_server_slack_secret",
         "set both"),
    Case("s3_bucket_without_region", {"wandb_server_bucket": "s3://acme-wandb"}, "wandb_server_aws_region",
         "s3://BUCKET with wandb_server_aws_region"),
    Case("gs_bucket_with_aws_region", {"wandb_server_bucket": "gs://acme-wandb",
                                       "wandb_server_bucket_queue": "pubsub:/acme/files/server",
                                       "wandb_server_aws_region": "eu-west-1"},
         "wandb_server_aws_region", "takes no aws_region"),
    Case("bucket_unknown_scheme", {"wandb_server_bucket": "ftp://acme-wandb"}, "wandb_server_bucket",
         "s3://, gs:// or az://"),
    Case("session_length_not_a_duration", {"wandb_server_session_length": "forever"}, "wandb_server_session_length",
         "720h"),
    Case("extra_env_not_a_dict", {"wandb_server_extra_env": ["DEBUG=true"]}, "wandb_server_extra_env", "dict"),
    # --- storage: per cloud naming rules, missing pieces, conflicts ---
    Case("storage_provider_unknown", {"storage_provider": "s3"}, "storage_provider", "none, aws, gcp, azure"),
    Case("aws_bucket_uppercase", {"storage_bucket": "Acme_Files"}, "storage_bucket", "3-63 lowercase letters",
         base="aws"),
    Case("aws_without_bucket", {}, "storage_bucket", "the name of the bucket", base="aws", drop=("storage_bucket",)),
    Case("aws_queue_name", {"storage_queue": "wandb events!"}, "storage_queue", "1-80 letters, digits", base="aws"),
    Case("aws_region", {"storage_aws_region": "Europe"}, "storage_aws_region", "such as eu-west-1", base="aws",
         drop=("storage_aws_endpoint_url",)),
    Case("aws_with_azure_variables", {"storage_azure_account": "wandbfiles",
                                      "storage_azure_client_secret": "Azure-Secret-42"},
         "storage_azure_account", "storage_aws_*", base="aws", secrets=("Azure-Secret-42",)),
    Case("aws_and_wandb_server_bucket", {"wandb_server_bucket": "s3://other-bucket",
                                         "wandb_server_aws_region": "us-east-1"},
         "wandb_server_bucket", "not both", base="aws"),
    Case("cors_origin_without_scheme", {"storage_cors_origins": ["wandb.example.com"]}, "storage_cors_origins",
         "scheme://host[:port]", base="aws"),
    Case("gcp_bucket_goog_prefix", {"storage_bucket": "goog-wandb-files"}, "storage_bucket",
         "must not start with 'goog'", base="gcp"),
    Case("gcp_project_id", {"storage_gcp_project": "My Project"}, "storage_gcp_project",
         "6-30 lowercase letters", base="gcp"),
    Case("gcp_without_subscription", {}, "storage_gcp_subscription", "3-255 characters", base="gcp",
         drop=("storage_gcp_subscription",)),
    Case("azure_container_uppercase", {"storage_bucket": "Wandb_Files"}, "storage_bucket",
         "lowercase letters, digits and single hyphens", base="azure"),
    Case("azure_account_name", {"storage_azure_account": "Wandb-Files"}, "storage_azure_account",
         "3-24 lowercase letters and digits", base="azure", secrets=("arm-token-value-not-to-be-printed",)),
    Case("azure_subscription_not_a_guid", {"storage_azure_subscription_id": "my-subscription"},
         "storage_azure_subscription_id", "GUID", base="azure"),
    Case("team_bucket_on_azure", {"team_storage_buckets": [{"team": "vision", "provider": "azure",
                                                            "bucket": "vision-files"}]},
         "provider", "aws, gcp"),
    # --- Redis ---
    Case("redis_url_and_host", {"redis_url": "redis://127.0.0.1:6379", "redis_host": "cache.internal"},
         "redis_host", "either redis_url alone", drop=("redis_port",), base="redis"),
    Case("redis_url_wrong_scheme", {"redis_url": "http://:Redis-Url-Secret@cache:6379"}, "redis_url", "redis://",
         drop=("redis_host", "redis_port"), base="redis", secrets=("Redis-Url-Secret",)),
    Case("redis_host_is_a_url", {"redis_host": "redis://cache"}, "redis_host", "without scheme", base="redis"),
    Case("redis_ca_without_tls", {"redis_ca_cert_path": "/etc/wandb-local/redis-ca.pem"}, "redis_ca_cert_path",
         "redis_tls=true", base="redis"),
    Case("redis_local_with_url", {"redis_run_local": True, "redis_url": "redis://127.0.0.1:6379"}, "redis_url",
         "redis_run_local=true", drop=("redis_host", "redis_port"), base="redis"),
    # A control character breaks the redis.conf line; a backslash or a quote does not (test_redis_local gives one).
    Case("redis_local_password_control_character", {"redis_run_local": True, "redis_password": "Local\tRedis-Pw"},
         "redis_password", "free of control characters", drop=("redis_host", "redis_port"), base="redis",
         secrets=("Redis-Pw",)),
    Case("redis_role_and_wandb_server_redis", {"wandb_server_redis": "redis://other.internal:6379"},
         "wandb_server_redis", "not both", base="redis"),
    # --- OIDC ---
    Case("oidc_role_method_unknown", {"oidc_auth_method": "magic"}, "oidc_auth_method", "implicit, pkce",
         base="oidc"),
    Case("oidc_role_without_client_id", {}, "oidc_client_id", "non-empty", base="oidc", drop=("oidc_client_id",),
         role="oidc"),
    Case("oidc_role_issuer_not_a_url", {"oidc_issuer": "sso.example.com"}, "oidc_issuer", "http(s)://",
         base="oidc"),
    Case("oidc_role_hosts_not_urls", {"oidc_hosts": ["wandb.example.com"]}, "oidc_hosts",
         "https://wandb.example.com", base="oidc"),
    Case("oidc_role_and_wandb_server_oidc", {"wandb_server_oidc_issuer": "https://other.example.com",
                                             "wandb_server_oidc_client_id": "other"},
         "wandb_server_oidc_issuer", "not both", base="oidc"),
    # --- Slack ---
    Case("slack_role_id_without_secret", {}, "slack_client_secret", "Client Secret", base="slack",
         drop=("slack_client_secret",)),
    Case("slack_hosts_not_urls", {"slack_hosts": ["not a url"]}, "slack_hosts", "https://wandb.example.com",
         base="slack", secrets=("slack-secret-not-to-be-printed",)),
    # --- advanced settings (docs/advanced_settings.md): one case per variable; the SMTP and LDAP bases point at the
    # --- tripwire, so a pre-flight that connected would be counted ---
    Case("email_sink_wrong_scheme", {"wandb_server_email_sink": "http://wandb:%s@mail:587" % SMTP_SECRET},
         "wandb_server_email_sink", "smtp://", secrets=(SMTP_SECRET,)),
    Case("email_sink_user_without_password", {"wandb_server_email_sink": "smtp://wandb@mail.example.com:587"},
         "wandb_server_email_sink", "smtp://USER:PASSWORD@HOST:PORT"),
    Case("email_sink_port", {"wandb_server_email_sink": "smtp://wandb:%s@mail:99999" % SMTP_SECRET},
         "wandb_server_email_sink", "between 1 and 65535", secrets=(SMTP_SECRET,)),
    Case("email_from_not_an_address", {"wandb_server_email_from_address": "wandb"}, "wandb_server_email_from_address",
         "wandb@example.com", base="smtp", secrets=(SMTP_SECRET,)),
    Case("smtp_check_not_bool", {"wandb_server_smtp_check": "sometimes"}, "wandb_server_smtp_check", NOT_BOOL,
         base="smtp", secrets=(SMTP_SECRET,)),
    Case("cors_origin_with_path", {"wandb_server_cors_origins": ["https://app.example.com/"]},
         "wandb_server_cors_origins", "scheme://host[:port]"),
    Case("aws_s3_kms_id_shape", {"wandb_server_aws_s3_kms_id": "my key"}, "wandb_server_aws_s3_kms_id",
         "KMS key id, key ARN, alias/NAME or alias ARN"),
    Case("disable_sso_provisioning_not_bool", {"wandb_server_disable_sso_provisioning": "maybe"},
         "wandb_server_disable_sso_provisioning", NOT_BOOL, playbook="validate"),
    Case("disable_code_saving_not_bool", {"wandb_server_disable_code_saving": "maybe"},
         "wandb_server_disable_code_saving", NOT_BOOL, playbook="validate"),
    Case("allow_user_team_creation_not_bool", {"wandb_server_allow_user_team_creation": "maybe"},
         "wandb_server_allow_user_team_creation", NOT_BOOL, playbook="validate"),
    Case("allow_anonymous_public_projects_not_bool", {"wandb_server_allow_anonymous_public_projects": "maybe"},
         "wandb_server_allow_anonymous_public_projects", NOT_BOOL, playbook="validate"),
    Case("hide_upgrade_banner_not_bool", {"wandb_server_hide_upgrade_banner": "maybe"},
         "wandb_server_hide_upgrade_banner", NOT_BOOL, playbook="validate"),
    Case("disable_personal_entity_not_bool", {"wandb_server_disable_personal_entity": "maybe"},
         "wandb_server_disable_personal_entity", NOT_BOOL, playbook="validate"),
    Case("disable_admin_team_access_not_bool", {"wandb_server_disable_admin_team_access": "maybe"},
         "wandb_server_disable_admin_team_access", NOT_BOOL, playbook="validate"),
    Case("data_retention_period_not_a_duration", {"wandb_server_data_retention_period": "a week"},
         "wandb_server_data_retention_period", "24h"),
    Case("artifact_gc_enabled_not_bool", {"wandb_server_artifact_gc_enabled": "maybe"},
         "wandb_server_artifact_gc_enabled", NOT_BOOL, playbook="validate"),
    Case("oidc_custom_scopes_space", {"wandb_server_oidc_custom_scopes": ["groups email"]},
         "wandb_server_oidc_custom_scopes", "one OAuth scope"),
    Case("sso_group_claims_not_bool", {"wandb_server_sso_group_claims": "maybe"}, "wandb_server_sso_group_claims",
         NOT_BOOL, playbook="validate"),
    Case("use_identifier_claims_not_bool", {"wandb_server_use_identifier_claims": "maybe"},
         "wandb_server_use_identifier_claims", NOT_BOOL, playbook="validate"),
    Case("http_proxy_without_scheme", {"wandb_server_http_proxy": "proxy.example.com:3128"},
         "wandb_server_http_proxy", "http:// or https:// or socks5://"),
    Case("https_proxy_bad_port", {"wandb_server_https_proxy": "http://user:Proxy-Secret-43@proxy:99999"},
         "wandb_server_https_proxy", "between 1 and 65535", secrets=("Proxy-Secret-43",)),
    Case("no_proxy_item_with_space", {"wandb_server_no_proxy": ["internal hosts"]}, "wandb_server_no_proxy",
         "host name, .domain, IP address, CIDR range"),
    Case("ldap_login_without_address", {}, "wandb_server_ldap_login", "needs wandb_server_ldap_address", base="ldap",
         drop=("wandb_server_ldap_address",), secrets=(LDAP_SECRET,)),
    Case("ldap_address_scheme", {"wandb_server_ldap_address": "ldapx://ldap.example.com"},
         "wandb_server_ldap_address", "ldap:// or ldaps://", base="ldap", secrets=(LDAP_SECRET,)),
    Case("ldap_base_dn_not_a_dn", {"wandb_server_ldap_base_dn": "example.com"}, "wandb_server_ldap_base_dn",
         "distinguished name such as dc=example,dc=com", base="ldap", secrets=(LDAP_SECRET,)),
    Case("ldap_bind_dn_not_a_dn", {"wandb_server_ldap_bind_dn": "admin"}, "wandb_server_ldap_bind_dn",
         "distinguished name", base="ldap", secrets=(LDAP_SECRET,)),
    Case("ldap_bind_dn_without_password", {}, "wandb_server_ldap_bind_password", "go together", base="ldap",
         drop=("wandb_server_ldap_bind_password",)),
    Case("ldap_attributes_unknown_key", {"wandb_server_ldap_attributes": {"mail": "mail"}},
         "wandb_server_ldap_attributes", "email, group", base="ldap", secrets=(LDAP_SECRET,)),
    Case("ldap_tls_enable_not_bool", {"wandb_server_ldap_tls_enable": "maybe"}, "wandb_server_ldap_tls_enable",
         NOT_BOOL, base="ldap", secrets=(LDAP_SECRET,)),
    Case("ldap_group_allow_list_empty_item", {"wandb_server_ldap_group_allow_list": [""]},
         "wandb_server_ldap_group_allow_list", "must not be empty", base="ldap", secrets=(LDAP_SECRET,)),
    Case("ldap_group_sync_not_bool", {"wandb_server_ldap_group_sync": "maybe"}, "wandb_server_ldap_group_sync",
         NOT_BOOL, base="ldap", secrets=(LDAP_SECRET,), playbook="validate"),
    Case("ldap_check_not_bool", {"wandb_server_ldap_check": "sometimes"}, "wandb_server_ldap_check", NOT_BOOL,
         base="ldap", secrets=(LDAP_SECRET,)),
    Case("settings_check_timeout_not_int", {"wandb_server_settings_check_timeout": "soon"},
         "wandb_server_settings_check_timeout", "convert to int", base="smtp", secrets=(SMTP_SECRET,)),
    # --- role entry points run on their own ---
    Case("storage_role_bad_bucket", {"storage_bucket": "Bad..Bucket"}, "storage_bucket", "3-63 lowercase letters",
         base="aws", role="storage"),
    Case("redis_role_url_and_password", {"redis_url": "redis://127.0.0.1:6379", "redis_password": "Pw-Secret-42"},
         "redis_password", "either redis_url alone", drop=("redis_host", "redis_port"), base="redis", role="redis",
         secrets=("Pw-Secret-42",)),
]

# --- The same wrong value by both roads (the integration role's variable and the wandb_server_* variable it would
# --- otherwise be given by), each run through site.yml and through validate.yml: refused before anything changes,
# --- whichever road it takes (issue 11, "validation that differs by the road a value takes").
COGNITO_ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
COGNITO_DOMAIN = "https://wandb-acme.auth.eu-west-1.amazoncognito.com"
S3 = {"wandb_server_aws_region": "eu-west-1"}
GS_QUEUE = {"wandb_server_bucket_queue": "pubsub:/acme-ml-123/wandb-files/wandb-files-server"}
AZ_QUEUE = {"wandb_server_bucket_queue": "az://wandbfiles/wandb-file-events"}
ROADS = [
    # (name, variables, variable, allowed, base, drop, secrets)
    # BUCKET given directly: the names inside the URL, by the storage role's naming rules.
    ("url_s3_bucket_empty", dict(S3, wandb_server_bucket="s3://"), "wandb_server_bucket",
     "S3 bucket name (s3://BUCKET) is empty", "server", (), ()),
    ("url_s3_bucket_name", dict(S3, wandb_server_bucket="s3://WB_Files"), "wandb_server_bucket",
     "only lowercase letters, digits, dots and hyphens", "server", (), ()),
    ("url_s3_compatible_bucket_name", dict(S3, wandb_server_bucket="s3://AKIAKEY42:Very-Secret-42@127.0.0.1:9/WB_Files"),
     "wandb_server_bucket", "the path after the store's host:port", "server", (), ("Very-Secret-42", "AKIAKEY42")),
    ("url_gs_bucket_goog", dict(GS_QUEUE, wandb_server_bucket="gs://goog-files"), "wandb_server_bucket",
     "must not start with 'goog'", "server", (), ()),
    ("url_az_bucket_empty", dict(AZ_QUEUE, wandb_server_bucket="az://"), "wandb_server_bucket",
     "storage account name (az://ACCOUNT/CONTAINER) is empty", "server", (), ()),
    ("url_sqs_queue_empty", dict(S3, wandb_server_bucket="s3://acme-files", wandb_server_bucket_queue="sqs://"),
     "wandb_server_bucket_queue", "SQS queue name (sqs://NAME) is empty", "server", (), ()),
    ("url_sqs_queue_name", dict(S3, wandb_server_bucket="s3://acme-files",
                                wandb_server_bucket_queue="sqs://acc events!"),
     "wandb_server_bucket_queue", "1-80 letters, digits", "server", (), ()),
    ("url_pubsub_queue_empty", dict(wandb_server_bucket="gs://acme-files", wandb_server_bucket_queue="pubsub:/"),
     "wandb_server_bucket_queue", "pubsub:/PROJECT/TOPIC/SUBSCRIPTION (three non-empty parts)", "server", (), ()),
    ("url_az_queue_name", dict(wandb_server_bucket="az://wandbfiles/wandb-files",
                               wandb_server_bucket_queue="az://wandbfiles/Events_Q"),
     "wandb_server_bucket_queue", "storage queue name (az://ACCOUNT/QUEUE)", "server", (), ()),
    # The same names through the storage role.
    ("role_s3_bucket_empty", {"storage_bucket": ""}, "storage_bucket", "the name of the bucket", "aws", (), ()),
    ("role_s3_bucket_name", {"storage_bucket": "WB_Files"}, "storage_bucket", "3-63 lowercase letters", "aws", (), ()),
    ("role_gs_bucket_goog", {"storage_bucket": "goog-files"}, "storage_bucket", "must not start with 'goog'", "gcp",
     (), ()),
    ("role_az_account_empty", {"storage_azure_account": ""}, "storage_azure_account",
     "3-24 lowercase letters and digits", "azure", (), ("arm-token-value-not-to-be-printed",)),
    ("role_sqs_queue_empty", {"storage_queue": ""}, "storage_queue", "the name of the queue", "aws", (), ()),
    ("role_sqs_queue_name", {"storage_queue": "acc events!"}, "storage_queue", "1-80 letters, digits", "aws", (), ()),
    ("role_pubsub_project_empty", {"storage_gcp_project": ""}, "storage_gcp_project", "6-30 lowercase letters",
     "gcp", (), ()),
    ("role_az_queue_name", {"storage_queue": "Events_Q"}, "storage_queue", "single hyphens", "azure", (),
     ("arm-token-value-not-to-be-printed",)),
    # OIDC rules that need no network: checked in the preflight, by both roads.
    ("server_oidc_cognito_implicit", {"wandb_server_oidc_issuer": COGNITO_ISSUER, "wandb_server_oidc_client_id": "c",
                                      "wandb_server_oidc_auth_method": "implicit"},
     "wandb_server_oidc_auth_method", 'set the auth method to "pkce"', "server", (), ()),
    ("server_oidc_cognito_default_method", {"wandb_server_oidc_issuer": COGNITO_ISSUER,
                                            "wandb_server_oidc_client_id": "c"},
     "wandb_server_oidc_auth_method", 'set the auth method to "pkce"', "server", (), ()),
    ("server_oidc_cognito_domain", {"wandb_server_oidc_issuer": COGNITO_DOMAIN, "wandb_server_oidc_client_id": "c",
                                    "wandb_server_oidc_auth_method": "pkce"},
     "wandb_server_oidc_issuer", "is a Cognito domain, not an issuer", "server", (), ()),
    ("server_oidc_method_unknown", {"wandb_server_oidc_issuer": "https://idp.example.com",
                                    "wandb_server_oidc_client_id": "c", "wandb_server_oidc_auth_method": "magic"},
     "wandb_server_oidc_auth_method", "empty (the server's default, implicit), implicit or pkce", "server", (), ()),
    ("role_oidc_cognito_implicit", {"oidc_issuer": COGNITO_ISSUER, "oidc_auth_method": "implicit"},
     "oidc_auth_method", 'set the auth method to "pkce"', "oidc", (), ()),
    ("role_oidc_cognito_domain", {"oidc_issuer": COGNITO_DOMAIN, "oidc_auth_method": "pkce"},
     "oidc_issuer", "is a Cognito domain, not an issuer", "oidc", (), ()),
]
CASES += [Case("%s_%s" % (name, playbook), variables, variable, allowed, base=base, drop=drop, secrets=secrets,
               playbook=playbook)
          for name, variables, variable, allowed, base, drop, secrets in ROADS for playbook in ("site", "validate")]


def case_vars(case: Case, workdir, tripwire: Tripwire) -> dict:
    """The case's inventory variables: its own names, the valid base, then the case's wrong values."""
    name = "wandb-badin-%s-%s" % (case.name.replace("_", "-"), uuid.uuid4().hex[:6])
    variables = {
        "wandb_server_container_name": name,
        "wandb_server_data_volume": name,
        "wandb_server_config_dir": str(workdir / "etc"),
        "wandb_server_host": "https://wandb.example.com",
        "wandb_server_image_pull": "never",
        "redis_local_container_name": name + "-redis",
        "redis_local_data_volume": name + "-redis",
        "redis_local_network": name + "-net",
    }
    variables.update(base_vars(case.base, tripwire))
    for key in case.drop:
        variables.pop(key, None)
    variables.update(case.variables)
    return name, variables


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Run every case (a few at a time); {case name: (resource name, workdir, tripwire, result, failures)}."""
    prepared = {}
    for case in CASES:
        workdir = tmp_path_factory.mktemp(case.name)
        tripwire = Tripwire()
        name, variables = case_vars(case, workdir, tripwire)
        prepared[case.name] = (case, name, workdir, tripwire, variables)

    def run(entry):
        case, _name, workdir, _tripwire, variables = entry
        return case.name, run_case(workdir / "run", variables, case.role, case.playbook)

    try:
        with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
            results = dict(pool.map(run, prepared.values()))
    finally:
        for entry in prepared.values():
            entry[3].stop()
    return {key: (entry[1], entry[2], entry[3], results[key]) for key, entry in prepared.items()}


def test_the_table_is_large_and_names_are_unique():
    assert len(CASES) >= 25
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_wrong_inventory_fails_before_any_change(case, outcomes, docker_client):
    name, workdir, tripwire, (result, failures) = outcomes[case.name]
    output = result.output
    assert result.returncode != 0, "the run succeeded:\n" + output[-3000:]
    assert len(failures) == 1, "expected exactly one failed task:\n" + output[-3000:]
    message = str(failures[0].get("msg", ""))
    assert case.variable in message, "the message does not name %s: %s" % (case.variable, message)
    assert case.allowed in message, "the message does not say what is allowed (%r): %s" % (case.allowed, message)

    recap = result.recap()
    assert recap["failed"] == 1 and recap["changed"] == 0, recap
    assert not (workdir / "etc").exists(), "the config dir was created"
    assert not docker_client.containers.list(all=True, filters={"name": name})
    assert not docker_client.volumes.list(filters={"name": name})
    assert not docker_client.networks.list(filters={"name": name})
    assert tripwire.connections == 0, "an emulator endpoint was contacted"
    for secret in case.secrets:
        assert secret not in output, "a secret value was printed"
