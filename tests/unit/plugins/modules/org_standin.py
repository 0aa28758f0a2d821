"""The stand-in server (tests/fixtures/standin/server.py, a TEST FIXTURE) as a plain local process, for the unit
tests of the admin API modules (user, team, service_account, users_info, team_info, server_info): it speaks the
GraphQL operations of the wandb SDK and the SCIM endpoints they use, with its data in a temporary /vol.

`org_server` (module scope): an object with `url`, `key` (the super-admin key), `args(**extra)` (the modules'
connection options + extra) and `requests()` (what the server received, keys masked)."""
from __future__ import annotations

import json
import secrets
import sys
import urllib.request

import pytest

from support.playbooks import REPO
from support.procs import DIRECT, BackgroundProcess, free_port


class OrgServer(object):
    def __init__(self, proc, url, key):
        self.proc, self.url, self.key = proc, url, key

    def args(self, **extra):
        return dict({"base_url": self.url, "api_key": self.key, "timeout": 5, "retries": 1}, **extra)

    def requests(self):
        with DIRECT.open(urllib.request.Request(self.url + "/__standin__/requests"), timeout=5) as resp:
            return json.loads(resp.read())


@pytest.fixture(scope="module", name="org_server")
def org_server_fixture(tmp_path_factory):
    vol = tmp_path_factory.mktemp("org-vol")
    port = free_port()
    key = "local-" + secrets.token_hex(20)
    url = "http://127.0.0.1:%d" % port
    proc = BackgroundProcess([sys.executable, REPO / "tests/fixtures/standin/server.py"], vol / "server.log",
                             seconds=600, ready_url=url + "/ready", ready_status=200, url=url,
                             env={"STANDIN_PORT": str(port), "STANDIN_BIND": "127.0.0.1", "STANDIN_VOL": str(vol),
                                  "STANDIN_STARTUP_SECONDS": "0", "GLOBAL_ADMIN_API_KEY": key,
                                  "GORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS": "true"})
    with proc:
        proc.wait_ready(30)
        yield OrgServer(proc, url, key)
