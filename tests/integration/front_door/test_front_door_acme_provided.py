"""The front door's other certificate sources, on one proxy: ACME from Debian's pebble (External Account Binding
required, its own TLS from a test CA given as front_door_acme_ca_root) for wandb3, and a provided certificate and key
(the key as PEM text in the inventory, as a vaulted value would be) for wandb4, which is then replaced by another.

Every run uses -vvv --diff: validate.yml, site.yml, site.yml --check after the certificate changed, site.yml, site.yml
again. Neither the EAB HMAC key nor any line of either private key may appear in any output.
"""
from __future__ import annotations

import secrets
import stat

import pytest

from front_door_testenv import ConnectProxy, Pebble, Proxy, name, request, sdk_env, wandb_login
from support.fleet import Fleet
from support.playbooks import REPO
from support.tls import make_tls

PLAYBOOKS = REPO / "playbooks"
HOSTS = ("wandb3", "wandb4")


def key_pieces(key_file) -> list:
    """The base64 lines of a PEM private key: none may be shown anywhere."""
    return [line for line in key_file.read_text().splitlines() if line and not line.startswith("-----")]


def fingerprint(cert_file) -> str:
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import hashes  # pylint: disable=import-outside-toplevel
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    return cert.fingerprint(hashes.SHA256())


@pytest.fixture(scope="module")
def deployed(tmp_path_factory, standin_image, docker_client):
    root = tmp_path_factory.mktemp("front-door-acme")
    pebble = Pebble(root / "pebble")
    proxy = Proxy(root / "proxy")
    key = "local-" + secrets.token_hex(20)
    (root / "tls1").mkdir()
    (root / "tls2").mkdir()
    first_tls = make_tls(root / "tls1", "customer CA one", san="DNS:%s" % name("wandb4"))
    second_tls = make_tls(root / "tls2", "customer CA two", san="DNS:%s" % name("wandb4"))
    fleet = Fleet(root, list(HOSTS), dict(proxy.inventory_vars(), wandb_server_image=standin_image,
                                          wandb_server_image_tag="latest", wandb_server_admin_api_enabled=True,
                                          wandb_server_admin_api_key=key))
    fleet.group_vars.pop("wandb_server_bind_address")
    for host in HOSTS:
        fleet.hosts[host].pop("wandb_server_host")
        fleet.hosts[host]["front_door_name"] = name(host)
    fleet.hosts["wandb3"].update(front_door_tls="acme", front_door_acme_directory=pebble.directory,
                                 front_door_acme_email="ops@example.com", front_door_acme_ca_root=str(pebble.tls_ca),
                                 front_door_acme_eab_key_id=pebble.eab_key_id,
                                 front_door_acme_eab_hmac_key=pebble.eab_hmac_key)
    fleet.hosts["wandb4"].update(front_door_tls_certificate=str(first_tls["cert"]),
                                 front_door_tls_key=first_tls["key"].read_text())
    fleet.write()
    secrets_shown = {pebble.eab_hmac_key: "EAB HMAC key"}
    secrets_shown.update({piece: "first key" for piece in key_pieces(first_tls["key"])})
    secrets_shown.update({piece: "second key" for piece in key_pieces(second_tls["key"])})
    connect = ConnectProxy([name(host) for host in HOSTS])
    runs = []

    def run(label, playbook, *options):
        result = fleet.run(PLAYBOOKS / playbook, "-vvv", "--diff", *options)
        runs.append((label, result))
        assert result.returncode == 0, "%s:\n%s" % (label, result.output[-6000:])
        return result

    try:
        run("validate", "validate.yml")
        run("site", "site.yml")
        fleet.hosts["wandb4"].update(front_door_tls_certificate=second_tls["cert"].read_text(),
                                     front_door_tls_key=second_tls["key"].read_text())
        fleet.write()
        run("site --check", "site.yml", "--check")
        run("site, new certificate", "site.yml")
        run("site again", "site.yml")
        yield dict(root=root, pebble=pebble, proxy=proxy, fleet=fleet, key=key, runs=runs, connect=connect,
                   secrets=secrets_shown, first_tls=first_tls, second_tls=second_tls)
    finally:
        connect.stop()
        fleet.remove(docker_client)
        proxy.stop()
        pebble.stop()


def url(deployed, host):
    return "https://%s:%d" % (name(host), deployed["proxy"].https_port)


def test_no_secret_in_any_output(deployed):
    leaks = {label: sorted({what for piece, what in deployed["secrets"].items() if piece in result.output})
             for label, result in deployed["runs"]}
    assert {label: found for label, found in leaks.items() if found} == {}
    assert [label for label, _result in deployed["runs"]][-1] == "site again"


def test_last_run_changes_nothing(deployed):
    recap = dict(deployed["runs"])["site again"].recap()
    assert recap["changed"] == 0, dict(deployed["runs"])["site again"].output[-4000:]


def test_the_proxy_obtained_a_certificate_from_pebble_and_serves_it(deployed, tmp_path):
    root = tmp_path / "pebble-root.pem"
    root.write_text(deployed["pebble"].root_pem())
    answer = request(name("wandb3"), deployed["proxy"].https_port, "/ready", ca_file=root)
    assert answer.status == 200
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    issuer = x509.load_der_x509_certificate(answer.cert_der).issuer.rfc4514_string()
    assert "Pebble" in issuer, issuer
    # Kept (and renewed) by the proxy in its own storage, not by the role.
    stored = list((deployed["proxy"].root / "home" / "data" / "caddy" / "certificates").rglob(name("wandb3") + ".crt"))
    assert len(stored) == 1, stored


def test_sdk_logs_in_trusting_pebbles_root(deployed, tmp_path):
    root = tmp_path / "pebble-root.pem"
    root.write_text(deployed["pebble"].root_pem())
    env = sdk_env(tmp_path / "home", deployed["connect"], {"SSL_CERT_FILE": root, "REQUESTS_CA_BUNDLE": root})
    proc = wandb_login(url(deployed, "wandb3"), deployed["key"], env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Currently logged in as: admin to %s" % url(deployed, "wandb3") in proc.stdout + proc.stderr


def test_the_provided_certificate_is_served_and_replaced(deployed):
    answer = request(name("wandb4"), deployed["proxy"].https_port, "/ready", ca_file=deployed["second_tls"]["ca"])
    assert answer.status == 200
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import hashes  # pylint: disable=import-outside-toplevel
    served = x509.load_der_x509_certificate(answer.cert_der).fingerprint(hashes.SHA256())
    assert served == fingerprint(deployed["second_tls"]["cert"])


def test_secret_files_are_private_to_the_proxy(deployed):
    tls_dir = deployed["proxy"].tls_dir
    for path in (tls_dir / name("wandb4") / "key.pem", tls_dir / name("wandb3") / "acme-eab.caddy"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert path.owner() == "caddy", path
    assert deployed["pebble"].eab_hmac_key in (tls_dir / name("wandb3") / "acme-eab.caddy").read_text()
    for site in deployed["proxy"].sites_dir.iterdir():
        assert deployed["pebble"].eab_hmac_key not in site.read_text()
    # ACME needs no certificate files of the role's.
    assert not (tls_dir / name("wandb3") / "key.pem").exists()
