# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test certificates made with openssl (bounded): a CA and a server certificate for 127.0.0.1 signed by it."""
from __future__ import annotations

import subprocess
from pathlib import Path


def make_tls(directory: Path, ca_name: str, san: str = "IP:127.0.0.1", other_ca: bool = False) -> dict:
    """Write ca.pem/ca.key, server.pem/server.key (CN 127.0.0.1, subjectAltName `san`) into directory; with
    other_ca also an unrelated CA (other-ca.pem). Returns the paths: ca, cert, key (and other_ca)."""
    def run(*args):
        subprocess.run(args, cwd=directory, check=True, capture_output=True, timeout=60)

    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=%s" % ca_name)
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    (directory / "san.ext").write_text("subjectAltName=%s\n" % san)
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "san.ext")
    paths = {"ca": directory / "ca.pem", "cert": directory / "server.pem", "key": directory / "server.key"}
    if other_ca:
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out",
            "other-ca.pem", "-days", "2", "-subj", "/CN=some other CA")
        paths["other_ca"] = directory / "other-ca.pem"
    return paths
