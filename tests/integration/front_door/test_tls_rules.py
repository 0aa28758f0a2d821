"""The certificate rules of the front door (module_utils/_x509.py), its filters, and the tls_internal_ca module: what
a certificate covers, what makes it unusable, a CA created once and kept (also when two instances of one docker host
ask at once), a server certificate issued again only when it has to be."""
from __future__ import annotations

import datetime
import json
import os
import stat
import subprocess
import sys

import pytest

from ansible_collections.wandb_local.server.plugins.filter.front_door_conflicts import front_door_conflicts
from ansible_collections.wandb_local.server.plugins.filter.tls_certificate_report import tls_certificate_report
from ansible_collections.wandb_local.server.plugins.module_utils import _x509
from ansible_collections.wandb_local.server.plugins.modules import tls_internal_ca
from support.playbooks import ansible_env, ansible_tool

NOW = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("pattern,name,expected", [
    ("wandb.example.com", "WANDB.example.com.", True),
    ("*.example.com", "wandb.example.com", True),
    ("*.example.com", "example.com", False),
    ("*.example.com", "a.b.example.com", False),
    ("wandb.example.com", "wandb.example.org", False),
    ("10.0.0.5", "10.0.0.5", True),
])
def test_name_matching_follows_rfc_6125(pattern, name, expected):
    assert _x509.name_matches(pattern, name) is expected


def issued(names, days=365, now=NOW):
    ca_key, ca_cert = _x509.new_ca("test CA", 3650, now=now)
    key, cert = _x509.new_leaf(ca_key, ca_cert, names, days, now=now)
    return ca_key, ca_cert, key, cert


def test_a_fitting_certificate_has_no_problems_and_reports_its_dates():
    _ca_key, ca_cert, key, cert = issued(["wandb.example.com"])
    chain = _x509.cert_pem(cert) + _x509.cert_pem(ca_cert)
    report = _x509.certificate_report(chain, _x509.key_pem(key), "wandb.example.com", 30, now=NOW)
    assert report["problems"] == [] and report["warnings"] == []
    assert report["names"] == ["wandb.example.com"] and report["chain_length"] == 2
    assert report["days_left"] == 365 and report["not_after"] == "2031-01-01T00:00:00Z"


def test_problems_are_named_and_the_key_is_never_quoted():
    _ca_key, ca_cert, key, cert = issued(["wandb.example.com"])
    other_key = _x509.key_pem(_x509.new_key())
    report = _x509.certificate_report(_x509.cert_pem(cert), other_key, "other.example.com", 30, now=NOW)
    assert report["problems"] == [
        "the key does not belong to the certificate (their public keys differ): give the key the certificate was "
        "issued for",
        "the certificate does not cover other.example.com (its subjectAltName lists: wandb.example.com)"]
    assert not [line for line in other_key.splitlines()[1:-1] if line in json.dumps(report)]
    reversed_chain = _x509.cert_pem(ca_cert) + _x509.cert_pem(cert)
    report = _x509.certificate_report(reversed_chain, _x509.key_pem(key), "", 30, now=NOW)
    assert any(problem.startswith("the chain is out of order") for problem in report["problems"])


def test_expiry_is_a_warning_then_a_problem():
    _ca_key, _ca_cert, key, cert = issued(["wandb.example.com"], days=20)
    soon = _x509.certificate_report(_x509.cert_pem(cert), _x509.key_pem(key), "wandb.example.com", 30, now=NOW)
    assert soon["problems"] == [] and "expires in 20 days (2030-01-21T00:00:00Z)" in soon["warnings"][0]
    later = NOW + datetime.timedelta(days=21)
    expired = _x509.certificate_report(_x509.cert_pem(cert), _x509.key_pem(key), "wandb.example.com", 30, now=later)
    assert any("expired on" in problem for problem in expired["problems"])


def test_unreadable_material_is_a_problem_not_an_exception():
    report = tls_certificate_report("not a certificate", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
                                    "wandb.example.com")
    assert any(problem.startswith("certificate: no PEM certificate") for problem in report["problems"])
    assert any(problem.startswith("key: the private key cannot be read") for problem in report["problems"])
    _ca_key, _ca_cert, key, cert = issued(["wandb.example.com"])
    pasted = tls_certificate_report(_x509.cert_pem(cert) + _x509.key_pem(key))
    assert "holds a private key" in pasted["problems"][0]


def test_name_constraints_limit_what_the_ca_vouches_for():
    ca_key, ca_cert = _x509.new_ca("constrained", 3650, ["lab.internal"], now=NOW)
    constraints = ca_cert.extensions.get_extension_for_class(_x509.x509.NameConstraints)
    assert constraints.critical and [str(n.value) for n in constraints.value.permitted_subtrees] == ["lab.internal"]
    _key, cert = _x509.new_leaf(ca_key, ca_cert, ["wandb.lab.internal"], 365, now=NOW)
    assert _x509.signed_by(cert, ca_cert)


