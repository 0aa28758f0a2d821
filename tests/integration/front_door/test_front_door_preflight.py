"""The front door's checks refuse a bad inventory before anything changes: offline through validate.yml (a certificate
that does not fit its key or name, expired or soon expiring, a name served twice, instances of one docker host that
disagree), and on the docker host through site.yml (the backend port taken, the proxy's port taken, the name served
by another site file) - and HOST, the CORS origins and the OIDC URLs follow the front door's name."""
from __future__ import annotations

import datetime
import json
import socket
import subprocess
import sys
import uuid

import docker
import pytest

from front_door_testenv import name
from support.playbooks import REPO, run_playbook, write_play
from support.procs import LOCALHOST, free_ports
from support.tls import make_tls

VALIDATE = REPO / "playbooks" / "validate.yml"
SITE = REPO / "playbooks" / "site.yml"


def inventory(path, hosts: dict, group_vars: dict | None = None):
    """An inventory of local hosts (each with its own container name and port unless given)."""
    full = {}
    for host, host_vars in hosts.items():
        port = free_ports(1)[0]
        full[host] = dict({"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                           "wandb_server_container_name": "wandb-fdcheck-%s-%s" % (host, uuid.uuid4().hex[:6]),
                           "wandb_server_port": port}, **host_vars)
    group = {"hosts": full, "vars": group_vars or {}}
    path.write_text(json.dumps({"all": {"children": {"wandb_servers": group}}}))
    return path


