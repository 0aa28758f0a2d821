# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Provider-neutral helpers for the external file storage modules (AWS, GCP, Azure).

Private to this collection. Nothing here talks to a cloud: it validates names, normalises the
CORS rules the W&B server needs, and builds honest before/after diffs, so each provider module
only maps these shapes onto its own API.
"""
from __future__ import annotations

import copy
import ipaddress
import json
import re

try:  # Python 3
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover
    from urlparse import urlsplit  # type: ignore

# The methods and headers the W&B server's browser uploads need (product documentation's CORS rule).
DEFAULT_CORS_METHODS = ("GET", "PUT")
DEFAULT_CORS_HEADERS = ("*",)
_NO_ORIGIN = "at least one CORS origin is needed (the server's HOST, e.g. https://wandb.example.com)"

_S3_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_GCS_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
_AZURE_CONTAINER = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")
_AZURE_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
_AZURE_RESOURCE_GROUP = re.compile(r"^[-\w._()]{1,90}$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_EVENT_SUBSCRIPTION = re.compile(r"^[A-Za-z0-9-]{3,64}$")
_SQS_QUEUE = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_AWS_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
_AWS_KMS_KEY = re.compile(r"^(alias/[A-Za-z0-9/_-]+|(mrk-)?[0-9a-f-]{32,36}"
                          r"|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/\S+)$")
# Project IDs: 6-30 chars, lowercase letters, digits, hyphens, start with a letter, not end with a hyphen.
# Domain-scoped legacy IDs ("example.com:proj") are accepted too.
_GCP_PROJECT = re.compile(r"^(?:[a-z][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$")
# Pub/Sub topic/subscription IDs: start with a letter, 3-255 chars of letters, digits, - _ . ~ + %, not "goog*".
_PUBSUB_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.~+%-]{2,254}$")
_GCP_KMS_KEY = re.compile(r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$")
_SERVICE_ACCOUNT = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _looks_like_ip(name):
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def s3_bucket_name_problems(name):
    """Return a list of the S3 general purpose bucket naming rules `name` breaks (empty list: valid)."""
    problems = []
    if not isinstance(name, str) or not name:
        return ["the bucket name is empty"]
    if not 3 <= len(name) <= 63:
        problems.append("it must be 3 to 63 characters long (it has %d)" % len(name))
    if not _S3_NAME.match(name):
        problems.append("it may contain only lowercase letters, digits, dots and hyphens, and must begin and end "
                        "with a letter or digit")
    if ".." in name:
        problems.append("it must not contain two adjacent dots")
    if ".-" in name or "-." in name:
        problems.append("a dot must not be next to a hyphen")
    if _looks_like_ip(name):
        problems.append("it must not be formatted as an IP address")
    for prefix in ("xn--", "sthree-", "amzn-s3-demo-"):
        if name.startswith(prefix):
            problems.append("it must not start with '%s'" % prefix)
    for suffix in ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"):
        if name.endswith(suffix):
            problems.append("it must not end with '%s'" % suffix)
    return problems


def gcs_bucket_name_problems(name):
    """Return the Cloud Storage bucket naming rules `name` breaks (empty list: valid)."""
    problems = []
    if not isinstance(name, str) or not name:
        return ["the bucket name is empty"]
    if not _GCS_NAME.match(name):
        problems.append("it may contain only lowercase letters, digits, dashes, underscores and dots, and must "
                        "begin and end with a letter or digit")
    limit = 222 if "." in name else 63
    if not 3 <= len(name) <= limit:
        problems.append("it must be 3 to %d characters long (it has %d)" % (limit, len(name)))
    if any(len(part) > 63 for part in name.split(".")):
        problems.append("each dot-separated part must be at most 63 characters")
    if _looks_like_ip(name):
        problems.append("it must not be formatted as an IP address")
    if name.startswith("goog") or "google" in name or "g00gle" in name:
        problems.append("it must not start with 'goog' nor contain 'google'")
    return problems


def azure_container_name_problems(name):
    """Return the Azure blob container naming rules `name` breaks (empty list: valid)."""
    if not isinstance(name, str) or not name:
        return ["the container name is empty"]
    if not _AZURE_CONTAINER.match(name):
        return ["it must be 3 to 63 lowercase letters, digits and single hyphens, beginning and ending with a "
                "letter or digit"]
    return []


def azure_queue_name_problems(name):
    """Return the Azure storage queue naming rules `name` breaks (Azure documents the container rules)."""
    if not isinstance(name, str) or not name:
        return ["the queue name is empty"]
    return azure_container_name_problems(name)


def azure_account_name_problems(name):
    """Return the Azure storage account naming rules `name` breaks (empty list: valid)."""
    if not isinstance(name, str) or not name:
        return ["the storage account name is empty"]
    if not _AZURE_ACCOUNT.match(name):
        return ["it must be 3-24 lowercase letters and digits"]
    return []


def azure_subscription_id_problems(value):
    """Return what is wrong with an Azure subscription id (a GUID)."""
    if not isinstance(value, str) or not _GUID.match(value):
        return ["it must be a GUID such as 00000000-0000-0000-0000-000000000000"]
    return []


def azure_resource_group_problems(name):
    """Return the Azure resource group naming rules `name` breaks."""
    if not isinstance(name, str) or not _AZURE_RESOURCE_GROUP.match(name) or name.endswith("."):
        return ["it must be 1-90 letters, digits, '_', '-', '.', '(' or ')', not ending with '.'"]
    return []


def azure_event_subscription_name_problems(name):
    """Return the Event Grid subscription naming rules `name` breaks."""
    if not isinstance(name, str) or not _EVENT_SUBSCRIPTION.match(name):
        return ["it must be 3-64 letters, digits or hyphens"]
    return []


def sqs_queue_name_problems(name):
    """Return the SQS standard queue naming rules `name` breaks (empty list: valid)."""
    if not isinstance(name, str) or not name:
        return ["the SQS queue name is empty"]
    if not _SQS_QUEUE.match(name):
        return ["it must be 1-80 letters, digits, '-' or '_' (a standard SQS queue name)"]
    return []


def aws_region_problems(region):
    """Return what is wrong with an AWS region name such as eu-west-1."""
    if not isinstance(region, str) or not _AWS_REGION.match(region):
        return ["it must be an AWS region such as eu-west-1"]
    return []


def aws_kms_key_problems(key):
    """Return what is wrong with a KMS key reference (empty: the AWS managed key, valid)."""
    if key in (None, ""):
        return []
    if not isinstance(key, str) or not _AWS_KMS_KEY.match(key):
        return ["it must be empty or a KMS key id, key ARN, alias/NAME or alias ARN"]
    return []


def gcp_project_problems(project):
    """Return what is wrong with a Google Cloud project ID."""
    if not isinstance(project, str) or not project:
        return ["the Google Cloud project ID is empty"]
    if not _GCP_PROJECT.match(project):
        return ["it must be 6-30 lowercase letters, digits and hyphens, starting with a letter and not ending "
                "with a hyphen (a Google Cloud project ID)"]
    return []


def pubsub_id_problems(value):
    """Return the Pub/Sub topic/subscription ID rules `value` breaks."""
    if not isinstance(value, str) or not value:
        return ["the Pub/Sub ID is empty"]
    problems = []
    if not _PUBSUB_ID.match(value):
        problems.append("it must be 3-255 characters: a letter, then letters, digits, '-', '_', '.', '~', '+', '%'")
    if value.lower().startswith("goog"):
        problems.append("it must not start with 'goog'")
    return problems


def gcp_kms_key_problems(key):
    """Return what is wrong with a Cloud KMS key name (CMEK; empty: Google-managed encryption, valid)."""
    if key in (None, ""):
        return []
    if not isinstance(key, str) or not _GCP_KMS_KEY.match(key):
        return ["it must be empty or a Cloud KMS key projects/P/locations/L/keyRings/R/cryptoKeys/K"]
    return []


def service_account_email_problems(email):
    """Return what is wrong with a Google service account e-mail."""
    if not isinstance(email, str) or not _SERVICE_ACCOUNT.match(email):
        return ["it must be a service-account e-mail such as NAME@PROJECT.iam.gserviceaccount.com"]
    return []


# Every naming rule by kind: the storage_name_problems filter (role preflights) and the modules use these.
NAME_RULES = {
    "s3": s3_bucket_name_problems,
    "gcs": gcs_bucket_name_problems,
    "azure_container": azure_container_name_problems,
    "azure_queue": azure_queue_name_problems,
    "azure_account": azure_account_name_problems,
    "azure_subscription_id": azure_subscription_id_problems,
    "azure_resource_group": azure_resource_group_problems,
    "azure_event_subscription": azure_event_subscription_name_problems,
    "sqs_queue": sqs_queue_name_problems,
    "aws_region": aws_region_problems,
    "aws_kms_key": aws_kms_key_problems,
    "gcp_project": gcp_project_problems,
    "pubsub_id": pubsub_id_problems,
    "gcp_kms_key": gcp_kms_key_problems,
    "gcp_service_account": service_account_email_problems,
}


def _named(label, problems):
    """The problems of one part of a URL, each naming the part (`label`): "<label> is empty" or "<label>: <rule>"."""
    return ["%s is empty" % label if problem.endswith(" is empty") else "%s: %s" % (label, problem)
            for problem in problems]


def _split_authority(rest):
    """(authority, path) of the part of a URL after `scheme://`; the path without leading slash."""
    authority, _sep, path = rest.partition("/")
    return authority, path


def bucket_url_problems(url):
    """What is wrong with a server BUCKET (s3://, gs:// or az:// URL), as sentences that never repeat the value
    (an S3-compatible BUCKET carries credentials: s3://KEY:SECRET@host:port/bucket).

    s3://BUCKET[/prefix], s3:///BUCKET, or s3://[KEY:SECRET@]HOST[:PORT]/BUCKET[?options] (S3-compatible store; the
    bucket is the first part of the path), gs://BUCKET[/prefix], az://ACCOUNT/CONTAINER.
    """
    if not isinstance(url, str) or "://" not in url:
        return ["it must start with s3://, gs:// or az://"]
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    if scheme == "s3":
        if "@" in rest:
            credentials, _at, rest = rest.rpartition("@")
            if ":" not in credentials or credentials.startswith(":") or credentials.endswith(":"):
                return ["the credentials of an S3-compatible bucket must be KEY:SECRET "
                        "(s3://KEY:SECRET@host:port/bucket)"]
            endpoint, path = _split_authority(rest)
            if not endpoint:
                return ["an S3-compatible bucket needs the store's host (s3://KEY:SECRET@host:port/bucket)"]
        else:
            endpoint, path = _split_authority(rest)
            if endpoint and ":" not in endpoint:  # s3://BUCKET[/prefix]; HOST:PORT is an S3-compatible store
                endpoint, path = "", rest
            # s3:///BUCKET: no endpoint (the default one), the bucket is the path
        name = path.split("?", 1)[0].split("/", 1)[0]
        if endpoint:
            return _named("the S3 bucket name (the path after the store's host:port, s3://KEY:SECRET@HOST:PORT/BUCKET)",
                          s3_bucket_name_problems(name))
        return _named("the S3 bucket name (s3://BUCKET)", s3_bucket_name_problems(name))
    if scheme == "gs":
        return _named("the Cloud Storage bucket name (gs://BUCKET)", gcs_bucket_name_problems(rest.split("/", 1)[0]))
    if scheme == "az":
        account, container = _split_authority(rest)
        return (_named("the storage account name (az://ACCOUNT/CONTAINER)", azure_account_name_problems(account))
                + _named("the blob container name (az://ACCOUNT/CONTAINER)",
                         azure_container_name_problems(container.rstrip("/"))))
    return ["it must start with s3://, gs:// or az://"]


def queue_url_problems(url):
    """What is wrong with a server BUCKET_QUEUE: sqs://NAME or sqs://HOST[:PORT]/ACCOUNT/NAME (a queue URL without
    https), pubsub:/PROJECT/TOPIC/SUBSCRIPTION, az://ACCOUNT/QUEUE or internal://; sentences without the value."""
    if not isinstance(url, str):
        return ["it must be an sqs://, pubsub:/ or az:// queue"]
    if url.startswith("internal://"):
        return []
    if url.startswith("sqs://"):
        rest = url[len("sqs://"):]
        if "/" in rest:
            host, _sep, path = rest.partition("/")
            if not host:
                return ["an SQS queue URL needs the queue's host (sqs://sqs.REGION.amazonaws.com/ACCOUNT/NAME)"]
            name = path.rstrip("/").rsplit("/", 1)[-1]
        else:
            name = rest
        return _named("the SQS queue name (sqs://NAME)", sqs_queue_name_problems(name))
    if url.startswith("pubsub:/"):
        parts = url[len("pubsub:/"):].strip("/").split("/")
        if len(parts) != 3 or not all(parts):
            return ["a Pub/Sub queue must be pubsub:/PROJECT/TOPIC/SUBSCRIPTION (three non-empty parts)"]
        return (_named("the Google Cloud project (pubsub:/PROJECT/TOPIC/SUBSCRIPTION)", gcp_project_problems(parts[0]))
                + _named("the Pub/Sub topic (pubsub:/PROJECT/TOPIC/SUBSCRIPTION)", pubsub_id_problems(parts[1]))
                + _named("the Pub/Sub subscription (pubsub:/PROJECT/TOPIC/SUBSCRIPTION)", pubsub_id_problems(parts[2])))
    if url.startswith("az://"):
        account, queue = _split_authority(url[len("az://"):])
        return (_named("the storage account name (az://ACCOUNT/QUEUE)", azure_account_name_problems(account))
                + _named("the storage queue name (az://ACCOUNT/QUEUE)", azure_queue_name_problems(queue.rstrip("/"))))
    return ["it must be an sqs://, pubsub:/ or az:// queue"]


