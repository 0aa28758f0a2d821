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


def bucket_name_error(kind, name, problems, option="bucket"):
    """One readable error message for an invalid bucket/container name, naming the module's `option`."""
    return "Invalid %s name '%s' (option %s): %s. Choose another name." % (kind, name, option, "; ".join(problems))


def normalize_origin(origin):
    """Canonical CORS origin: scheme://host[:port], lowercase, without path or trailing slash.

    Browsers send `Origin` without a path, so `https://wandb.example.com/` and `https://WANDB.example.com`
    must become the same rule. `*` is kept as is. Raises ValueError when no scheme/host can be found.
    """
    if not isinstance(origin, str):
        raise ValueError("origin %r is not a string" % (origin,))
    origin = origin.strip()
    if origin == "*":
        return origin
    parts = urlsplit(origin)
    if not parts.scheme or not parts.netloc:
        raise ValueError("origin '%s' must look like https://wandb.example.com (scheme and host)" % origin)
    return "%s://%s" % (parts.scheme.lower(), parts.netloc.lower())


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