def run(playbook, inventory_file, *options):
    return run_playbook(playbook, None, "-i", str(inventory_file), *options, local=False, verbose=False, diff=False,
                        timeout=300, env={"ANSIBLE_STDOUT_CALLBACK": "default"})


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def dated_certificate(directory, label, ca_cert_file, ca_key_file, days_from, days_to):
    """A certificate for wandb5.front-door.test signed by the CA, valid from `days_from` to `days_to` days from now
    (openssl 3.0 cannot date one in the past), and its key."""
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import hashes, serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ec  # pylint: disable=import-outside-toplevel
    from cryptography.x509.oid import NameOID  # pylint: disable=import-outside-toplevel
    ca_cert = x509.load_pem_x509_certificate(ca_cert_file.read_bytes())
    ca_key = serialization.load_pem_private_key(ca_key_file.read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name("wandb5"))]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=days_from))
            .not_valid_after(now + datetime.timedelta(days=days_to))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name("wandb5"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_file, key_file = directory / (label + ".pem"), directory / (label + ".key")
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """A CA and certificates for wandb5.front-door.test (and *.wild.front-door.test): good, for another name, expired,
    expiring in 5 days, not yet valid, with an encrypted key, with a chain out of order."""
    root = tmp_path_factory.mktemp("certs")
    good = make_tls(root, "checks CA", san="DNS:%s,DNS:*.wild.%s" % (name("wandb5"), "front-door.test"))
    other = root / "other"
    other.mkdir()
    other_tls = make_tls(other, "other CA", san="DNS:%s" % name("elsewhere"))
    openssl("pkey", "-in", str(good["key"]), "-aes256", "-passout", "pass:secret", "-out", "encrypted.key", cwd=root)
    (root / "reversed.pem").write_text(good["ca"].read_text() + good["cert"].read_text())
    return {"cert": good["cert"], "key": good["key"], "ca": good["ca"], "other_key": other_tls["key"],
            "other_cert": other_tls["cert"], "encrypted_key": root / "encrypted.key", "reversed": root / "reversed.pem",
            "soon": dated_certificate(root, "soon", good["ca"], root / "ca.key", -1, 5),
            "expired": dated_certificate(root, "expired", good["ca"], root / "ca.key", -30, -1),
            "future": dated_certificate(root, "future", good["ca"], root / "ca.key", 2, 30)}


def provided(certs, cert, key, **extra):
    return dict({"front_door_name": name("wandb5"), "front_door_tls_certificate": str(cert),
                 "front_door_tls_key": str(key)}, **extra)


@pytest.mark.parametrize("cert,key,expected", [
    ("cert", "other_key", "the key does not belong to the certificate"),
    ("other_cert", "other_key", "does not cover %s" % name("wandb5")),
    ("cert", "encrypted_key", "the private key is encrypted"),
    ("reversed", "key", "the chain is out of order"),
])
def test_validate_refuses_a_certificate_that_cannot_be_served(tmp_path, certs, cert, key, expected):
    result = run(VALIDATE, inventory(tmp_path / "inventory.json", {"wandb5": provided(certs, certs[cert], certs[key])}))
    assert result.returncode != 0
    assert expected in result.output, result.output[-3000:]
    assert "front_door_tls_certificate" in result.output


@pytest.mark.parametrize("which,expected", [("expired", "the certificate expired on"),
                                            ("future", "the certificate is not valid before")])
def test_validate_refuses_a_certificate_out_of_its_dates(tmp_path, certs, which, expected):
    cert, key = certs[which]
    result = run(VALIDATE, inventory(tmp_path / "inventory.json", {"wandb5": provided(certs, cert, key)}))
    assert result.returncode != 0 and expected in result.output, result.output[-3000:]


def test_a_certificate_expiring_soon_is_a_warning(tmp_path, certs):
    cert, key = certs["soon"]
    result = run(VALIDATE, inventory(tmp_path / "inventory.json", {"wandb5": provided(certs, cert, key)}))
    assert result.returncode == 0, result.output[-3000:]
    assert "[WARNING] wandb5: the certificate for %s" % name("wandb5") in result.output
    assert "expires in 4 days" in result.output


def test_a_wildcard_certificate_covers_one_label(tmp_path, certs):
    ok = run(VALIDATE, inventory(tmp_path / "ok.json", {"wandb5": provided(
        certs, certs["cert"], certs["key"], front_door_name="a.wild.front-door.test")}))
    assert ok.returncode == 0, ok.output[-3000:]
    deeper = run(VALIDATE, inventory(tmp_path / "deeper.json", {"wandb5": provided(
        certs, certs["cert"], certs["key"], front_door_name="a.b.wild.front-door.test")}))
    assert deeper.returncode != 0 and "does not cover a.b.wild.front-door.test" in deeper.output


def test_the_key_text_is_never_shown_when_it_is_refused(tmp_path, certs):
    key_text = certs["other_key"].read_text()
    result = run(VALIDATE, inventory(tmp_path / "inventory.json", {"wandb5": provided(
        certs, certs["cert"], "", front_door_tls_key=key_text)}), "-vvv")
    assert result.returncode != 0 and "does not belong" in result.output
    pieces = [line for line in key_text.splitlines() if line and not line.startswith("-----")]
    assert [piece for piece in pieces if piece in result.output] == []


@pytest.mark.parametrize("hosts,group_vars,expected", [
    ({"a": {"front_door_name": name("same")}, "b": {"front_door_name": name("SAME")}}, {},
     "front_door_name %s is served twice, by a and b" % name("same")),
    ({"a": {"front_door_name": name("a"), "front_door_https_port": 8443}, "b": {"front_door_name": name("b")}}, {},
     "front_door_https_port differs between the instances on docker host localhost"),
    ({"a": {"front_door_name": name("a"), "wandb_server_port": 18555},
      "b": {"front_door_name": name("b"), "wandb_server_port": 18555}}, {},
     "wandb_server_port 18555 is used by a and b on docker host localhost"),
    ({"a": {"front_door_name": name("a"), "wandb_server_port": 443}}, {},
     "wandb_server_port 443 of a is one of the front door's own ports"),
    ({"a": {"front_door_name": "https://%s" % name("a")}}, {}, "front_door_name must be a host name"),
    ({"a": {"front_door_name": name("a"), "front_door_internal_ca_name_constraints": ["lab.internal"]}}, {},
     "must be under one of front_door_internal_ca_name_constraints"),
    ({"a": {"front_door_name": name("a"), "front_door_tls": "acme", "front_door_acme_eab_key_id": "kid-1"}}, {},
     "front_door_acme_eab_key_id and front_door_acme_eab_hmac_key both set"),
    ({"a": {"front_door_name": name("a"), "front_door_tls": "acme", "front_door_acme_directory": "http://acme"}}, {},
     "front_door_acme_directory must be the https:// URL"),
    ({"a": {"front_door_name": name("a"), "front_door_tls": "provided"}}, {},
     "set front_door_tls_certificate"),
])
def test_validate_refuses_conflicting_or_wrong_settings(tmp_path, hosts, group_vars, expected):
    result = run(VALIDATE, inventory(tmp_path / "inventory.json", hosts, group_vars))
    assert result.returncode != 0
    assert expected in result.output, result.output[-3000:]


def test_instances_on_different_docker_hosts_may_differ(tmp_path):
    hosts = {"a": {"front_door_name": name("a"), "front_door_https_port": 8443, "wandb_server_port": 18556},
             "b": {"front_door_name": name("b"), "front_door_docker_host": "other-machine",
                   "wandb_server_port": 18556}}
    result = run(VALIDATE, inventory(tmp_path / "inventory.json", hosts))
    assert result.returncode == 0, result.output[-3000:]


def follow_play(tmp_path, server=True):
    """A play that does what site.yml does before the integrations (the server's checks, then the integrations'; each
    role takes the shared defaults from roles/_common, nothing is copied between them) and prints what the storage
    and OIDC roles take from HOST. server=False: the integrations' checks alone (their own dependency on _common)."""
    tasks = [{"name": "server checks", "ansible.builtin.include_role": {
        "name": "wandb_local.server.wandb_server", "tasks_from": "preflight", "public": True}}] if server else []
    show = "{'host': wandb_server_host, 'bind': wandb_server_bind_address, " if server else "{"
    return write_play(tmp_path / "follow.yml", hosts="wandb_servers", play_vars=None, tasks=tasks + [
        {"name": "storage checks", "ansible.builtin.include_role": {
            "name": "wandb_local.server.storage", "tasks_from": "preflight", "public": True}},
        {"name": "oidc defaults", "ansible.builtin.include_role": {
            "name": "wandb_local.server.oidc", "tasks_from": "preflight", "public": True}},
        {"name": "show", "ansible.builtin.debug": {
            "msg": "FOLLOW {{ %s'cors': storage_cors_origins, 'oidc': oidc_hosts} | to_json }}" % show}},
    ])


def followed(result):
    line = [line for line in result.output.splitlines() if '"msg": "FOLLOW ' in line][0]
    return json.loads(json.loads("{%s}" % line.strip().rstrip(","))["msg"][len("FOLLOW "):])


STORAGE = {"storage_provider": "aws", "storage_bucket": "wandb-follow", "storage_queue": "wandb-follow",
           "storage_aws_region": "us-east-1", "oidc_issuer": "https://idp.example.com", "oidc_client_id": "client"}


def test_host_cors_and_oidc_urls_follow_the_https_name(tmp_path):
    inv = inventory(tmp_path / "inventory.json", {"a": dict(STORAGE, front_door_name=name("a"),
                                                            front_door_https_port=8443)})
    result = run(follow_play(tmp_path), inv)
    assert result.returncode == 0, result.output[-3000:]
    url = "https://%s:8443" % name("a")
    assert followed(result) == {"host": url, "bind": "127.0.0.1", "cors": [url], "oidc": [url]}
    alone = run(follow_play(tmp_path, server=False), inv)
    assert alone.returncode == 0, alone.output[-3000:]
    assert followed(alone) == {"cors": [url], "oidc": [url]}


def test_the_inventory_wins_over_the_front_door_with_a_warning(tmp_path):
    hosts = {"a": dict(STORAGE, front_door_name=name("a"), wandb_server_host="https://wandb.example.com",
                       wandb_server_bind_address="0.0.0.0")}
    result = run(follow_play(tmp_path), inventory(tmp_path / "inventory.json", hosts))
    assert result.returncode == 0, result.output[-3000:]
    assert followed(result) == {"host": "https://wandb.example.com", "bind": "0.0.0.0",
                                "cors": ["https://wandb.example.com"], "oidc": ["https://wandb.example.com"]}
    warned = run(VALIDATE, inventory(tmp_path / "inventory2.json", hosts))
    assert warned.returncode == 0, warned.output[-3000:]
    assert "wandb_server_host is https://wandb.example.com, but the front door serves" in warned.output
    assert "also reachable without TLS" in warned.output


# ---- On the docker host, through site.yml: refused before any change ------------------------------------------------
@pytest.fixture
def host_checks(tmp_path, standin_image, docker_client):
    """An instance behind a front door whose site.yml must fail in its host checks: nothing may be created."""
    https_port, http_port, backend = free_ports(3)
    host_vars = {"front_door_name": name("wandb6"), "wandb_server_image": standin_image,
                 "wandb_server_image_pull": "never", "wandb_server_port": backend,
                 "wandb_server_data_volume": "wandb-fdcheck-" + uuid.uuid4().hex[:6],
                 "wandb_server_config_dir": str(tmp_path / "etc"),
                 "front_door_https_port": https_port, "front_door_http_port": http_port,
                 "front_door_listen_addresses": [LOCALHOST], "front_door_manage_service": False,
                 "front_door_config_file": str(tmp_path / "caddy" / "Caddyfile"),
                 "front_door_sites_dir": str(tmp_path / "caddy" / "wandb.d"),
                 "front_door_tls_dir": str(tmp_path / "caddy" / "tls"),
                 "front_door_internal_ca_dir": str(tmp_path / "ca"),
                 "front_door_internal_ca_public_file": str(tmp_path / "public" / "ca.crt")}
    state = {"vars": host_vars}
    yield state
    for collection in (docker_client.containers, docker_client.volumes):
        for item in (state.get("container"), host_vars["wandb_server_data_volume"]):
            if item:
                try:
                    collection.get(item).remove(force=True)
                except docker.errors.NotFound:
                    pass


def run_site_expecting_refusal(tmp_path, host_checks, docker_client, expected):
    inv = inventory(tmp_path / "inventory.json", {"wandb6": host_checks["vars"]})
    host_checks["container"] = json.loads(inv.read_text())["all"]["children"]["wandb_servers"]["hosts"]["wandb6"][
        "wandb_server_container_name"]
    result = run(SITE, inv)
    assert result.returncode != 0
    assert expected in result.output, result.output[-3000:]
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(host_checks["container"])
    assert not (tmp_path / "caddy" / "Caddyfile").exists()
    assert not (tmp_path / "ca").exists()
    return result


def listening(port):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOCALHOST, port))
    sock.listen(1)
    return sock


