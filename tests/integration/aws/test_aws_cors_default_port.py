"""aws_s3_cors stores the origin as browsers send it (RFC 6454): no default port, so moto's preflight passes."""
from __future__ import annotations

import urllib.error
import urllib.request

from ansible_collections.wandb_local.server.plugins.modules import aws_s3_cors

ORIGIN = "https://wandb.example.net"
BUCKET = "wandb-cors-origin"


def _preflight(endpoint, origin):
    req = urllib.request.Request("%s/%s" % (endpoint, BUCKET), method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}


def test_s3_cors_origin_has_no_default_port(run_module, moto_endpoint, boto):
    s3 = boto("s3")
    s3.create_bucket(Bucket=BUCKET)
    conn = {"endpoint_url": moto_endpoint, "region": "us-east-1"}
    # A rule of ours an older version stored for HOST=https://wandb.example.net:443.
    s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": [
        {"ID": "wandb-local", "AllowedOrigins": [ORIGIN + ":443"], "AllowedMethods": ["GET", "PUT"],
         "AllowedHeaders": ["*"]}]})

    res = run_module(aws_s3_cors, dict(conn, bucket=BUCKET, origins=["HTTPS://WandB.example.net:443/"]), diff=True)
    assert res.changed and not res.failed, res
    rules = s3.get_bucket_cors(Bucket=BUCKET)["CORSRules"]
    assert [rule["AllowedOrigins"] for rule in rules] == [[ORIGIN]], "stored without the default port"
    status, headers = _preflight(moto_endpoint, ORIGIN)
    assert status == 200 and headers.get("access-control-allow-origin") == ORIGIN
    # https://x and https://x:443 are one origin: no change either way.
    assert not run_module(aws_s3_cors, dict(conn, bucket=BUCKET, origins=[ORIGIN])).changed
    assert not run_module(aws_s3_cors, dict(conn, bucket=BUCKET, origins=[ORIGIN + ":443"])).changed
