"""The HTTPS front door (role front_door, composed by site.yml) with its internal CA, in front of two stand-in W&B
servers on one docker host, each under its own name: Caddy from Debian's package, run by the test, configured and
reloaded by the role; the real wandb SDK logging in through it.

site.yml runs once with -vvv --diff, then again (nothing changes). The inventory sets neither wandb_server_host nor
wandb_server_bind_address: they follow the front door.
"""
from __future__ import annotations

import hashlib
import secrets
import ssl
import stat
import time

import pytest

from front_door_testenv import (ConnectProxy, LegacyTLSServer, Proxy, client_context, handshake, name, random_body,
                                request, sdk_env, wandb_login)
from support.fleet import Fleet
from support.playbooks import REPO
from support.tls import make_tls

SITE = REPO / "playbooks" / "site.yml"
HOSTS = ("wandb1", "wandb2")


def admin_key() -> str:
    return "local-" + secrets.token_hex(20)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory, standin_image, docker_client):
    root = tmp_path_factory.mktemp("front-door")
    proxy = Proxy(root / "proxy")
    key = admin_key()
    fleet = Fleet(root, list(HOSTS), dict(proxy.inventory_vars(), wandb_server_image=standin_image,
                                          wandb_server_image_tag="latest", wandb_server_admin_api_enabled=True,
                                          wandb_server_admin_api_key=key))
    fleet.group_vars.pop("wandb_server_bind_address")  # behind the front door it defaults to 127.0.0.1
    for host in HOSTS:
        fleet.hosts[host].pop("wandb_server_host")  # follows the front door
        fleet.hosts[host]["front_door_name"] = name(host)
    fleet.hosts["wandb1"]["front_door_hsts"] = True
    fleet.write()
    connect = ConnectProxy([name(host) for host in HOSTS])
    try:
        first = fleet.run(SITE, "-vvv", "--diff")
        assert first.returncode == 0, first.output[-6000:]
        second = fleet.run(SITE)
        assert second.returncode == 0, second.output[-4000:]
        yield dict(root=root, proxy=proxy, fleet=fleet, key=key, first=first, second=second, connect=connect)
    finally:
        connect.stop()
        fleet.remove(docker_client)
        proxy.stop()


def url(deployed, host):
    return "https://%s:%d" % (name(host), deployed["proxy"].https_port)


def get(deployed, host, path, ca=True, **kwargs):
    return request(name(host), deployed["proxy"].https_port, path,
                   ca_file=deployed["proxy"].public_ca if ca else None, **kwargs)


def test_second_run_changes_nothing(deployed):
    recap = deployed["second"].recap()
    assert recap["changed"] == 0 and recap["failed"] == 0, deployed["second"].output[-4000:]


def test_the_run_says_where_the_instance_is_and_which_ca_to_trust(deployed):
    output = deployed["first"].output
    assert "is served at %s" % url(deployed, "wandb1") in output
    assert str(deployed["proxy"].public_ca) in output and "SSL_CERT_FILE" in output


def test_server_binds_loopback_and_its_host_is_the_https_name(deployed, docker_client):
    for host in HOSTS:
        container = deployed["fleet"].container(docker_client, host)
        bindings = container.attrs["HostConfig"]["PortBindings"]["8080/tcp"]
        assert [binding["HostIp"] for binding in bindings] == ["127.0.0.1"]
        env = dict(item.split("=", 1) for item in container.attrs["Config"]["Env"])
        assert env["HOST"] == url(deployed, host)


def test_each_name_reaches_its_own_server(deployed):
    for host in HOSTS:
        answer = get(deployed, host, "/__standin__/env")
        assert answer.status == 200
        assert answer.json()["HOST"] == hashlib.sha256(url(deployed, host).encode()).hexdigest()


