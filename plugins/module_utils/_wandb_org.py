# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Users, teams, team members and service accounts of a W&B server, through its admin API.

What it speaks, and where that was learned (all public):

* GraphQL ``POST /graphql`` (``_wandb_api.WandbApi``): exactly the documents the public ``wandb`` SDK sends, copied
  as data from wandb 0.31.0 ``wandb/apis/_generated/operations.py`` (used by ``wandb/apis/public/users.py``
  ``User.create``, ``teams.py`` ``Team.create`` / ``invite`` / ``create_service_account`` / ``load`` /
  ``Member.delete``, ``api.py`` ``Api.user`` / ``Api.users``); the answers are read as the SDK's pydantic models
  beside them read them (``get_team_entity.py``, ``search_users.py``, ``create_user_from_admin.py``...).
* SCIM (wandb/docs ``platform/hosting/iam/scim.mdx``) where only SCIM does the job: ``GET /scim/Users?filter=
  emails.value eq "<email>"`` (a user's SCIM id and ``active``), ``PATCH /scim/Users/{id}`` (``active``,
  ``organizationRole``, ``teamRoles``), ``DELETE /scim/Users/{id}`` (the SDK 0.31 has no way to delete a user),
  ``GET /scim/Groups?filter=displayName eq "<team>"`` and ``DELETE /scim/Groups/{id}`` (nor a team).
* ``serverInfo { cliVersionInfo latestLocalVersionInfo { ... } }`` (wandb/wandb ``core/api/graphql/
  query_server_info.graphql``).

Team roles: the SDK's ``Team.invite(username_or_email, admin=False)`` and its members' ``admin`` flag know two,
``admin`` and ``member``; a member's role is changed with SCIM ``teamRoles``. (SCIM also names ``viewer`` and custom
roles, which the GraphQL members the SDK reads cannot tell from ``member``, so they are not offered.)

Requests are retried with a jittered exponential backoff on HTTP 429 and 5xx only; 401/403, and a GraphQL
"permission denied", fail at once (``WandbAuthError``) with a hint naming the server's admin key. No view returned
by this client carries an API key; ``service_account_key`` is the one method that returns one.
"""
from __future__ import annotations

import json
from urllib.parse import quote

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._custom_ca import ca_certificates_argument_spec
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_api import (
    WandbApi,
    WandbApiError,
    WandbAuthError,
    read_api_key,
    server_api_argument_spec,
)

# ---------------------------------------------------------------------------------------------------------------
# GraphQL documents, copied from wandb 0.31.0 wandb/apis/_generated/operations.py (MIT licence, (c) Weights and
# Biases, Inc.); the names are the SDK's.
# ---------------------------------------------------------------------------------------------------------------
_USER_FRAGMENTS = """
fragment ApiKeyFragment on ApiKey {
  id
  name
  description
}

fragment UserFragment on User {
  id
  name
  username
  email
  admin
  flags
  entity
  deletedAt
  apiKeys {
    edges {
      node {
        ...ApiKeyFragment
      }
    }
  }
  teams {
    edges {
      node {
        name
      }
    }
  }
}
"""

# SEARCH_USERS_GQL (api.py Api.user / Api.users)
SEARCH_USERS_GQL = """
query SearchUsers($query: String) {
  users(query: $query) {
    edges {
      node {
        ...UserFragment
      }
    }
  }
}
""" + _USER_FRAGMENTS

# CREATE_USER_FROM_ADMIN_GQL (users.py User.create, api.py Api.create_user)
CREATE_USER_FROM_ADMIN_GQL = """
mutation CreateUserFromAdmin($email: String!, $admin: Boolean) {
  result: createUser(input: {email: $email, admin: $admin}) {
    user {
      ...UserInfoFragment
    }
  }
}

