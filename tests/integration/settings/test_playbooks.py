"""playbooks/reset_password.yml and playbooks/restore_access.yml end to end (ansible-playbook -vvv) on the
stand-in container; the passwords they handle must never appear in the play output. restore_access.yml runs on a
server the wandb_server role deployed, with the role's variables as its inventory: the role's one container task
recreates the container with the env file the settings module changed, and nothing else about it changes."""
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
            "wandb_base_url": server.url}


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


# What the role's container definition sets: none of it may change when restore_access recreates the container.
def configuration(attrs):
    host = attrs["HostConfig"]
    return {"image": attrs["Image"], "image name": attrs["Config"]["Image"], "labels": attrs["Config"]["Labels"],
            "healthcheck": attrs["Config"].get("Healthcheck"), "ports": host["PortBindings"],
            "mounts": sorted((m["Type"], m.get("Name"), m["Destination"], m["RW"]) for m in attrs["Mounts"]),
            "security": host.get("SecurityOpt"), "cap_drop": host.get("CapDrop"), "cap_add": host.get("CapAdd"),
            "restart": host["RestartPolicy"], "log": host["LogConfig"], "network": host["NetworkMode"]}


def without(env, name):
    return dict((k, v) for k, v in env.items() if k != name)


def restore_vars(role_server, **kw):
    return dict(role_server.vars, wandb_base_url=role_server.url, **kw)


def test_restore_access_on_then_off(role_server, playbook):
    server = role_server
    server.container().exec_run(["sh", "-c", "echo kept > /vol/marker"])
    old = server.container()
    env_before = server.env()
    assert "LOCAL_RESTORE" not in env_before and server.status()["local_restore"] is False

    # --check: nothing changes, the masked diff and the recreation that would follow are shown.
    rc, out = playbook("restore_access.yml", restore_vars(server, restore=True), check=True, diff=True)
    assert rc == 0, out[-3000:]
    assert "LOCAL_RESTORE=true" in out and "would recreate the container" in out
    assert server.container().id == old.id and "LOCAL_RESTORE" not in server.env_file.read_text()
    assert not (server.config_dir / "restore-password").exists()

    rc, out = playbook("restore_access.yml", restore_vars(server, restore=True), diff=True)
    assert rc == 0, out[-3000:]
    # Applied by the wandb_server role (its container task, its health wait, its admin key gate).
    assert "wandb_local.server.wandb_server : Create, update or start the container" in out
    assert "wandb_local.server.wandb_server : Prove the admin key still works" in out
    assert "'admin': True" in out or '"admin": true' in out  # the admin key still works after the restart
    new = server.container()
    assert new.id != old.id and new.attrs["State"]["Running"]
    assert configuration(new.attrs) == configuration(old.attrs)
    assert server.env()["LOCAL_RESTORE"] == "true" and without(server.env(), "LOCAL_RESTORE") == env_before
    assert "LOCAL_RESTORE=true" in server.env_file.read_text()
    assert stat.S_IMODE(os.stat(server.env_file).st_mode) == 0o600
    assert new.exec_run(["cat", "/vol/marker"]).output.decode().strip() == "kept"
    assert server.status()["local_restore"] is True and server.status()["sso"] == "disabled"
    dest = server.config_dir / "restore-password"
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    password = dest.read_text().strip()
    assert server.check_password("restore@wandb.com", password)["valid"] is True
    assert password not in out
    assert server.admin_key not in out
    assert not (server.config_dir / ("%s.lock" % server.name)).exists()  # the instance lock released

    rc, out = playbook("restore_access.yml", restore_vars(server, restore=True))
    assert rc == 0 and recap_changed(out) == 0, out[-3000:]
    assert server.container().id == new.id

    rc, out = playbook("restore_access.yml", restore_vars(server, restore=False), diff=True)
    assert rc == 0, out[-3000:]
    back = server.container()
    assert back.id != new.id and configuration(back.attrs) == configuration(old.attrs)
    assert server.env() == env_before and "LOCAL_RESTORE" not in server.env_file.read_text()
    assert server.status()["local_restore"] is False
    assert not dest.exists()
    assert password not in out and server.admin_key not in out

    rc, out = playbook("restore_access.yml", restore_vars(server, restore=False))
    assert rc == 0 and recap_changed(out) == 0, out[-3000:]
    assert server.container().id == back.id


def test_restore_access_needs_the_container(tmp_path, playbook):
    config_dir = tmp_path / "etc"
    config_dir.mkdir(mode=0o700)
    name = "wandb-settings-absent-" + os.urandom(4).hex()
    rc, out = playbook("restore_access.yml", {"wandb_server_container_name": name,
                                              "wandb_server_config_dir": str(config_dir), "restore": True})
    assert rc != 0
    assert "but the container does not exist. Run site.yml (the wandb_server role) to create the server" in out


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
    assert "SLACK_SECRET=%s\n" % secret in server.env_file.read_text()
    rc, out = playbook(str(play), dict(base_vars(server), lic=lic, secret=secret), diff=True)
    assert rc == 0 and recap_changed(out) == 0, out[-3000:]