def test_sdk_logs_in_over_https_trusting_the_internal_ca(deployed, tmp_path):
    ca = deployed["proxy"].public_ca
    env = sdk_env(tmp_path / "home", deployed["connect"], {"SSL_CERT_FILE": ca, "REQUESTS_CA_BUNDLE": ca})
    proc = wandb_login(url(deployed, "wandb2"), deployed["key"], env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Currently logged in as: admin to %s" % url(deployed, "wandb2") in proc.stdout + proc.stderr
    assert "%s:%d" % (name("wandb2"), deployed["proxy"].https_port) in deployed["connect"].seen


def test_sdk_refuses_the_front_door_without_the_ca(deployed, tmp_path):
    env = sdk_env(tmp_path / "home", deployed["connect"], {})
    proc = wandb_login(url(deployed, "wandb1"), deployed["key"], env)
    assert proc.returncode != 0
    assert "certificate signed by unknown authority" in proc.stdout + proc.stderr


def test_requests_ca_bundle_alone_is_not_enough_for_the_sdks_go_core(deployed, tmp_path):
    """wandb 0.31 verifies a login in wandb-core (Go), which reads SSL_CERT_FILE, not REQUESTS_CA_BUNDLE (README)."""
    env = sdk_env(tmp_path / "home", deployed["connect"], {"REQUESTS_CA_BUNDLE": deployed["proxy"].public_ca})
    proc = wandb_login(url(deployed, "wandb1"), deployed["key"], env)
    assert proc.returncode != 0
    assert "certificate signed by unknown authority" in proc.stdout + proc.stderr


def test_http_answers_with_a_redirect_to_https(deployed):
    answer = request(name("wandb1"), deployed["proxy"].http_port, "/some/path?x=1", scheme="http")
    assert answer.status == 308
    assert answer.headers["location"] == url(deployed, "wandb1") + "/some/path?x=1"


def test_tls_1_1_is_refused_and_1_2_accepted(deployed):
    legacy_tls = make_tls(deployed["root"], "legacy", san="DNS:%s" % name("wandb1"))
    tls11 = client_context(minimum=ssl.TLSVersion.TLSv1_1, maximum=ssl.TLSVersion.TLSv1_1)
    legacy = LegacyTLSServer(legacy_tls["cert"], legacy_tls["key"])
    try:  # the control: this client does speak TLS 1.1 ...
        assert handshake(name("wandb1"), legacy.port, tls11) == "TLSv1.1"
    finally:
        legacy.stop()
    with pytest.raises(ssl.SSLError, match="(?i)protocol version|unsupported protocol|alert"):  # ... the proxy not
        handshake(name("wandb1"), deployed["proxy"].https_port, tls11)
    tls12 = client_context(deployed["proxy"].public_ca, maximum=ssl.TLSVersion.TLSv1_2)
    assert handshake(name("wandb1"), deployed["proxy"].https_port, tls12) == "TLSv1.2"


def test_hsts_only_where_it_is_turned_on(deployed):
    assert get(deployed, "wandb1", "/ready").headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in get(deployed, "wandb2", "/ready").headers


def test_forwarded_headers_come_from_the_proxy_not_the_client(deployed):
    marker = "/ready?probe=" + secrets.token_hex(6)
    spoofed = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example"}
    get(deployed, "wandb1", marker, headers=spoofed)
    records = get(deployed, "wandb1", "/__standin__/requests").json()
    seen = [record for record in records if record["path"] == marker]
    assert len(seen) == 1, records[-3:]
    headers = seen[0]["headers"]
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Forwarded-Proto"] == "https"
    assert headers["X-Forwarded-Host"] == "%s:%d" % (name("wandb1"), deployed["proxy"].https_port)


def test_a_250_mb_upload_reaches_the_server_intact_and_unbuffered(deployed):
    size = 250 * 1000 * 1000
    blocks, digest = random_body(size)
    before = deployed["proxy"].peak_rss_kib()
    answer = get(deployed, "wandb2", "/__standin__/upload-sha256", method="POST", body=blocks(),
                 headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"}, timeout=300)
    assert answer.status == 200, answer.body[:500]
    assert answer.json() == {"sha256": digest, "bytes": size}
    # Streamed, not held: the proxy's peak memory grew by far less than the body.
    assert deployed["proxy"].peak_rss_kib() - before < 64 * 1024, (before, deployed["proxy"].peak_rss_kib())


def test_a_websocket_upgrade_passes_through(deployed):
    """The stand-in does not speak WebSocket: the Upgrade request must reach it (and its 404 come back) instead of
    being refused or rewritten by the proxy."""
    marker = "/ws?probe=" + secrets.token_hex(6)
    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    answer = get(deployed, "wandb1", marker, headers=upgrade)
    assert answer.status == 404
    records = get(deployed, "wandb1", "/__standin__/requests").json()
    headers = [record["headers"] for record in records if record["path"] == marker][0]
    assert headers["Upgrade"] == "websocket" and headers["Connection"].lower() == "upgrade"


def test_files_and_modes(deployed):
    proxy = deployed["proxy"]
    key = proxy.tls_dir / name("wandb1") / "key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.owner() == "caddy"
    assert stat.S_IMODE(proxy.ca_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((proxy.ca_dir / "ca.key").stat().st_mode) == 0o600
    assert stat.S_IMODE(proxy.public_ca.stat().st_mode) == 0o644
    assert sorted(path.name for path in proxy.sites_dir.iterdir()) == sorted(
        deployed["fleet"].container_name(host) + ".caddy" for host in HOSTS)


def test_the_diff_shows_the_site_file_but_no_key(deployed):
    output = deployed["first"].output
    assert "reverse_proxy 127.0.0.1:" in output  # --diff of the site file
    key_text = (deployed["proxy"].tls_dir / name("wandb1") / "key.pem").read_text()
    body = "".join(key_text.split("-----")[2].split())
    assert body[:40] not in output.replace("\n", "")
    ca_key = "".join((deployed["proxy"].ca_dir / "ca.key").read_text().split("-----")[2].split())
    assert ca_key[:40] not in output.replace("\n", "")


def test_a_configuration_caddy_refuses_never_lands(deployed):
    fleet, proxy = deployed["fleet"], deployed["proxy"]
    before = proxy.config_file.read_text()
    fleet.group_vars["front_door_imports"] = [str(deployed["root"] / "no-such-file.caddy")]
    fleet.write()
    try:
        result = fleet.run(SITE, "--tags", "front_door")
        assert result.returncode != 0
        assert "failed to validate" in result.output and "no-such-file.caddy" in result.output, result.output[-4000:]
        assert proxy.config_file.read_text() == before
        assert get(deployed, "wandb1", "/ready").status == 200
    finally:
        fleet.group_vars.pop("front_door_imports")
        fleet.write()


def test_a_change_the_proxy_did_not_load_is_loaded_by_the_next_run(deployed):
    fleet, proxy = deployed["fleet"], deployed["proxy"]
    pending = proxy.sites_dir / (".%s.pending" % fleet.container_name("wandb2"))
    fleet.hosts["wandb2"].update(front_door_hsts=True, front_door_hsts_max_age=600, front_door_reload_command=["false"])
    fleet.write()
    failed = fleet.run(SITE, "--tags", "front_door")
    assert failed.returncode != 0 and "The proxy did not load the new configuration (false exited with 1)" in \
        failed.output, failed.output[-4000:]
    assert pending.exists()
    assert "strict-transport-security" not in get(deployed, "wandb2", "/ready").headers
    fleet.hosts["wandb2"].pop("front_door_reload_command")
    fleet.write()
    fixed = fleet.run(SITE, "--tags", "front_door")
    assert fixed.returncode == 0, fixed.output[-4000:]
    assert get(deployed, "wandb2", "/ready").headers["strict-transport-security"] == "max-age=600"
    assert not pending.exists()
    fleet.hosts["wandb2"].update(front_door_hsts=False)
    fleet.hosts["wandb2"].pop("front_door_hsts_max_age")
    fleet.write()
    assert fleet.run(SITE, "--tags", "front_door").returncode == 0


def test_tags_skip_or_select_the_front_door(deployed, docker_client):
    """--skip-tags front_door leaves the proxy as it is (HOST and the bind address still follow it); --tags front_door
    converges it (and the server, unchanged here)."""
    fleet = deployed["fleet"]
    started = fleet.container(docker_client, "wandb2").attrs["State"]["StartedAt"]
    fleet.hosts["wandb2"]["front_door_hsts"] = True
    fleet.write()
    skipped = fleet.run(SITE, "--skip-tags", "front_door")
    assert skipped.returncode == 0, skipped.output[-4000:]
    assert skipped.recap()["changed"] == 0, skipped.output[-4000:]
    assert "strict-transport-security" not in get(deployed, "wandb2", "/ready").headers
    tagged = fleet.run(SITE, "--tags", "front_door")
    assert tagged.returncode == 0, tagged.output[-4000:]
    assert get(deployed, "wandb2", "/ready").headers["strict-transport-security"] == "max-age=31536000"
    assert fleet.container(docker_client, "wandb2").attrs["State"]["StartedAt"] == started
    assert "Run the W&B server" in tagged.output  # the server is converged too (HOST follows the front door)


def test_a_stopped_server_is_a_502_not_a_hang(deployed, docker_client):
    container = deployed["fleet"].container(docker_client, "wandb2")
    container.stop(timeout=5)
    try:
        started = time.monotonic()
        assert get(deployed, "wandb2", "/ready").status == 502
        assert time.monotonic() - started < 15
    finally:
        container.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if get(deployed, "wandb2", "/ready").status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