fragment UserInfoFragment on User {
  id
  name
  username
  email
  admin
}
"""

# GET_TEAM_ENTITY_GQL (teams.py Team.load)
GET_TEAM_ENTITY_GQL = """
query GetTeamEntity($name: String!) {
  entity(name: $name) {
    id
    name
    available
    photoUrl
    readOnly
    readOnlyAdmin
    isTeam
    entityType
    privateOnly
    storageBytes
    codeSavingEnabled
    defaultAccess
    isPaid
    members {
      id
      admin
      pending
      email
      username
      name
      photoUrl
      accountType
      apiKey
    }
  }
}
"""

# CREATE_TEAM_GQL (teams.py Team.create, api.py Api.create_team)
CREATE_TEAM_GQL = """
mutation CreateTeam($teamName: String!, $teamAdminUserName: String) {
  result: createTeam(
    input: {teamName: $teamName, teamAdminUserName: $teamAdminUserName}
  ) {
    entity {
      id
      name
      available
      photoUrl
      limits
    }
  }
}
"""

# CREATE_INVITE_GQL (teams.py Team.invite)
CREATE_INVITE_GQL = """
mutation CreateInvite($entity: String!, $email: String, $username: String, $admin: Boolean) {
  result: createInvite(
    input: {entityName: $entity, email: $email, username: $username, admin: $admin}
  ) {
    invite {
      id
      name
      email
      createdAt
      toUser {
        name
      }
    }
  }
}
"""

# DELETE_INVITE_GQL (teams.py Member.delete)
DELETE_INVITE_GQL = """
mutation DeleteInvite($id: String, $entity: String) {
  result: deleteInvite(input: {id: $id, entityName: $entity}) {
    success
  }
}
"""

# CREATE_SERVICE_ACCOUNT_GQL (teams.py Team.create_service_account)
CREATE_SERVICE_ACCOUNT_GQL = """
mutation CreateServiceAccount($entity: String!, $description: String!) {
  result: createServiceAccount(
    input: {description: $description, entityName: $entity}
  ) {
    user {
      id
    }
  }
}
"""

# wandb/wandb core/api/graphql/query_server_info.graphql (the fields the SDK reads)
SERVER_INFO_GQL = """query ServerInfo {
  serverInfo { cliVersionInfo latestLocalVersionInfo { outOfDate latestVersionString versionOnThisInstanceString } }
}"""

SCIM_PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SERVICE = "SERVICE"
ROLES = ("admin", "member")


# ---------------------------------------------------------------------------------------------------------------
# Views: what the modules return (never an API key)
# ---------------------------------------------------------------------------------------------------------------
def user_view(node, scim=None):
    """``{id, email, username, name, admin, active}`` of a SearchUsers node (+ ``active`` from SCIM, else None)."""
    return {"id": node.get("id"), "email": node.get("email"), "username": node.get("username"),
            "name": node.get("name"), "admin": node.get("admin"),
            "active": scim.get("active") if scim else None}


def member_role(member):
    return "admin" if member.get("admin") else "member"


def team_view(entity):
    """``{name, members: [{username, email, role, account_type, pending}], service_accounts: [{id, name,
    username}]}`` of a GetTeamEntity ``entity`` (its members' apiKey left out)."""
    members, service_accounts = [], []
    for member in entity.get("members") or []:
        if member.get("accountType") == SERVICE:
            service_accounts.append({"id": member.get("id"), "name": member.get("name"),
                                     "username": member.get("username")})
        else:
            members.append({"username": member.get("username"), "email": member.get("email"),
                            "role": member_role(member), "account_type": member.get("accountType") or "USER",
                            "pending": bool(member.get("pending"))})
    return {"name": entity.get("name"), "members": members, "service_accounts": service_accounts}


def _scim_email(resource):
    """The e-mail of a SCIM User: ``emails`` a list of ``{value}`` (RFC 7643) or one object ``{Value}`` (W&B's
    docs show that form)."""
    emails = resource.get("emails")
    if isinstance(emails, dict):
        emails = [emails]
    for item in emails or []:
        if isinstance(item, dict):
            value = item.get("value", item.get("Value"))
            if value:
                return value
    return None


class WandbOrg(object):
    """The admin operations over one ``WandbApi`` (whose key must be the server's super-admin key)."""

    def __init__(self, api):
        self.api = api

    # -- transport -----------------------------------------------------------------------------------------
    def gql(self, document, variables=None):
        return self.api.graphql(document, variables or {}, strict=True)

    def scim(self, method, path, body=None):
        """Parsed JSON (None for an empty body) of a SCIM request; HTTP 404 -> None for GET."""
        try:
            _status, raw = self.api.request(method, path, body=body)
        except WandbAuthError:
            raise
        except WandbApiError as exc:
            if exc.status == 404 and method == "GET":
                return None
            raise
        raw = (raw or b"").strip()
        if not raw:
            return None
        try:
            return json.loads(raw.decode("utf-8"))
        except ValueError:
            raise WandbApiError("%s %s%s answered a body that is not JSON" % (method, self.api.base_url, path))

    # -- users ---------------------------------------------------------------------------------------------
    def search_users(self, query):
        """SearchUsers nodes for ``query`` (a part of a username or e-mail)."""
        data = self.gql(SEARCH_USERS_GQL, {"query": query})
        users = data.get("users") or {}
        return [edge["node"] for edge in users.get("edges") or [] if edge and edge.get("node")]

    def find_user(self, email):
        """The SearchUsers node whose e-mail is ``email`` (case-insensitive), or None."""
        for node in self.search_users(email):
            if (node.get("email") or "").lower() == email.lower():
                return node
        return None

    def create_user(self, email, admin):
        data = self.gql(CREATE_USER_FROM_ADMIN_GQL, {"email": email, "admin": bool(admin)})
        user = (data.get("result") or {}).get("user")
        if not user:
            raise WandbApiError("createUser for %s answered no user" % email)
        return user

    def scim_user(self, email):
        """The SCIM User with ``email``, None when there is none; raises when the server has no SCIM API."""
        found = self.scim("GET", "/scim/Users?filter=" + quote('emails.value eq "%s"' % email, safe=""))
        if found is None:
            raise WandbApiError("%s has no SCIM API (GET /scim/Users answered 404); deactivating, deleting users and "
                                "changing roles need it" % self.api.base_url, status=404)
        for resource in found.get("Resources") or []:
            if (_scim_email(resource) or "").lower() == email.lower():
                return resource
        return None

    def scim_patch_user(self, scim_id, operations):
        return self.scim("PATCH", "/scim/Users/%s" % quote(scim_id, safe=""),
                         {"schemas": [SCIM_PATCH_OP], "Operations": operations})

    def scim_delete_user(self, scim_id):
        self.scim("DELETE", "/scim/Users/%s" % quote(scim_id, safe=""))

    # -- teams ---------------------------------------------------------------------------------------------
    def team(self, name):
        """The GetTeamEntity ``entity`` of team ``name`` (members' apiKey included: keep it inside), or None (also
        for a user's personal entity)."""
        entity = self.gql(GET_TEAM_ENTITY_GQL, {"name": name}).get("entity")
        if entity and entity.get("isTeam") is False:
            return None
        return entity

    def create_team(self, name, admin_username=None):
        self.gql(CREATE_TEAM_GQL, {"teamName": name, "teamAdminUserName": admin_username})

    def invite(self, team, email=None, username=None, admin=False):
        variables = {"entity": team, "admin": bool(admin)}
        if email:
            variables["email"] = email
        else:
            variables["username"] = username
        self.gql(CREATE_INVITE_GQL, variables)

    def remove_member(self, team, member_id):
        data = self.gql(DELETE_INVITE_GQL, {"id": member_id, "entity": team})
        if not (data.get("result") or {}).get("success"):
            raise WandbApiError("deleteInvite of %s in team %s did not succeed" % (member_id, team))

    def set_team_role(self, scim_id, team, role):
        self.scim_patch_user(scim_id, [{"op": "replace", "path": "teamRoles",
                                        "value": [{"teamName": team, "roleName": role}]}])

    def scim_group(self, name):
        found = self.scim("GET", "/scim/Groups?filter=" + quote('displayName eq "%s"' % name, safe=""))
        if found is None:
            raise WandbApiError("%s has no SCIM API (GET /scim/Groups answered 404); deleting a team needs it"
                                % self.api.base_url, status=404)
        for resource in found.get("Resources") or []:
            if resource.get("displayName") == name:
                return resource
        return None

    def scim_delete_group(self, group_id):
        self.scim("DELETE", "/scim/Groups/%s" % quote(group_id, safe=""))

    # -- service accounts ----------------------------------------------------------------------------------
    @staticmethod
    def service_accounts(entity, name=None):
        return [m for m in (entity or {}).get("members") or []
                if m.get("accountType") == SERVICE and (name is None or m.get("name") == name)]

    def create_service_account(self, team, description):
        data = self.gql(CREATE_SERVICE_ACCOUNT_GQL, {"entity": team, "description": description})
        user = (data.get("result") or {}).get("user") or {}
        return user.get("id")

    @staticmethod
    def service_account_key(member):
        """The API key the server shows for a service account member (GetTeamEntity ``apiKey``), or None."""
        return (member or {}).get("apiKey") or None

    # -- server --------------------------------------------------------------------------------------------
    def server_info(self):
        return self.gql(SERVER_INFO_GQL).get("serverInfo") or {}


# ---------------------------------------------------------------------------------------------------------------
# Module plumbing shared by user, team, service_account, users_info, team_info, server_info
# ---------------------------------------------------------------------------------------------------------------
def org_module(supports_check_mode=True, **options):
    """AnsibleModule with the wandb_api options (server_api_argument_spec + ca_certificates) and ``options``."""
    spec = server_api_argument_spec(**ca_certificates_argument_spec())
    spec.update(options)
    return AnsibleModule(argument_spec=spec, required_one_of=[("api_key", "api_key_file")],
                         mutually_exclusive=[("api_key", "api_key_file")], supports_check_mode=supports_check_mode)


def org_client(module):
    """WandbOrg for the module's options: retries on 429/5xx only, with jitter, bounded by one deadline."""
    params = module.params
    try:
        api = WandbApi(params["base_url"], api_key=read_api_key(module), validate_certs=params["validate_certs"],
                       ca_path=params["ca_path"], timeout=params["timeout"], retries=params["retries"],
                       deadline=params["timeout"] * (params["retries"] + 1),
                       ca_certificates=params.get("ca_certificates"), jitter=0.5, retry_transport=False)
    except WandbApiError as exc:
        module.fail_json(msg=str(exc))
    return WandbOrg(api)


def fail(module, exc, doing):
    """fail_json for an error of the admin API while ``doing`` (a phrase)."""
    if isinstance(exc, WandbAuthError):
        module.fail_json(msg="%s: the admin API key was refused: %s" % (doing, exc), status=exc.status)
    module.fail_json(msg="%s: %s" % (doing, exc), status=getattr(exc, "status", None))
