"""A real SMTP server (aiosmtpd) and a real LDAP server (Debian's slapd) on 127.0.0.1 for the advanced settings'
pre-flights (smtp_check, ldap_check, and the wandb_server role's settings_checks.yml).

- SMTP: aiosmtpd in this process (its own thread and event loop): one server that requires STARTTLS and takes AUTH
  only after it (certificate of a CA made here), one that speaks TLS from the start (smtps), one plain relay without
  STARTTLS or AUTH. Stopped by the fixture's finalizer.
- LDAP: slapd with a test directory (dc=example,dc=com, a service account cn=wandb,ou=services), loaded offline with
  slapadd, listening on ldap:// and ldaps:// ports of 127.0.0.1 (StartTLS offered on the first), under `timeout` in
  its own process group (tests/support/procs.py). Every wait is bounded.
"""
from __future__ import annotations

import shutil
import ssl
import subprocess

import pytest

from support.procs import BackgroundProcess, free_ports
from support.tls import make_tls

SMTP_USER = "wandb@example.com"
SMTP_PASSWORD = "Smtp-p@ss/w0rd:x"
LDAP_BASE = "dc=example,dc=com"
LDAP_BIND_DN = "cn=wandb,ou=services,dc=example,dc=com"
LDAP_PASSWORD = "Ldap-Bind-Secret-7"
LDAP_ADMIN_PASSWORD = "Ldap-Admin-Secret-9"


@pytest.fixture(scope="session")
def advanced_tls(tmp_path_factory):
    """A test CA, a certificate for 127.0.0.1 and localhost, and an unrelated CA."""
    directory = tmp_path_factory.mktemp("advanced-tls")
    return make_tls(directory, "wandb-local advanced settings test CA", san="IP:127.0.0.1,DNS:localhost",
                    other_ca=True)


@pytest.fixture(scope="session")
def smtp_servers(advanced_tls):
    """{'starttls': port, 'smtps': port, 'relay': port, 'user', 'password', 'logins': [(user, ok)]}."""
    from aiosmtpd.controller import Controller  # pylint: disable=import-outside-toplevel
    from aiosmtpd.smtp import AuthResult, LoginPassword  # pylint: disable=import-outside-toplevel

    logins = []

    def authenticator(_server, _session, _envelope, _mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == SMTP_USER
              and auth_data.password.decode() == SMTP_PASSWORD)
        logins.append((auth_data.login.decode() if isinstance(auth_data, LoginPassword) else None, ok))
        return AuthResult(success=ok, handled=False)

    class Handler:  # accepts nothing: the pre-flight never sends mail
        messages = []

        async def handle_DATA(self, _server, _session, envelope):  # noqa: N802 - aiosmtpd's hook name
            self.messages.append(envelope)
            return "554 no mail expected in these tests"

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(advanced_tls["cert"]), str(advanced_tls["key"]))
    starttls_port, smtps_port, relay_port = free_ports(3)
    handler = Handler()
    controllers = [
        Controller(handler, hostname="127.0.0.1", port=starttls_port, tls_context=context, require_starttls=True,
                   auth_require_tls=True, authenticator=authenticator, ready_timeout=10),
        Controller(handler, hostname="127.0.0.1", port=smtps_port, ssl_context=context, authenticator=authenticator,
                   auth_require_tls=False, ready_timeout=10),
        Controller(handler, hostname="127.0.0.1", port=relay_port, ready_timeout=10),
    ]
    started = []
    try:
        for controller in controllers:
            controller.start()
            started.append(controller)
        yield {"starttls": starttls_port, "smtps": smtps_port, "relay": relay_port, "user": SMTP_USER,
               "password": SMTP_PASSWORD, "logins": logins, "messages": handler.messages}
    finally:
        for controller in started:
            controller.stop()


SLAPD_CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
TLSCACertificateFile {ca}
TLSCertificateFile {cert}
TLSCertificateKeyFile {key}
database mdb
maxsize 16777216
suffix "{base}"
rootdn "cn=admin,{base}"
rootpw {admin_password}
directory {dir}/db
access to attrs=userPassword by anonymous auth by * none
access to * by dn.exact="{bind_dn}" read by * none
"""

SLAPD_DATA = """\
dn: {base}
objectClass: top
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=services,{base}
objectClass: organizationalUnit
ou: services

dn: {bind_dn}
objectClass: person
objectClass: simpleSecurityObject
cn: wandb
sn: wandb
userPassword: {password}

dn: ou=people,{base}
objectClass: organizationalUnit
ou: people

dn: uid=ada,ou=people,{base}
objectClass: inetOrgPerson
uid: ada
cn: Ada
sn: Lovelace
mail: ada@example.com
"""


@pytest.fixture(scope="session")
def slapd(tmp_path_factory, advanced_tls):
    """{'ldap': port (StartTLS offered), 'ldaps': port, 'base', 'bind_dn', 'password'}."""
    if not shutil.which("slapd") and not shutil.which("/usr/sbin/slapd"):
        pytest.fail("slapd is not installed (apt-get install slapd ldap-utils; tests/setup.sh does it)")
    slapd_bin = shutil.which("slapd") or "/usr/sbin/slapd"
    slapadd_bin = shutil.which("slapadd") or "/usr/sbin/slapadd"
    directory = tmp_path_factory.mktemp("slapd")
    (directory / "db").mkdir()
    values = dict(dir=directory, base=LDAP_BASE, bind_dn=LDAP_BIND_DN, password=LDAP_PASSWORD,
                  admin_password=LDAP_ADMIN_PASSWORD, **advanced_tls)
    conf = directory / "slapd.conf"
    conf.write_text(SLAPD_CONF.format(**values))
    data = directory / "data.ldif"
    data.write_text(SLAPD_DATA.format(**values))
    subprocess.run([slapadd_bin, "-f", str(conf), "-l", str(data)], check=True, capture_output=True, timeout=60)
    ldap_port, ldaps_port = free_ports(2)
    urls = "ldap://127.0.0.1:%d/ ldaps://127.0.0.1:%d/" % (ldap_port, ldaps_port)
    # -d 0: stays in the foreground (no fork), logs nothing; `timeout` ends it if the finalizer never runs.
    server = BackgroundProcess([slapd_bin, "-f", conf, "-h", urls, "-d", "0"], directory / "slapd.log", seconds=1800,
                               ready_ports=(ldap_port, ldaps_port)).start()
    try:
        server.wait_ready(20)
        yield {"ldap": ldap_port, "ldaps": ldaps_port, "base": LDAP_BASE, "bind_dn": LDAP_BIND_DN,
               "password": LDAP_PASSWORD, "dir": directory}
    finally:
        server.stop()