def bucket_name_error(kind, name, problems, option="bucket"):
    """One readable error message for an invalid bucket/container name, naming the module's `option`."""
    return "Invalid %s name '%s' (option %s): %s. Choose another name." % (kind, name, option, "; ".join(problems))


# Default port of each scheme whose origin browsers serialise as scheme://host[:port] (the WHATWG URL "special
# schemes"). A port equal to its scheme's default is never part of a serialised origin (RFC 6454 §6.2), so a browser
# on https://wandb.example.com:443 sends `Origin: https://wandb.example.com`.
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
# Characters no browser accepts in a host name (WHATWG "forbidden domain code points", ASCII part).
_FORBIDDEN_HOST_CHARS = frozenset(" \t\r\n\"#%/:<>?@[\\]^|") | frozenset(chr(c) for c in range(0x20)) | {"\x7f"}


def _ipv4_number(part):
    """WHATWG IPv4 number parser: decimal, 0x hexadecimal or 0-prefixed octal; None when not a number."""
    base, digits = 10, part
    if part[:2] in ("0x", "0X"):
        base, digits = 16, part[2:]
    elif len(part) > 1 and part.startswith("0"):
        base, digits = 8, part[1:]
    if digits == "":
        return 0
    try:
        return int(digits, base) if re.match(r"^[0-9a-fA-F]+$", digits) else None
    except ValueError:
        return None


