"""admin_check against the stand-in container started with GLOBAL_ADMIN_API_KEY (as the wandb_server role does)."""
from __future__ import annotations

import json
import time

from ansible_collections.wandb_local.server.plugins.modules import admin_check
from support.procs import free_port


def test_admin_key_accepted(run_module, server):
    res = run_module(admin_check, {"base_url": server.url, "api_key_file": str(server.key_file), "wait_ready": 30})
    assert not res.failed, res
    assert res["viewer"]["admin"] is True and res["viewer"]["username"] == "admin"
    assert res["server_info"]["latestLocalVersionInfo"]["versionOnThisInstanceString"]
    assert not res.changed
    assert server.admin_key not in json.dumps(res)


def test_admin_key_given_inline(run_module, server):
    res = run_module(admin_check, {"base_url": server.url, "api_key": server.admin_key})
    assert not res.failed and res["viewer"]["admin"]


def test_wrong_key_refused_at_once(run_module, server):
    wrong = "local-" + "0" * 40
    res = run_module(admin_check, {"base_url": server.url, "api_key": wrong})
    assert res.failed
    assert "refused with HTTP 401" in res["msg"] and res["status"] == 401
    assert res["attempts"] == 1
    assert wrong not in json.dumps(res)


def test_connection_refused_in_bounded_time(run_module):
    start = time.monotonic()
    res = run_module(admin_check, {"base_url": "http://127.0.0.1:%d" % free_port(), "api_key": "local-" + "1" * 40,
                                   "retries": 3, "timeout": 1})
    elapsed = time.monotonic() - start
    assert res.failed and "after 4 attempt" in res["msg"]
    assert res["attempts"] == 4
    assert elapsed < 15
