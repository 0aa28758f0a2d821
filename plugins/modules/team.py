#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: team
short_description: A team of a W&B server and its members with their roles
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
description:
  - "Creates a team, adds and removes members with the GraphQL documents the public C(wandb) SDK sends
    (C(createTeam), C(createInvite) of C(Team.invite(username_or_email, admin)), C(deleteInvite) of
    C(Member.delete()), and the team's C(entity { members }) of C(Team.load()))."
  - "Where only SCIM does the job (wandb/docs platform/hosting/iam/scim.mdx): changing the role of a member
    (C(PATCH /scim/Users/{id}) C(teamRoles)) and deleting the team (C(DELETE /scim/Groups/{id}))."
  - Roles are those the SDK knows, C(admin) and C(member). A member whose role changes keeps its membership; a
    pending invite (an e-mail with no user yet) whose role changes is invited again.
  - Service accounts of the team are never added or removed here (see M(wandb_local.server.service_account)).
  - Needs the server's super-admin key. HTTP 401/403 and a GraphQL C(permission denied) fail at once saying so;
    HTTP 429 and 5xx are retried with a jittered backoff, nothing else.
attributes:
  check_mode:
    support: full
    description: Reports what would change; changes nothing.
  diff_mode:
    support: full
    description: The team (members with their role, service accounts) before and after.
options:
  name:
    description: The team's name (lower-case letters, digits, C(-) and C(_)).
    type: str
    required: true
  state:
    description: V(absent) deletes the team (SCIM C(DELETE /scim/Groups/{id})).
    type: str
    choices: [present, absent]
    default: present
  members:
    description:
      - Members the team has, each by O(members[].email) or O(members[].username). Unset leaves the members alone.
      - An e-mail of a user who does not exist yet becomes a pending invite.
      - When the team is created, its first admin given by username (or by the e-mail of an existing user) becomes
        the team's admin at creation; otherwise the key's own user does (the SDK's default), and O(exclusive)
        decides whether that user stays.
    type: list
    elements: dict
    suboptions:
      email:
        description: The member's e-mail.
        type: str
      username:
        description: The member's username.
        type: str
      role:
        description: The member's role in the team.
        type: str
        choices: [admin, member]
        default: member
  exclusive:
    description: Also remove the members (and pending invites) not in O(members). Service accounts are never removed.
    type: bool
    default: false
extends_documentation_fragment:
  - wandb_local.server._wandb_api
  - wandb_local.server._ca_certificates
seealso:
  - module: wandb_local.server.team_info
  - module: wandb_local.server.user
  - module: wandb_local.server.service_account
"""

EXAMPLES = r"""
- name: Team research, Alice its admin, Bob a member, nobody else
  wandb_local.server.team:
    api_key_file: /etc/wandb-local/admin-api-key
    name: research
    members:
      - {email: alice@example.com, role: admin}
      - {username: bob}
    exclusive: true
"""

RETURN = r"""
team:
  description: The team after the change (as it would be, in check mode); C({}) when absent.
  returned: success
  type: dict
  contains:
    name: {description: Name, type: str}
    members:
      description: Members (not service accounts) with C(username), C(email), C(role) (admin, member),
        C(account_type) and C(pending) (an invite not accepted yet).
      type: list
      elements: dict
    service_accounts:
      description: The team's service accounts, C(id), C(name), C(username) (never a key).
      type: list
      elements: dict
  sample:
    name: research
    members: [{username: alice, email: alice@example.com, role: admin, account_type: USER, pending: false}]
    service_accounts: [{id: VXNlcjoxMDAz, name: ci, username: research-sa-1003}]
"""

import copy

from ansible_collections.wandb_local.server.plugins.module_utils._wandb_api import WandbApiError
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_org import (
    fail,
    member_role,
    org_client,
    org_module,
    team_view,
)


def _matches(wanted, member):
    if wanted.get("email"):
        return (member.get("email") or "").lower() == wanted["email"].lower()
    return member.get("username") == wanted["username"]


def _wanted_label(wanted):
    return wanted.get("email") or wanted.get("username")


def main():
    module = org_module(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        members=dict(type="list", elements="dict", options=dict(
            email=dict(type="str"),
            username=dict(type="str"),
            role=dict(type="str", choices=["admin", "member"], default="member"),
        ), mutually_exclusive=[("email", "username")], required_one_of=[("email", "username")]),
        exclusive=dict(type="bool", default=False),
    )
    p = module.params
    name = p["name"]
    wanted = p["members"]
    org = org_client(module)
    changed = False
    doing = "team %s" % name
    try:
        entity = org.team(name)
        before = team_view(entity) if entity else {}
        if p["state"] == "absent":
            after = {}
            if entity:
                changed = True
                if not module.check_mode:
                    group = org.scim_group(name)
                    if group is None:
                        module.fail_json(msg="team %s exists, but SCIM GET /scim/Groups does not find it; nothing "
                                             "was changed" % name, team=before)
                    org.scim_delete_group(group["id"])
            _exit(module, changed, before, after)

        if not entity:
            changed = True
            admin_username = None
            for item in wanted or []:
                if item["role"] == "admin":
                    if item.get("username"):
                        admin_username = item["username"]
                    else:
                        node = org.find_user(item["email"])
                        admin_username = node.get("username") if node else None
                    if admin_username:
                        break
            if module.check_mode:
                planned = {"name": name, "members": [], "service_accounts": []}
                for item in wanted or []:
                    planned["members"].append({"username": item.get("username"), "email": item.get("email"),
                                               "role": item["role"], "account_type": "USER", "pending": False})
                _exit(module, True, before, planned)
            org.create_team(name, admin_username)
            entity = org.team(name)
            if entity is None:
                module.fail_json(msg="createTeam %s answered, but the team cannot be read back" % name)

        if wanted is not None:
            planned = copy.deepcopy(team_view(entity))
            current = [m for m in entity.get("members") or [] if m.get("accountType") != "SERVICE"]
            for item in wanted:
                found = [m for m in current if _matches(item, m)]
                if not found:
                    changed = True
                    planned["members"].append({"username": item.get("username"), "email": item.get("email"),
                                               "role": item["role"], "account_type": "USER", "pending": False})
                    if not module.check_mode:
                        org.invite(name, email=item.get("email"), username=item.get("username"),
                                   admin=item["role"] == "admin")
                    continue
                member = found[0]
                if member_role(member) == item["role"]:
                    continue
                changed = True
                for view in planned["members"]:
                    if _matches(item, view):
                        view["role"] = item["role"]
                if module.check_mode:
                    continue
                if member.get("pending"):
                    org.remove_member(name, member["id"])
                    org.invite(name, email=member.get("email"), admin=item["role"] == "admin")
                    continue
                scim = org.scim_user(member["email"]) if member.get("email") else None
                if scim is None:
                    module.fail_json(msg="%s: SCIM does not find member %s to change its role" % (
                        doing, _wanted_label(item)))
                org.set_team_role(scim["id"], name, item["role"])
            if p["exclusive"]:
                for member in current:
                    if any(_matches(item, member) for item in wanted):
                        continue
                    changed = True
                    planned["members"] = [v for v in planned["members"]
                                          if not (v["username"] == member.get("username")
                                                  and v["email"] == member.get("email"))]
                    if not module.check_mode:
                        org.remove_member(name, member["id"])
            if module.check_mode:
                _exit(module, changed, before, planned)
            entity = org.team(name) or entity
        _exit(module, changed, before, team_view(entity))
    except WandbApiError as exc:
        fail(module, exc, doing)


def _exit(module, changed, before, after):
    result = dict(changed=changed, team=after)
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