def _canonical_host(host, origin):
    """The host as a browser serialises it: lower case, IPv6 compressed in brackets, IPv4 dotted decimal."""
    if host.startswith("["):
        literal = host[1:-1]
        try:
            if "%" in literal:
                raise ValueError(literal)
            return "[%s]" % ipaddress.IPv6Address(literal).compressed
        except ValueError:
            raise ValueError("origin '%s' has an invalid IPv6 address %s" % (origin, host))
    if any(ord(c) > 127 for c in host):
        raise ValueError("origin '%s' has a non-ASCII host name: browsers send it in its ASCII (punycode) form, "
                         "write it that way, e.g. https://xn--bcher-kva.example for https://bücher.example" % origin)
    bad = sorted(set(host) & _FORBIDDEN_HOST_CHARS)
    if not host or bad:
        raise ValueError("origin '%s' has an invalid host %r" % (origin, host))
    host = host.lower()
    # A host whose last label is a number is an IPv4 address to a browser (127.1, 0x7f.0.0.1, 010.0.0.1 ...).
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if _ipv4_number(parts[-1]) is None:
        return host
    numbers = [_ipv4_number(p) if p else None for p in parts]
    if len(parts) > 4 or None in numbers or any(n > 255 for n in numbers[:-1]) \
            or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise ValueError("origin '%s' has an invalid IPv4 address %s" % (origin, host))
    value = numbers[-1] + sum(n * 256 ** (3 - i) for i, n in enumerate(numbers[:-1]))
    return str(ipaddress.IPv4Address(value))


