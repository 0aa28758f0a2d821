from __future__ import annotations

from ansible_collections.wandb_local.server.plugins.module_utils._wandb_container import redact


def test_credentials_in_log_lines_are_masked():
    line = "*** LOCAL_RESTORE is set: SSO is disabled. Temporary password for restore@wandb.com: Xy12secret"
    assert "Xy12secret" not in redact(line)
    assert redact("api_key=local-abc123 token: t0k3n") == "api_key ********"
    assert redact("*** All services started") == "*** All services started"
