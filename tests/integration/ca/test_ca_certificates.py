"""Custom CA certificates (wandb_server_ca_certificates), end to end against real components presenting certificates
of an internal CA: the pre-flights (OIDC discovery through site.yml, Redis TLS, S3 over HTTPS) fail without the CA,
naming the variable, and pass with it; the server gets each certificate read-only at
/usr/local/share/ca-certificates/customCA<i>.crt (as W&B's Helm chart mounts customCACerts); a removed certificate
leaves the host and the container in one recreation; the next run changes nothing. The deployed server is hardened
(docker inspect and /proc/1/status)."""
from __future__ import annotations

import stat
import time

from ansible_collections.wandb_local.server.plugins.modules import aws_s3_bucket, redis_check

from ca_testenv import run_site

CONTAINER_DIR = "/usr/local/share/ca-certificates"


def _exec(container, command):
    code, output = container.exec_run(command, user="999")
    return code, output.decode("utf-8", "replace")


def assert_hardened(docker_client, name):
    """docker inspect of the deployed server: no-new-privileges, CapDrop ALL and nothing added back, the python3
    health check on /ready (and Docker says healthy), json-file logs rotated at 50m x 5; and the kernel agrees."""
    container = docker_client.containers.get(name)
    host_config, config = container.attrs["HostConfig"], container.attrs["Config"]
    assert host_config["SecurityOpt"] == ["no-new-privileges"]
    assert host_config["CapDrop"] == ["ALL"] and not host_config["CapAdd"]
    assert host_config["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "50m", "max-file": "5"}}
    health = config["Healthcheck"]
    assert health["Test"][:3] == ["CMD", "python3", "-c"] and "http://127.0.0.1:8080/ready" in health["Test"][3]
    assert health["Interval"] == 2 * 10 ** 9 and health["Timeout"] == 10 * 10 ** 9 and health["Retries"] == 3
    assert health["StartPeriod"] == 600 * 10 ** 9
    status = _exec(container, ["sh", "-c", "grep -E '^(NoNewPrivs|CapEff|CapBnd):' /proc/1/status"])[1]
    assert "NoNewPrivs:\t1" in status and "CapEff:\t0000000000000000" in status, status
    assert "CapBnd:\t0000000000000000" in status, status
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        container.reload()
        if container.attrs["State"]["Health"]["Status"] == "healthy":
            break
        time.sleep(1)
    assert container.attrs["State"]["Health"]["Status"] == "healthy", container.attrs["State"]["Health"]


def test_oidc_preflight_needs_the_ca_and_the_server_gets_it(server_instance, https_oidc_provider, internal_ca,
                                                            docker_client):
    inst = server_instance
    extra = dict(inst.vars, oidc_issuer=https_oidc_provider["issuer"], oidc_client_id="wandb-implicit",
                 wandb_server_admin_api_enabled=True, wandb_server_healthcheck_interval="2s")

    # Without the CA: the discovery pre-flight fails, says why and names the variable; nothing was changed.
    refused = run_site(extra)
    assert refused.returncode != 0, refused.output[-3000:]
    assert "could not be verified" in refused.output and "wandb_server_ca_certificates" in refused.output, \
        refused.output[-3000:]
    assert refused.recap()["changed"] == 0
    assert not docker_client.containers.list(all=True, filters={"name": inst.name})
    assert not inst.config_dir.exists()

    # With it (a file on the controller, and an unrelated CA as PEM text): the pre-flight passes, the server runs.
    other_pem = internal_ca["other_ca"].read_text()
    extra["wandb_server_ca_certificates"] = [str(internal_ca["ca"]), other_pem]
    first = run_site(extra)
    assert first.returncode == 0, first.output[-4000:]
    container = docker_client.containers.get(inst.name)
    for index, expected in enumerate([internal_ca["ca"].read_text(), other_pem]):
        host_file = inst.ca_dir / ("customCA%d.crt" % index)
        assert host_file.read_text().strip() == expected.strip()
        assert stat.S_IMODE(host_file.stat().st_mode) == 0o644
        code, inside = _exec(container, ["cat", "%s/customCA%d.crt" % (CONTAINER_DIR, index)])
        assert code == 0 and inside.strip() == expected.strip()
    mounts = {m["Destination"]: m for m in container.attrs["Mounts"]}
    for index in (0, 1):
        mount = mounts["%s/customCA%d.crt" % (CONTAINER_DIR, index)]
        assert mount["Type"] == "bind" and mount["RW"] is False
        assert mount["Source"] == str(inst.ca_dir / ("customCA%d.crt" % index))
    code, _output = _exec(container, ["sh", "-c", "echo x > %s/customCA0.crt" % CONTAINER_DIR])
    assert code != 0, "the certificate is writable inside the container"
    assert_hardened(docker_client, inst.name)

    again = run_site(extra)
    assert again.returncode == 0 and again.recap()["changed"] == 0, again.output[-4000:]
    assert docker_client.containers.get(inst.name).id == container.id

    # One certificate fewer: gone from the host and the container, in one recreation.
    extra["wandb_server_ca_certificates"] = [str(internal_ca["ca"])]
    fewer = run_site(extra)
    assert fewer.returncode == 0, fewer.output[-4000:]
    recreated = docker_client.containers.get(inst.name)
    assert recreated.id != container.id
    assert sorted(p.name for p in inst.ca_dir.iterdir()) == ["customCA0.crt"]
    code, listing = _exec(recreated, ["ls", CONTAINER_DIR])
    assert code == 0 and listing.split() == ["customCA0.crt"]
    last = run_site(extra)
    assert last.returncode == 0 and last.recap()["changed"] == 0, last.output[-4000:]


def test_redis_tls_check_trusts_the_custom_ca(run_module, tls_redis, internal_ca):
    args = {"host": "127.0.0.1", "port": tls_redis["port"], "password": tls_redis["password"], "tls": True,
            "timeout": 5}
    refused = run_module(redis_check, args)
    assert refused.failed and "wandb_server_ca_certificates" in refused["msg"], refused
    assert tls_redis["password"] not in str(refused)
    trusted = run_module(redis_check, dict(args, ca_certificates=[internal_ca["ca"].read_text()]))
    assert not trusted.failed and trusted["pong"] is True, trusted
    # Only an unrelated CA: still refused.
    other = run_module(redis_check, dict(args, ca_certificates=[internal_ca["other_ca"].read_text()]))
    assert other.failed and "wandb_server_ca_certificates" in other["msg"]


def test_s3_compatible_endpoint_with_the_custom_ca(run_module, https_s3, internal_ca):
    args = {"name": "wandb-ca-files", "endpoint_url": https_s3, "region": "us-east-1", "max_attempts": 1,
            "timeout": 5}
    refused = run_module(aws_s3_bucket, args)
    assert refused.failed and "wandb_server_ca_certificates" in refused["msg"], refused
    assert "could not be verified" in refused["msg"]
    created = run_module(aws_s3_bucket, dict(args, ca_certificates=[internal_ca["ca"].read_text()]))
    assert not created.failed and created.changed, created
    again = run_module(aws_s3_bucket, dict(args, ca_certificates=[internal_ca["ca"].read_text()]))
    assert not again.failed and not again.changed, again
