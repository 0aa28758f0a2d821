"""container_diagnosis: the cause of a failed container task named from its error, secrets redacted."""
from __future__ import annotations

from ansible_collections.wandb_local.server.plugins.modules import container_diagnosis as diag

ENGINE = "unix:///var/run/docker.sock"


def explain(error, image_present=True, holder=""):
    return diag.explain(error, ENGINE, 0.0, "wandb-local", "wandb/local:0.75.0", image_present, 8080, holder)


def test_the_engine_going_away_is_named():
    cause = explain("Error connecting: Error while fetching server API version: ('Connection aborted.', "
                    "FileNotFoundError(2, 'No such file or directory'))")
    assert cause.startswith("the Docker engine at %s was unreachable during the task" % ENGINE)


def test_options_ansible_refused_are_not_blamed_on_the_engine():
    cause = explain("Unsupported parameters for (community.docker.docker_container) module: foo. Supported "
                    "parameters include: timeout, ...")
    assert cause.startswith("Ansible refused the container task's options")


def test_image_port_and_name_causes():
    assert "is not on the Docker host" in explain("404 Client Error: No such image: wandb/local:0.75.0",
                                                  image_present=False)
    port_error = "driver failed programming external connectivity: Bind for 0.0.0.0:8080 failed: port is already allocated"
    assert "port 8080 is in use by container other" in explain(port_error, holder="container other")
    assert "the name wandb-local is taken" in explain('409 Client Error: Conflict ("Conflict. The container name '
                                                      '"/wandb-local" is already in use by container "abc"')


def test_secrets_of_the_env_file_and_url_credentials_are_redacted(tmp_path):
    env_file = tmp_path / "w.env"
    env_file.write_text("LICENSE=eyJhbGc.payloadsecret.sig\nHOST=https://w.example.com\n")
    redact = diag.redactor(str(env_file))
    text = redact("bad value eyJhbGc.payloadsecret.sig for redis://u:p%40ss@cache:6379 at https://w.example.com")
    assert "payloadsecret" not in text and "p%40ss" not in text
    assert "redis://********@cache:6379" in text and "https://w.example.com" in text