def test_conflicts_between_instances():
    def instance(host, name, docker_host="localhost", backend=8080, https=443):
        return {"host": host, "name": name, "docker_host": docker_host, "backend_port": backend, "https_port": https,
                "http_port": 80, "admin_address": "localhost:2019", "config_file": "/etc/caddy/Caddyfile",
                "sites_dir": "/etc/caddy/wandb.d", "http3": False}
    assert front_door_conflicts([instance("a", "a.x"), instance("b", "b.x", backend=8081)]) == []
    problems = front_door_conflicts([instance("a", "w.x"), instance("b", "W.x", docker_host="other")])
    assert problems == ["front_door_name w.x is served twice, by a and b: each instance needs its own name"]
    same_port = [instance("a", "a.x"), instance("b", "b.x"), instance("c", "c.x", docker_host="other")]
    assert front_door_conflicts(same_port, "c") == []
    assert "wandb_server_port 8080 is used by a and b" in front_door_conflicts(same_port, "a")[0]


# ---- tls_internal_ca ---------------------------------------------------------------------------------------------
def args(tmp_path, names=("wandb.example.com",), **extra):
    return dict({"ca_dir": str(tmp_path / "ca"), "public_ca_file": str(tmp_path / "public" / "ca.crt"),
                 "names": list(names), "cert_file": str(tmp_path / "cert.pem"), "key_file": str(tmp_path / "key.pem")},
                **extra)


def test_the_ca_is_created_once_and_the_certificate_issued_only_when_needed(run_module, tmp_path):
    first = run_module(tls_internal_ca, args(tmp_path))
    assert first.changed and first["ca_created"] and first["issued"] and first["reason"] == "no certificate yet"
    assert stat.S_IMODE((tmp_path / "ca").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "ca" / "ca.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "key.pem").stat().st_mode) == 0o600
    assert (tmp_path / "public" / "ca.crt").read_text() == (tmp_path / "ca" / "ca.crt").read_text()
    again = run_module(tls_internal_ca, args(tmp_path))
    assert not again.changed and not again["issued"]
    assert again["ca_fingerprint_sha256"] == first["ca_fingerprint_sha256"]
    renamed = run_module(tls_internal_ca, args(tmp_path, names=["wandb2.example.com"]))
    assert renamed["issued"] and "does not cover wandb2.example.com" in renamed["reason"]
    assert not renamed["ca_created"] and renamed["ca_fingerprint_sha256"] == first["ca_fingerprint_sha256"]
    (tmp_path / "key.pem").write_text(_x509.key_pem(_x509.new_key()))
    rekeyed = run_module(tls_internal_ca, args(tmp_path, names=["wandb2.example.com"]))
    assert rekeyed["issued"] and rekeyed["reason"] == "the key does not belong to the certificate"
    due = run_module(tls_internal_ca, args(tmp_path, names=["wandb2.example.com"], renew_days=400))
    assert due["issued"] and due["reason"].startswith("it expires on") and due["reason"].endswith("within 400 days")


def test_check_mode_writes_nothing(run_module, tmp_path):
    result = run_module(tls_internal_ca, args(tmp_path), check_mode=True)
    assert result.changed and result["ca_created"] and result["issued"]
    assert not (tmp_path / "ca").exists() and not (tmp_path / "cert.pem").exists()


def test_a_ca_that_is_not_one_is_refused(run_module, tmp_path):
    (tmp_path / "ca").mkdir(mode=0o700)
    _ca_key, _ca_cert, key, cert = issued(["not-a-ca.example.com"])
    (tmp_path / "ca" / "ca.crt").write_text(_x509.cert_pem(cert))
    (tmp_path / "ca" / "ca.key").write_text(_x509.key_pem(key))
    result = run_module(tls_internal_ca, args(tmp_path))
    assert result.failed and "are not a CA certificate and its key" in result["msg"]


def test_two_instances_asking_at_once_share_one_ca(tmp_path):
    """Two instances of one docker host (local connection) run the module at the same moment: one CA."""
    procs = []
    for index in range(2):
        module_args = json.dumps(args(tmp_path, names=["wandb%d.example.com" % index],
                                      cert_file=str(tmp_path / ("cert%d.pem" % index)),
                                      key_file=str(tmp_path / ("key%d.pem" % index))))
        procs.append(subprocess.Popen(  # pylint: disable=consider-using-with
            [ansible_tool("ansible"), "localhost", "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable,
             "-m", "wandb_local.server.tls_internal_ca", "-a", module_args], env=ansible_env(),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), outputs
    assert sum('"ca_created": true' in output for output in outputs) == 1, outputs
    ca_cert = _x509.load_certificates((tmp_path / "ca" / "ca.crt").read_text())[0]
    for index in range(2):
        cert = _x509.load_certificates((tmp_path / ("cert%d.pem" % index)).read_text())[0]
        assert _x509.signed_by(cert, ca_cert)
    assert not [name for name in os.listdir(tmp_path / "ca") if name.startswith(".ca.")]
