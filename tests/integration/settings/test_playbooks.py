"""playbooks/reset_password.yml and playbooks/restore_access.yml end to end (ansible-playbook -vvv) on the
stand-in container; the passwords they handle must never appear in the play output."""
from __future__ import annotations

import os
import re
import stat


def recap_changed(output):
    match = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", output)
    assert match, output[-3000:]
    return int(match.group(1))


def base_vars(server):
    return {"wandb_server_container_name": server.name, "wandb_server_config_dir": str(server.config_dir),
            "wandb_base_url": server.url, "wandb_ready_timeout": 60}


def test_reset_password_generated(server, tmp_path, playbook):
    dest = tmp_path / "secrets" / "pw"
    rc, out = playbook("reset_password.yml",
                       dict(base_vars(server), email="admin@example.com", wandb_password_file=str(dest)), diff=True)
    assert rc == 0, out[-3000:]
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    text = dest.read_text()
    password = re.search(r"^password: (\S+)$", text, re.M).group(1)
    assert len(password) == 24
    assert server.check_password("admin@example.com", password)["valid"] is True
    assert password not in out
    assert "Password updated for admin@example.com" in text


def test_reset_password_given_default_file(server, tmp_path, playbook):
    rc, out = playbook("reset_password.yml",
                       dict(base_vars(server), email="ops@example.com", wandb_new_password="Given-Pw-123!"))
    assert rc == 0, out[-3000:]
    dest = server.config_dir / "password-ops@example.com"
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600 and "password: Given-Pw-123!" in dest.read_text()
    assert server.check_password("ops@example.com", "Given-Pw-123!")["valid"] is True
    assert "Given-Pw-123!" not in out


def test_reset_password_needs_email(server, tmp_path, playbook):
    rc, out = playbook("reset_password.yml", base_vars(server))
    assert rc != 0 and "set email" in out


def test_restore_access_on_then_off(server, tmp_path, playbook):
    old_id = server.container().id
    rc, out = playbook("restore_access.yml", dict(base_vars(server), restore=True,
                                                  wandb_server_admin_api_enabled=True), diff=True)
    assert rc == 0, out[-3000:]
    assert "'admin': True" in out or '"admin": true' in out  # the admin key still works after the restart
    assert server.container().id != old_id
    assert server.env()["LOCAL_RESTORE"] == "true" and "LOCAL_RESTORE=true" in server.env_file.read_text()
    assert server.status()["local_restore"] is True and server.status()["sso"] == "disabled"
    dest = server.config_dir / "restore-password"
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    password = dest.read_text().strip()
    assert server.check_password("restore@wandb.com", password)["valid"] is True
    assert password not in out
    assert server.admin_key not in out

    rc, out = playbook("restore_access.yml", dict(base_vars(server), restore=True))
    assert rc == 0 and recap_changed(out) == 0, out[-3000:]

    rc, out = playbook("restore_access.yml", dict(base_vars(server), restore=False), diff=True)
    assert rc == 0, out[-3000:]
    assert "LOCAL_RESTORE" not in server.env() and "LOCAL_RESTORE" not in server.env_file.read_text()
    assert server.status()["local_restore"] is False
    assert not dest.exists()
    assert password not in out

    rc, out = playbook("restore_access.yml", dict(base_vars(server), restore=False))
    assert rc == 0 and recap_changed(out) == 0, out[-3000:]


def test_restore_access_check_mode_changes_nothing(server, tmp_path, playbook):
    old_id = server.container().id
    rc, out = playbook("restore_access.yml", dict(base_vars(server), restore=True), check=True, diff=True)
    assert rc == 0, out[-3000:]
    assert server.container().id == old_id
    assert "LOCAL_RESTORE" not in server.env_file.read_text()
    assert "LOCAL_RESTORE=true" in out  # the masked diff shows what would change


def test_settings_secrets_absent_from_vvv_and_diff(server, tmp_path, playbook):
    lic = "eyJhbGciOiJSUzI1NiJ9.eyJwbGF5Ym9vay1saWNlbnNlIjoxfQ.cGxheWJvb2stc2lnbmF0dXJl"
    secret = "playbook-slack-secret-value"
    play = tmp_path / "apply.yml"
    play.write_text("""---
- name: Apply settings
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Apply
      wandb_local.server.settings:
        container_name: "{{ wandb_server_container_name }}"
        env_file: "{{ wandb_server_config_dir }}/{{ wandb_server_container_name }}.env"
        base_url: "{{ wandb_base_url }}"
        api_key_file: "{{ wandb_server_config_dir }}/admin-api-key"
        ready_timeout: 60
        license: "{{ lic }}"
        slack_client_id: slack-id
        slack_secret: "{{ secret }}"
""")
    rc, out = playbook(str(play), dict(base_vars(server), lic=lic, secret=secret), diff=True)
    assert rc == 0, out[-3000:]
    assert recap_changed(out) == 1
    assert "SLACK_SECRET=********" in out and "SLACK_CLIENT_ID=slack-id" in out
    for value in (lic, secret, server.admin_key):
        assert value not in out
    assert server.env()["SLACK_SECRET"] == secret
    rc, out = playbook(str(play), dict(base_vars(server), lic=lic, secret=secret), diff=True)
    assert rc == 0 and recap_changed(out) == 0, out[-3000:]
