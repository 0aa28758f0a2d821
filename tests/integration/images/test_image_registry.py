# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml deploys the server from a private registry with TLS from an internal CA and htpasswd auth (issue 12).

One registry, in the order an operator meets it: no CA given (Docker Engine refuses the certificate: TLS is really
checked), the CA given but nothing pushed yet (the role writes the CA, logs in, the pull finds nothing), a wrong
password, --check, the deploy, and a run that changes nothing. Every failure comes before the env file and the
container, names the variables that get the image, and no output (-vvv --diff) shows the password. A registry
that cannot be reached at all fails the same way.
"""
from __future__ import annotations

import os
import secrets
import stat

from support.procs import free_port, url_status

from images_testenv import task_outcomes


def assert_untouched(server, docker_client, result):
    assert result.returncode != 0, result.output[-3000:]
    assert result.recap()["failed"] == 1, result.output[-3000:]
    assert not server.env_file.exists() and not server.config_dir.exists()
    assert server.container(docker_client) is None


def assert_names_the_variables(output):
    for name in ("wandb_server_image", "wandb_server_image_tag", "wandb_server_image_archive",
                 "wandb_server_registry_username", "wandb_server_registry_password",
                 "wandb_server_registry_ca_certificate"):
        assert name in output, name


def test_deploy_from_a_private_registry_with_tls_and_a_login(registry, server, docker_client, standin_image):
    tag = "reg-" + secrets.token_hex(4)
    image = registry.host + "/wandb/local"
    base = {"wandb_server_image": image, "wandb_server_image_tag": tag,
            "wandb_server_registry_username": registry.username,
            "wandb_server_registry_password": registry.password}
    wrong_password = "wrongpw-" + secrets.token_hex(12)
    outputs = []

    # No CA: the engine does not trust the registry's certificate, so the login fails - nothing written at all.
    no_ca = server.site(base)
    outputs.append(no_ca.output)
    assert_untouched(server, docker_client, no_ca)
    assert no_ca.recap()["changed"] == 0
    assert "does not trust the TLS certificate of %s" % registry.host in no_ca.output, no_ca.output[-3000:]
    assert "Nothing was changed." in no_ca.output
    assert_names_the_variables(no_ca.output)
    assert not registry.engine_ca.exists()

    # --check with the CA (a file on the controller) predicts writing it, and writes nothing.
    with_ca = dict(base, wandb_server_registry_ca_certificate=str(registry.ca_file))
    first_check = server.site(with_ca, check=True)
    outputs.append(first_check.output)
    assert first_check.returncode == 0, first_check.output[-3000:]
    assert task_outcomes(first_check.output, "Make Docker Engine trust the registry's CA") == ["changed"]
    assert not registry.engine_ca.exists() and not server.docker_config.exists()
    assert server.container(docker_client) is None and not server.config_dir.exists()

    # The CA as a file on the controller; the registry has no such image yet: the CA and the login are written, the
    # pull finds nothing, and the server is not touched.
    missing = server.site(with_ca)
    outputs.append(missing.output)
    assert_untouched(server, docker_client, missing)
    assert "%s has no %s:%s" % (registry.host, image, tag) in missing.output, missing.output[-3000:]
    assert "the server was not touched" in missing.output
    assert_names_the_variables(missing.output)
    assert registry.engine_ca.read_text() == registry.ca_file.read_text()
    assert stat.S_IMODE(os.stat(server.docker_config).st_mode) == 0o600

    # The engine now trusts the registry: push the stand-in there.
    registry.push(standin_image, "%s:%s" % (image, tag))

    # A wrong password: refused by the registry before anything changes, and shown nowhere.
    refused = server.site(dict(with_ca, wandb_server_registry_password=wrong_password))
    outputs.append(refused.output)
    assert_untouched(server, docker_client, refused)
    assert refused.recap()["changed"] == 0
    assert "Could not log in to %s" % registry.host in refused.output
    assert "refused the login of %s" % registry.username in refused.output, refused.output[-3000:]
    assert_names_the_variables(refused.output)
    assert wrong_password not in refused.output

    # --check logs in (without saving) and predicts the pull and the server; it changes nothing.
    checked = server.site(with_ca, check=True)
    outputs.append(checked.output)
    assert checked.returncode == 0, checked.output[-3000:]
    assert checked.recap()["changed"] > 0
    assert server.container(docker_client) is None and not server.env_file.exists()

    # The deploy, with the CA as PEM text this time (the same certificate: the file stays as it is).
    pem = dict(base, wandb_server_registry_ca_certificate=registry.ca_file.read_text())
    deployed = server.site(pem)
    outputs.append(deployed.output)
    assert deployed.returncode == 0, deployed.output[-4000:]
    container = server.container(docker_client)
    assert container.attrs["Config"]["Image"] == "%s:%s" % (image, tag)
    assert container.image.id == docker_client.images.get(standin_image).id
    assert url_status("http://127.0.0.1:%d/ready" % server.port) == 200
    assert task_outcomes(deployed.output, "Make Docker Engine trust the registry's CA") == ["ok"]
    assert task_outcomes(deployed.output, "Log in to the registry") == ["ok"]
    assert task_outcomes(deployed.output, "Pull %s" % image) == ["changed"]
    assert registry.engine_ca.read_text() == registry.ca_file.read_text()
    assert stat.S_IMODE(os.stat(server.docker_config).st_mode) == 0o600

    # Nothing to do: the image is there, so no CA, login or pull task runs.
    again = server.site(pem)
    outputs.append(again.output)
    assert again.returncode == 0, again.output[-3000:]
    assert again.recap()["changed"] == 0
    for task in ("Make Docker Engine trust the registry's CA", "Log in to the registry", "Pull %s" % image):
        # The no-change check (server_state) finds the server in sync: the converge path, these tasks with it, is not run.
        assert task_outcomes(again.output, task) == [], task

    for output in outputs:
        assert registry.password not in output
        assert wrong_password not in output


def test_an_unreachable_registry_fails_before_any_change(server, docker_client):
    # A closed port: the login cannot reach the registry (like a host whose firewall blocks it).
    host = "127.0.0.1:%d" % free_port()
    password = "unreachpw-" + secrets.token_hex(12)
    result = server.site({"wandb_server_image": host + "/wandb/local", "wandb_server_image_tag": "0.99.0",
                          "wandb_server_registry_username": "puller", "wandb_server_registry_password": password})
    assert_untouched(server, docker_client, result)
    assert result.recap()["changed"] == 0
    assert "localhost cannot reach %s" % host in result.output, result.output[-3000:]
    assert_names_the_variables(result.output)
    assert "Nothing was changed." in result.output
    assert password not in result.output
