"""azure_blob_cors stores the origin as browsers send it (RFC 6454): no default port, so Azurite's preflight passes."""
from __future__ import annotations

import requests

from ansible_collections.wandb_local.server.plugins.module_utils._azure import (
    DataClient,
    get_blob_cors,
    normalize_cors_rule,
    set_blob_cors,
)
from ansible_collections.wandb_local.server.plugins.modules import azure_blob_cors, azure_storage_container

from azure_testenv import blob_service  # tests/integration/azure, on sys.path (conftest)

ORIGIN = "https://wandb.example.net"


def _args(azurite, **extra):
    return dict(account_name=azurite.account, account_key=azurite.key, blob_endpoint=azurite.blob_endpoint, **extra)


def _preflight(azurite, origin):
    return requests.options(azurite.blob_endpoint + "/wandb-origin/some/file.bin", timeout=10, headers={
        "Origin": origin, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type"})


def test_blob_cors_origin_has_no_default_port(azurite, run_module):
    client = DataClient(azurite.blob_endpoint, blob_service(azurite.account, azurite.key, azurite.blob_endpoint))
    assert not run_module(azure_storage_container, _args(azurite, name="wandb-origin")).failed
    # What an older version stored for HOST=https://wandb.example.net:443: the browser's preflight is refused.
    set_blob_cors(client, [normalize_cors_rule(dict(origins=[ORIGIN + ":443"], methods=["GET", "PUT"],
                                                    allowed_headers=["*"], exposed_headers=["*"], max_age=3600))])
    assert _preflight(azurite, ORIGIN).status_code == 403

    res = run_module(azure_blob_cors, _args(azurite, origins=["HTTPS://WandB.example.net:443/"]), diff=True)
    assert res.changed and not res.failed, res
    assert [rule["origins"] for rule in get_blob_cors(client)] == [[ORIGIN]], "stored without the default port"
    pre = _preflight(azurite, ORIGIN)
    assert pre.status_code == 200 and pre.headers.get("Access-Control-Allow-Origin") == ORIGIN
    # https://x and https://x:443 are one origin: no change either way.
    assert not run_module(azure_blob_cors, _args(azurite, origins=[ORIGIN])).changed
    assert not run_module(azure_blob_cors, _args(azurite, origins=[ORIGIN + ":443", ORIGIN])).changed
    assert run_module(azure_blob_cors, _args(azurite, origins=[])).changed
