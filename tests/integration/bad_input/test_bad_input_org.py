"""Wrong organisations (the org role's wandb_org_* variables) fail site.yml before anything changes, with a message
naming the variable and what is allowed (the same proof as test_bad_input.py: one failed task, changed=0, no
container, volume or config dir, nothing contacted)."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from bad_input_testenv import Tripwire, run_case

PARALLEL_RUNS = 3
TEAM = {"name": "vision", "members": [{"email": "ada@example.com", "role": "admin"}]}
USERS = [{"email": "ada@example.com"}]

# name: (variables, the variable the message names, what it says is allowed)
CASES = {
    "org_user_email": ({"wandb_org_users": [{"email": "ada.example.com"}]}, "wandb_org_users",
                       "an e-mail address such as"),
    "org_user_twice": ({"wandb_org_users": [{"email": "ada@example.com"}, {"email": "Ada@Example.com"}]},
                       "wandb_org_users", "one entry"),
    "org_user_state": ({"wandb_org_users": [{"email": "ada@example.com", "state": "gone"}]}, "wandb_org_users",
                       "present, absent"),
    "org_team_twice": ({"wandb_org_users": USERS, "wandb_org_teams": [TEAM, dict(TEAM)]},
                       "wandb_org_teams", "one entry"),
    "org_team_name": ({"wandb_org_teams": [{"name": "computer vision"}]}, "wandb_org_teams",
                      "letters, digits, '-' and '_'"),
    "org_team_name_upper_case": ({"wandb_org_teams": [{"name": "Vision-2"}]}, "wandb_org_teams",
                                 "lower-case letters, digits, '-' and '_'"),
    "org_member_role": ({"wandb_org_users": USERS,
                         "wandb_org_teams": [{"name": "vision", "members": [{"email": "ada@example.com",
                                                                             "role": "owner"}]}]},
                        "wandb_org_teams", "admin, member"),
    "org_member_both_names": ({"wandb_org_teams": [{"name": "vision", "members": [{"email": "ada@example.com",
                                                                                   "username": "ada"}]}]},
                              "wandb_org_teams", "exactly one of the two"),
    "org_key_file_relative": (
        {"wandb_org_teams": [{"name": "vision", "service_accounts": [{"name": "ci", "key_file": "keys/ci.key"}]}]},
        "wandb_org_teams", "absolute key_file"),
    "org_exclusive_member_unlisted": ({"wandb_org_exclusive": True, "wandb_org_users": [{"email": "bob@example.com"}],
                                       "wandb_org_teams": [TEAM]}, "wandb_org_users", "Add them to wandb_org_users"),
    "org_exclusive_without_users": ({"wandb_org_exclusive": True, "wandb_org_teams": [{"name": "vision"}]},
                                    "wandb_org_users", "List the users to keep"),
    "org_admin_api_off": ({"wandb_server_admin_api_enabled": False, "wandb_org_users": USERS},
                          "wandb_server_admin_api_enabled", "wandb_server_admin_api_enabled: true"),
}


def case_vars(case, workdir):
    name = "wandb-badorg-%s-%s" % (case.replace("_", "-"), uuid.uuid4().hex[:6])
    variables = {"wandb_server_container_name": name, "wandb_server_data_volume": name,
                 "wandb_server_config_dir": str(workdir / "etc"), "wandb_server_host": "https://wandb.example.com",
                 "wandb_server_image_pull": "never", "wandb_server_admin_api_enabled": True}
    variables.update(CASES[case][0])
    return name, variables


@pytest.fixture(scope="module")
def org_outcomes(tmp_path_factory):
    """Every case run through site.yml (a few at a time); {case: (resource name, workdir, tripwire, outcome)}."""
    prepared = {}
    for case in CASES:
        workdir = tmp_path_factory.mktemp(case)
        name, variables = case_vars(case, workdir)
        # No variable points anywhere: a tripwire on the server's port proves nothing asked the server either.
        tripwire = Tripwire()
        variables["wandb_server_port"] = tripwire.port
        prepared[case] = (name, workdir, tripwire, variables)
    try:
        with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
            results = dict(pool.map(lambda item: (item[0], run_case(item[1][1] / "run", item[1][3])),
                                    prepared.items()))
    finally:
        for entry in prepared.values():
            entry[2].stop()
    return {case: (entry[0], entry[1], entry[2], results[case]) for case, entry in prepared.items()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_wrong_organisation_fails_before_any_change(case, org_outcomes, docker_client):
    name, workdir, tripwire, (result, failures) = org_outcomes[case]
    _variables, variable, allowed = CASES[case]
    assert result.returncode != 0, "the run succeeded:\n" + result.output[-3000:]
    assert len(failures) == 1, "expected exactly one failed task:\n" + result.output[-3000:]
    message = str(failures[0].get("msg", ""))
    assert variable in message, "the message does not name %s: %s" % (variable, message)
    assert allowed in message, "the message does not say what is allowed (%r): %s" % (allowed, message)
    recap = result.recap()
    assert recap["failed"] == 1 and recap["changed"] == 0, recap
    assert not (workdir / "etc").exists(), "the config dir was created"
    assert not docker_client.containers.list(all=True, filters={"name": name})
    assert not docker_client.volumes.list(filters={"name": name})
    assert tripwire.connections == 0, "something was contacted"