def normalize_origin(origin):
    """The CORS origin exactly as a browser sends it in the `Origin` header (RFC 6454 §6.2, WHATWG URL origin).

    `scheme://host[:port]`: scheme and host lower-cased; the scheme's default port dropped (`https://x:443` and
    `http://x:80` become `https://x` and `http://x`; other ports kept, as a plain decimal number); path, query,
    fragment and trailing slash dropped (a URL's origin has none, so `https://wandb.example.com/` and
    `https://WANDB.example.com:443` are one rule); IPv6 literals compressed in brackets, IPv4 addresses dotted
    decimal (`http://127.1` is `http://127.0.0.1`, as browsers parse it). `*` is kept as is.

    Internationalised host names are not converted: a browser sends them in ASCII (punycode, `xn--...`, UTS #46),
    which the Python standard library cannot compute exactly (its `idna` codec is IDNA 2003), so a non-ASCII host
    is refused with a message asking for its punycode form rather than stored as a rule no browser would match.

    Every CORS rule the storage modules write (AWS, GCS, Azure) and every desired origin they compare with what is
    stored goes through here. Raises ValueError when no scheme/host can be found, for `user:password@`, a port
    outside 0-65535 or a host no browser accepts.
    """
    if not isinstance(origin, str):
        raise ValueError("origin %r is not a string" % (origin,))
    origin = origin.strip()
    if origin == "*":
        return origin
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError as exc:
        raise ValueError("origin '%s' is not a URL (%s); use scheme://host[:port] like https://wandb.example.com"
                         % (origin, exc))
    if not parts.scheme or not parts.netloc:
        raise ValueError("origin '%s' must look like https://wandb.example.com (scheme and host)" % origin)
    netloc = parts.netloc
    if "@" in netloc:
        raise ValueError("origin '%s' must not contain user:password@ (browsers never send it in Origin)" % origin)
    host = netloc
    if not netloc.endswith("]") and ":" in netloc:
        host = netloc.rsplit(":", 1)[0]
    scheme = parts.scheme.lower()
    host = _canonical_host(host, origin)
    if port is None or _DEFAULT_PORTS.get(scheme) == port:
        return "%s://%s" % (scheme, host)
    return "%s://%s:%d" % (scheme, host, port)


