# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SMTP pre-flight of the W&B server's email sink (private; the smtp_check module).

``GORILLA_EMAIL_SINK`` is ``smtp://[user:password@]host:port`` (W&B's documentation, "Configure SMTP"; the Helm chart
writes it from its ``smtpServer`` values). :func:`check` proves what the server will need of it, with Python's
``smtplib``: the connection, ``EHLO``, ``STARTTLS`` (or TLS from the start for ``smtps://`` and port 465) with the
system CAs plus the custom CAs the server trusts, and ``AUTH`` with the user and password. It never sends mail
(no ``MAIL``, ``RCPT`` or ``DATA``). Every error is a :class:`SmtpCheckError` whose message names the inventory
variable to fix and never contains the password.
"""
from __future__ import annotations

import ipaddress
import smtplib
import socket
import ssl
from urllib.parse import unquote, urlsplit

from ansible_collections.wandb_local.server.plugins.module_utils._custom_ca import (
    CA_VARIABLE,
    CAError,
    describe_tls_failure,
    ssl_context,
)

SECURITY_MODES = ("auto", "starttls", "tls", "none")
IMPLICIT_TLS_PORT = 465


class SmtpCheckError(Exception):
    """A check that failed; the message says what to fix (never the password)."""


def parse_sink(url, variable="url"):
    """{scheme, host, port, user, password} of ``smtp[s]://[user:password@]host[:port]`` (user and password
    percent-decoded, as Go's net/url does); raises SmtpCheckError naming ``variable``."""
    try:
        parts = urlsplit(str(url).strip())
        port = parts.port
    except ValueError:
        raise SmtpCheckError("%s is not a valid SMTP URL: the port must be a number between 1 and 65535, and special "
                             "characters in the user name or password percent-encoded (%%40 for @, %%2F for /, %%3A "
                             "for :)" % variable)
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SmtpCheckError("%s must be smtp://[USER:PASSWORD@]HOST:PORT (or smtps:// for TLS from the start)"
                             % variable)
    return dict(scheme=scheme, host=parts.hostname, port=port or (IMPLICIT_TLS_PORT if scheme == "smtps" else 25),
                user=unquote(parts.username) if parts.username else None,
                password=unquote(parts.password) if parts.password is not None else None)


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _reply(exc):
    """The server's reply in an smtplib exception, as text ("535 5.7.8 Authentication failed")."""
    code = getattr(exc, "smtp_code", None)
    text = getattr(exc, "smtp_error", b"")
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return ("%s %s" % (code, text)).strip() if code else str(exc)


def check(host, port, user=None, password=None, security="auto", implicit_tls=False, ca_certificates=None,
          validate_certs=True, timeout=10.0, variable="url", local_hostname=None):
    """Connect, EHLO, STARTTLS or TLS, AUTH; quit. Returns what was found: {tls, authenticated, auth_mechanisms,
    starttls_offered}. Raises SmtpCheckError naming ``variable`` (or the CA variable for an unknown CA)."""
    if security not in SECURITY_MODES:
        raise SmtpCheckError("security must be one of %s, got %r" % (", ".join(SECURITY_MODES), security))
    where = "the SMTP server at %s:%s" % (host, port)
    implicit = security == "tls" or (security == "auto" and (implicit_tls or port == IMPLICIT_TLS_PORT))
    try:
        context = ssl_context(None, ca_certificates, validate_certs) if security != "none" else None
    except CAError as exc:
        raise SmtpCheckError(str(exc))
    if context is None and security != "none":
        context = ssl.create_default_context()
        if not validate_certs:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    result = dict(tls="none", authenticated=False, auth_mechanisms=[], starttls_offered=False)
    client = None
    try:
        try:
            if implicit:
                client = smtplib.SMTP_SSL(host=host, port=port, timeout=timeout, context=context,
                                          local_hostname=local_hostname)
                result["tls"] = "tls"
            else:
                client = smtplib.SMTP(host=host, port=port, timeout=timeout, local_hostname=local_hostname)
        except (ssl.SSLError, ssl.CertificateError) as exc:
            raise SmtpCheckError(_tls_message(exc, where, variable, implicit=True))
        except smtplib.SMTPConnectError as exc:
            raise SmtpCheckError("%s refused the session (%s): check the host and port in %s"
                                 % (where, _reply(exc), variable))
        except smtplib.SMTPServerDisconnected as exc:
            raise SmtpCheckError("%s closed the connection before its greeting (%s)%s: check the host and port in %s"
                                 % (where, exc, "" if implicit else "; a server on port 465 speaks TLS from the start "
                                    "(smtps://)", variable))
        except (socket.timeout, OSError) as exc:
            raise SmtpCheckError("could not connect to %s (%s): check the host and port in %s and that the Docker "
                                 "host can reach it (firewall, proxy)" % (where, exc, variable))
        code, message = client.ehlo()
        if code != 250:
            raise SmtpCheckError("%s did not accept EHLO (%s %s): it must be an ESMTP server; check the host and "
                                 "port in %s" % (where, code, message.decode("utf-8", "replace"), variable))
        result["starttls_offered"] = client.has_extn("starttls")
        if not implicit and security != "none":
            if result["starttls_offered"]:
                try:
                    code, message = client.starttls(context=context)
                except (ssl.SSLError, ssl.CertificateError) as exc:
                    raise SmtpCheckError(_tls_message(exc, where, variable))
                if code != 220:
                    raise SmtpCheckError("%s refused STARTTLS (%s %s)"
                                         % (where, code, message.decode("utf-8", "replace")))
                client.ehlo()
                result["tls"] = "starttls"
            elif security == "starttls":
                raise SmtpCheckError("%s does not offer STARTTLS; use smtps:// with its TLS port (465) in %s, or allow "
                                     "a connection without TLS" % (where, variable))
            elif user and not _is_loopback(host):
                raise SmtpCheckError("%s offers no STARTTLS, so the password in %s would travel in clear text (Go's "
                                     "SMTP client, which the W&B server is written with, refuses to send it so): "
                                     "turn on STARTTLS on the mail server, use smtps:// with its TLS port (465), or "
                                     "an SMTP relay without authentication" % (where, variable))
        if client.has_extn("auth"):
            result["auth_mechanisms"] = sorted(client.esmtp_features.get("auth", "").upper().split())
        if user:
            if not client.has_extn("auth"):
                raise SmtpCheckError("%s offers no AUTH%s, but %s has a user name and password: remove them for a "
                                     "relay without authentication, or check the host and port"
                                     % (where, "" if result["tls"] != "none" else " before TLS", variable))
            try:
                client.login(user, password or "")
            except smtplib.SMTPAuthenticationError as exc:
                raise SmtpCheckError("%s refused the user name or password in %s (%s): fix the credentials (special "
                                     "characters percent-encoded in the URL)" % (where, variable, _reply(exc)))
            except smtplib.SMTPException as exc:
                raise SmtpCheckError("%s: AUTH failed (%s); the server offers %s: check the user and password in %s"
                                     % (where, _reply(exc), " ".join(result["auth_mechanisms"]) or "no mechanism",
                                        variable))
            result["authenticated"] = True
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            pass
        client = None
    except smtplib.SMTPServerDisconnected as exc:
        raise SmtpCheckError("%s closed the connection (%s): check the host and port in %s" % (where, exc, variable))
    except (socket.timeout, TimeoutError) as exc:
        raise SmtpCheckError("%s did not answer within %s s (%s): check the host and port in %s"
                             % (where, timeout, exc, variable))
    except smtplib.SMTPResponseException as exc:
        raise SmtpCheckError("%s answered %s: check %s" % (where, _reply(exc), variable))
    finally:
        if client is not None:
            try:
                client.close()
            except OSError:
                pass
    return result


def _tls_message(exc, where, variable, implicit=False):
    described = describe_tls_failure(exc, where)
    if described:
        return described
    hint = ("a server that speaks TLS from the start needs smtps:// (port 465); a plain one smtp:// (587 or 25)"
            if implicit else "check the mail server's TLS set-up")
    return "TLS with %s failed (%s): %s, in %s (custom CAs: %s)" % (where, exc, hint, variable, CA_VARIABLE)