def test_site_refuses_a_backend_port_another_process_holds(tmp_path, host_checks, docker_client):
    with listening(host_checks["vars"]["wandb_server_port"]):
        run_site_expecting_refusal(tmp_path, host_checks, docker_client,
                                   "the backend port %d (wandb_server_port) is in use by python"
                                   % host_checks["vars"]["wandb_server_port"])


def test_site_refuses_a_proxy_port_another_process_holds(tmp_path, host_checks, docker_client):
    with listening(host_checks["vars"]["front_door_https_port"]):
        run_site_expecting_refusal(tmp_path, host_checks, docker_client,
                                   "port %d, which the front door needs" % host_checks["vars"]["front_door_https_port"])


def test_site_refuses_a_name_another_site_file_serves(tmp_path, host_checks, docker_client):
    sites = tmp_path / "caddy" / "wandb.d"
    sites.mkdir(parents=True)
    (sites / "someone-else.caddy").write_text("# wandb-front-door name=%s\nhttps://%s {\n}\n"
                                              % (name("wandb6"), name("wandb6")))
    run_site_expecting_refusal(tmp_path, host_checks, docker_client,
                               "%s is already served on this host by %s" % (name("wandb6"),
                                                                            sites / "someone-else.caddy"))


def test_check_mode_on_a_fresh_host_changes_nothing(tmp_path, host_checks, docker_client):
    inv = inventory(tmp_path / "inventory.json", {"wandb6": host_checks["vars"]})
    host_checks["container"] = json.loads(inv.read_text())["all"]["children"]["wandb_servers"]["hosts"]["wandb6"][
        "wandb_server_container_name"]
    result = run(SITE, inv, "--check")
    assert result.returncode == 0, result.output[-4000:]
    assert "Issue the certificate from the internal CA" in result.output
    assert result.recap()["changed"] > 0
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(host_checks["container"])
    assert not (tmp_path / "caddy").exists() and not (tmp_path / "ca").exists()