def cors_origins_error(origins, option, required=False):
    """None when every origin of `origins` is a valid CORS origin, else one message naming the module's `option`.

    With `required`, an empty list is an error too (the module needs at least one origin).
    """
    try:
        for origin in origins or []:
            normalize_origin(origin)
        if required and not origins:
            raise ValueError(_NO_ORIGIN)
    except ValueError as exc:
        return "Invalid CORS origins (option %s): %s." % (option, exc)
    return None


def cors_rule(origins, methods=DEFAULT_CORS_METHODS, headers=DEFAULT_CORS_HEADERS, max_age_seconds=None):
    """Provider-neutral CORS rule from a list of origins.

    Returns `{"origins": [...], "methods": [...], "headers": [...], "max_age_seconds": int|None}` with
    origins normalised, de-duplicated and sorted, methods upper-cased and sorted. Each provider maps it
    (S3 `AllowedOrigins`..., GCS `origin`/`method`/`responseHeader`, Azure `allowed_origins`...).
    """
    if isinstance(origins, str):
        origins = [origins]
    normalized = sorted(set(normalize_origin(o) for o in (origins or [])))
    if not normalized:
        raise ValueError(_NO_ORIGIN)
    return {
        "origins": normalized,
        "methods": sorted(set(m.strip().upper() for m in methods)),
        "headers": sorted(set(h.strip() for h in headers)),
        "max_age_seconds": int(max_age_seconds) if max_age_seconds is not None else None,
    }


def canonical(value):
    """Deep copy with dict keys sorted and lists of scalars sorted, for order-insensitive comparison."""
    if isinstance(value, dict):
        return dict((k, canonical(value[k])) for k in sorted(value))
    if isinstance(value, (list, tuple)):
        items = [canonical(v) for v in value]
        if all(isinstance(v, (str, int, float, bool)) or v is None for v in items):
            return sorted(items, key=lambda v: (str(type(v)), v))
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return copy.deepcopy(value)


def same(a, b):
    """True when two documents are equal regardless of key order and list order."""
    return canonical(a) == canonical(b)


def make_diff(before, after, header=None):
    """Ansible `diff` dict for two documents (dict/list/None), as readable pretty JSON."""
    def _render(doc):
        if doc is None:
            return ""
        return json.dumps(doc, indent=2, sort_keys=True) + "\n"

    diff = {"before": _render(before), "after": _render(after)}
    if header:
        diff["before_header"] = "%s (before)" % header
        diff["after_header"] = "%s (after)" % header
    return diff


def merge_by_id(current, wanted, id_of, our_id):
    """Replace the items of `current` whose id is `our_id` by `wanted` (None: remove them); keep the rest.

    `id_of(item)` returns an item's id. The order of the foreign items is kept; ours goes last.
    """
    kept = [item for item in (current or []) if id_of(item) != our_id]
    if wanted is not None:
        kept.append(wanted)
    return kept
