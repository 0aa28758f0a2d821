"""gcp_* modules against the Pub/Sub emulator, gcp-storage-emulator, fake-gcs-server and the API fake."""
from __future__ import annotations

import base64
import json
import time

import pytest
import requests

from ansible_collections.wandb_local.server.plugins.modules import (
    gcp_bucket,
    gcp_bucket_notification,
    gcp_iam_member,
    gcp_pubsub,
)

from gcp_testenv import PROJECT, PROJECT_NUMBER, SERVER_SA

ORIGIN = "https://wandb.example.com"


def diff(res, side):
    """One side of a module's --diff (pretty JSON text, '' for nothing) as data."""
    text = res["diff"][side]
    return json.loads(text) if text else None


AGENT = "serviceAccount:service-%s@gs-project-accounts.iam.gserviceaccount.com" % PROJECT_NUMBER


def storage_opts(storage_emulator):
    return dict(project=PROJECT, storage_endpoint=storage_emulator + "/storage/v1",
                pubsub_endpoint="http://127.0.0.1:9/v1", iam_endpoint="http://127.0.0.1:9/v1")


def pubsub_opts(pubsub_emulator):
    return dict(project=PROJECT, storage_endpoint="http://127.0.0.1:9/storage/v1",
                pubsub_endpoint=pubsub_emulator + "/v1", iam_endpoint="http://127.0.0.1:9/v1")


def test_bucket_check_mode_create_idempotent_diff(run_module, storage_emulator):
    args = dict(storage_opts(storage_emulator), name="wandb-files-1", cors_origins=[ORIGIN])
    url = storage_emulator + "/storage/v1/b/wandb-files-1"

    res = run_module(gcp_bucket, args, check_mode=True, diff=True)
    assert res.changed and not res.failed
    assert diff(res, "before") is None
    assert requests.get(url, timeout=5).status_code == 404, "check mode must not create the bucket"

    res = run_module(gcp_bucket, args, diff=True)
    assert res.changed, res
    assert res["url"] == "gs://wandb-files-1"
    bucket = requests.get(url, timeout=5).json()
    assert bucket["storageClass"] == "STANDARD"
    assert bucket["iamConfiguration"]["uniformBucketLevelAccess"]["enabled"] is True
    assert bucket["iamConfiguration"]["publicAccessPrevention"] == "enforced"
    assert bucket["cors"] == [{"origin": [ORIGIN], "method": ["GET", "PUT"], "responseHeader": ["*"],
                               "maxAgeSeconds": 3600}]

    res = run_module(gcp_bucket, args, diff=True)
    assert not res.changed, res
    assert diff(res, "before") == diff(res, "after")


def test_bucket_cors_change_is_patched_and_read_back(run_module, storage_emulator):
    args = dict(storage_opts(storage_emulator), name="wandb-files-2", cors_origins=[ORIGIN])
    assert run_module(gcp_bucket, args).changed
    args["cors_origins"] = [ORIGIN, "http://127.0.0.1:8080"]
    res = run_module(gcp_bucket, args, diff=True)
    assert res.changed
    assert diff(res, "before")["cors"][0]["origin"] == [ORIGIN]
    assert diff(res, "after")["cors"][0]["origin"] == ["http://127.0.0.1:8080", ORIGIN]
    cors = requests.get(storage_emulator + "/storage/v1/b/wandb-files-2", timeout=5).json()["cors"]
    assert sorted(cors[0]["origin"]) == ["http://127.0.0.1:8080", ORIGIN]
    assert cors[0]["method"] == ["GET", "PUT"]
    assert not run_module(gcp_bucket, args).changed


def test_bucket_location_cannot_change(run_module, storage_emulator):
    args = dict(storage_opts(storage_emulator), name="wandb-files-3")
    assert run_module(gcp_bucket, args).changed
    res = run_module(gcp_bucket, dict(args, location="EUROPE-WEST1"))
    assert res.failed and "location cannot be changed" in res["msg"]


def test_bucket_cors_origin_is_stored_as_browsers_send_it(run_module, storage_emulator):
    """RFC 6454: no default port, lower case, no slash; `https://x` and `https://x:443` are one origin."""
    args = dict(storage_opts(storage_emulator), name="wandb-files-origin", cors_origins=["HTTPS://WandB.Example.com:443/"])
    url = storage_emulator + "/storage/v1/b/wandb-files-origin"
    assert run_module(gcp_bucket, args).changed
    stored = requests.get(url, timeout=5).json()["cors"][0]["origin"]
    assert stored == [ORIGIN], "the stored CORS origin must carry no default port"
    assert not run_module(gcp_bucket, dict(args, cors_origins=[ORIGIN])).changed
    assert not run_module(gcp_bucket, dict(args, cors_origins=[ORIGIN + ":443"])).changed
    # A rule an older version stored with the port is rewritten once (a browser's preflight never matches it).
    requests.patch(url, timeout=5, json={"cors": [{"origin": [ORIGIN + ":443"], "method": ["GET", "PUT"],
                                                   "responseHeader": ["*"], "maxAgeSeconds": 3600}]}).raise_for_status()
    res = run_module(gcp_bucket, args, diff=True)
    assert res.changed and diff(res, "before")["cors"][0]["origin"] == [ORIGIN + ":443"]
    assert requests.get(url, timeout=5).json()["cors"][0]["origin"] == [ORIGIN]
    assert not run_module(gcp_bucket, args).changed


def test_bucket_location_the_emulator_does_not_apply_fails(run_module, storage_emulator):
    """gcp-storage-emulator ignores an insert's body but the name (every new bucket is in US) and Cloud Storage
    cannot patch a location: the read-back catches it instead of reporting success."""
    args = dict(storage_opts(storage_emulator), name="wandb-files-eu", location="europe-west1", cors_origins=[ORIGIN])
    res = run_module(gcp_bucket, args)
    assert res.failed and res.changed, res
    assert res["mismatches"] == ['location: expected "EUROPE-WEST1", got "US"']
    assert "did not apply" in res["msg"] and 'location: expected "EUROPE-WEST1", got "US"' in res["msg"]
    # What the emulator does keep (through the patch after the insert) was read back and is right.
    assert res["bucket"]["publicAccessPrevention"] == "enforced" and res["bucket"]["cors"][0]["origin"] == [ORIGIN]


def test_bucket_on_a_server_that_keeps_no_settings_fails(run_module, pubsub_emulator, start_fake_gcs):
    """fake-gcs-server answers 200 to the insert and the patch but keeps neither uniform access, public access
    prevention, CORS nor the location (its buckets are in US-CENTRAL1): the module fails naming each one."""
    gcs = start_fake_gcs(pubsub_emulator, PROJECT, "files-unused")
    args = dict(project=PROJECT, storage_endpoint=gcs + "/storage/v1", pubsub_endpoint="http://127.0.0.1:9/v1",
                iam_endpoint="http://127.0.0.1:9/v1", name="wandb-files-fake-gcs", cors_origins=[ORIGIN])
    res = run_module(gcp_bucket, args)
    assert res.failed and res.changed, res
    assert [m.split(":")[0] for m in res["mismatches"]] == [
        "location", "uniform bucket-level access", "public access prevention", "CORS"]
    assert 'location: expected "US", got "US-CENTRAL1"' in res["msg"]
    assert 'public access prevention: expected "enforced", got "inherited"' in res["msg"]
    assert "uniform bucket-level access: expected true, got false" in res["msg"]


def test_pubsub_topic_and_pull_subscription(run_module, pubsub_emulator):
    args = dict(pubsub_opts(pubsub_emulator), topic="files-a", subscription="files-a-server")
    base = pubsub_emulator + "/v1/projects/%s" % PROJECT

    res = run_module(gcp_pubsub, args, check_mode=True, diff=True)
    assert res.changed and diff(res, "before") == {"topic": None, "subscription": None}
    assert requests.get(base + "/topics/files-a", timeout=5).status_code == 404

    res = run_module(gcp_pubsub, args, diff=True)
    assert res.changed
    assert res["queue_url"] == "pubsub:/%s/files-a/files-a-server" % PROJECT
    sub = requests.get(base + "/subscriptions/files-a-server", timeout=5).json()
    assert sub["topic"] == "projects/%s/topics/files-a" % PROJECT
    assert not (sub.get("pushConfig") or {}).get("pushEndpoint"), "must be a pull subscription"

    res = run_module(gcp_pubsub, args, diff=True)
    assert not res.changed
    assert diff(res, "before") == diff(res, "after")


def test_pubsub_push_subscription_is_switched_to_pull(run_module, pubsub_emulator):
    base = pubsub_emulator + "/v1/projects/%s" % PROJECT
    requests.put(base + "/topics/files-b", json={}, timeout=5).raise_for_status()
    requests.put(base + "/subscriptions/files-b-server", timeout=5, json={
        "topic": "projects/%s/topics/files-b" % PROJECT,
        "pushConfig": {"pushEndpoint": "http://127.0.0.1:9/push"}}).raise_for_status()
    args = dict(pubsub_opts(pubsub_emulator), topic="files-b", subscription="files-b-server")
    res = run_module(gcp_pubsub, args, diff=True)
    assert res.changed and diff(res, "before")["subscription"]["delivery"] == "push"
    sub = requests.get(base + "/subscriptions/files-b-server", timeout=5).json()
    assert not (sub.get("pushConfig") or {}).get("pushEndpoint")
    assert not run_module(gcp_pubsub, args).changed


def test_pubsub_subscription_on_other_topic_fails(run_module, pubsub_emulator):
    args = dict(pubsub_opts(pubsub_emulator), topic="files-c", subscription="files-c-server")
    assert run_module(gcp_pubsub, args).changed
    res = run_module(gcp_pubsub, dict(args, topic="files-c2"))
    assert res.failed and "cannot move a subscription" in res["msg"]


def _setup_bucket_topic(run_module, endpoints, bucket, topic):
    assert run_module(gcp_bucket, dict(endpoints, name=bucket)).changed
    assert run_module(gcp_pubsub, dict(endpoints, topic=topic, subscription=topic + "-server")).changed


def test_notification_grants_agent_then_creates_one_config(run_module, endpoints, gcp_fake, fake_requests):
    _setup_bucket_topic(run_module, endpoints, "wandb-files-n1", "files-n1")
    start = len(fake_requests())
    args = dict(endpoints, bucket="wandb-files-n1", topic="files-n1")

    res = run_module(gcp_bucket_notification, args, check_mode=True, diff=True)
    assert res.changed and res["notification_id"] is None
    sent = fake_requests()[start:]
    assert not [r for r in sent if r["method"] in ("POST", "PUT", "DELETE") and "getIamPolicy" not in r["path"]]

    res = run_module(gcp_bucket_notification, args, diff=True)
    assert res.changed, res
    assert res["service_agent"] == AGENT.split(":", 1)[1]
    assert diff(res, "after")["topic_publishers"] == [AGENT]
    configs = gcp_fake.state.notifications["wandb-files-n1"]
    assert len(configs) == 1
    (config,) = configs.values()
    assert config["payload_format"] == "JSON_API_V1"
    assert config["event_types"] == ["OBJECT_FINALIZE"]
    assert config["topic"] == "//pubsub.googleapis.com/projects/%s/topics/files-n1" % PROJECT
    policy = gcp_fake.state.policies["projects/%s/topics/files-n1" % PROJECT]
    assert {"role": "roles/pubsub.publisher", "members": [AGENT]} in policy["bindings"]

    # What went over the wire, in order, for the real run (checked by the fake against the discovery documents).
    calls = [(r["method"], r["path"]) for r in fake_requests() if not r["path"].startswith("/storage/v1/b/wandb-files-n1")
             or "notificationConfigs" in r["path"]]
    tail = calls[-5:]
    assert tail == [
        ("GET", "/storage/v1/projects/%s/serviceAccount" % PROJECT),
        ("GET", "/v1/projects/%s/topics/files-n1:getIamPolicy" % PROJECT),
        ("POST", "/v1/projects/%s/topics/files-n1:setIamPolicy" % PROJECT),
        ("GET", "/storage/v1/b/wandb-files-n1/notificationConfigs"),
        ("POST", "/storage/v1/b/wandb-files-n1/notificationConfigs"),
    ]

    before = len(fake_requests())
    res = run_module(gcp_bucket_notification, args, diff=True)
    assert not res.changed, res
    assert res["notification_id"] == config["id"]
    assert len(gcp_fake.state.notifications["wandb-files-n1"]) == 1, "a re-run must not add a duplicate config"
    assert not [r for r in fake_requests()[before:] if r["method"] in ("PUT", "DELETE")
                or r["path"].endswith((":setIamPolicy", "notificationConfigs")) and r["method"] == "POST"]


def test_notification_replaces_a_config_that_differs(run_module, endpoints, gcp_fake):
    _setup_bucket_topic(run_module, endpoints, "wandb-files-n2", "files-n2")
    args = dict(endpoints, bucket="wandb-files-n2", topic="files-n2")
    assert run_module(gcp_bucket_notification, args).changed
    # Someone adds a second config for the same topic with another payload format.
    tpath = "//pubsub.googleapis.com/projects/%s/topics/files-n2" % PROJECT
    resp = requests.post(gcp_fake.url + "/storage/v1/b/wandb-files-n2/notificationConfigs", timeout=5,
                         json={"topic": tpath, "payload_format": "NONE"})
    assert resp.status_code == 200, resp.text
    assert len(gcp_fake.state.notifications["wandb-files-n2"]) == 2
    res = run_module(gcp_bucket_notification, args, diff=True)
    assert res.changed
    assert len(diff(res, "before")["notifications"]) == 2
    remaining = list(gcp_fake.state.notifications["wandb-files-n2"].values())
    assert [c["payload_format"] for c in remaining] == ["JSON_API_V1"]


GSUTIL_BODY = {"payload_format": "JSON_API_V1"}  # + topic: `gsutil notification create -t TOPIC -f json` (no -e)


def _gsutil_notification(run_module, endpoints, gcp_fake, bucket, topic, body=None):
    """A config made by hand as the W&B documentation says (gsutil grants the agent, then inserts); returns it."""
    assert not run_module(gcp_iam_member, dict(endpoints, resource_type="topic", resource=topic, member=AGENT,
                                               role="roles/pubsub.publisher")).failed
    body = dict(body or GSUTIL_BODY, topic="//pubsub.googleapis.com/projects/%s/topics/%s" % (PROJECT, topic))
    resp = requests.post("%s/storage/v1/b/%s/notificationConfigs" % (gcp_fake.url, bucket), json=body, timeout=5)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _notification_writes(requests_seen, bucket):
    return [(r["method"], r["path"].rsplit("/", 1)[-1] if r["method"] == "DELETE" else "new")
            for r in requests_seen if r["method"] in ("POST", "DELETE")
            and r["path"].startswith("/storage/v1/b/%s/notificationConfigs" % bucket)]


def _delivers_finalize_json(config, topic):
    return (config["topic"].endswith("/topics/" + topic) and config["payload_format"] == "JSON_API_V1"
            and not config.get("object_name_prefix")
            and "OBJECT_FINALIZE" in (config.get("event_types") or ["OBJECT_FINALIZE"]))


def test_notification_adopts_the_documented_gsutil_config(run_module, endpoints, gcp_fake, fake_requests):
    """`gsutil notification create -t TOPIC -f json` makes a JSON_API_V1 config for all event types: it is kept as is
    (ok, nothing deleted, nothing created), the server ignores the events other than OBJECT_FINALIZE."""
    _setup_bucket_topic(run_module, endpoints, "wandb-files-n4", "files-n4")
    made = _gsutil_notification(run_module, endpoints, gcp_fake, "wandb-files-n4", "files-n4")
    assert "event_types" not in made
    start = len(fake_requests())
    args = dict(endpoints, bucket="wandb-files-n4", topic="files-n4")

    res = run_module(gcp_bucket_notification, args, check_mode=True, diff=True)
    assert not res.changed, res
    res = run_module(gcp_bucket_notification, args, diff=True)
    assert not res.changed, res
    assert res["notification_id"] == made["id"]
    assert res["notification"]["event_types"] == [] and res["notification"]["payload_format"] == "JSON_API_V1"
    assert diff(res, "before") == diff(res, "after")
    assert list(gcp_fake.state.notifications["wandb-files-n4"]) == [made["id"]]
    assert _notification_writes(fake_requests()[start:], "wandb-files-n4") == []


@pytest.mark.parametrize("old_body, extra, bucket", [
    # The documented all-events config when the user asks for exactly OBJECT_FINALIZE.
    (GSUTIL_BODY, dict(keep_wider_events=False), "wandb-files-n5"),
    # A config the server cannot use (other payload format, a prefix): replaced with the default options.
    ({"payload_format": "NONE"}, {}, "wandb-files-n6"),
    ({"payload_format": "JSON_API_V1", "object_name_prefix": "media/"}, {}, "wandb-files-n7"),
])
def test_notification_replacement_creates_before_deleting(run_module, endpoints, gcp_fake, fake_requests, old_body,
                                                          extra, bucket):
    """The new config is inserted first, the old one deleted after: the bucket never lacks a notification to the
    topic (the old order, delete then insert, lost every event in between)."""
    topic = bucket.replace("wandb-files", "files")
    _setup_bucket_topic(run_module, endpoints, bucket, topic)
    old = _gsutil_notification(run_module, endpoints, gcp_fake, bucket, topic, old_body)
    history_start = len(gcp_fake.state.notification_history)
    start = len(fake_requests())
    args = dict(endpoints, bucket=bucket, topic=topic, **extra)

    res = run_module(gcp_bucket_notification, args, diff=True)
    assert res.changed, res
    assert res["notification_id"] != old["id"]
    assert _notification_writes(fake_requests()[start:], bucket) == [("POST", "new"), ("DELETE", old["id"])]
    # After every write the bucket still had a config to the topic; once the new one existed, one the server reads.
    history = [h for h in gcp_fake.state.notification_history[history_start:] if h["bucket"] == bucket]
    assert [h["method"] for h in history] == ["POST", "DELETE"]
    for snapshot in history:
        assert any(c["topic"].endswith("/topics/" + topic) for c in snapshot["configs"]), snapshot
        assert any(_delivers_finalize_json(c, topic) for c in snapshot["configs"]), snapshot
    (config,) = gcp_fake.state.notifications[bucket].values()
    assert config["event_types"] == ["OBJECT_FINALIZE"] and config["payload_format"] == "JSON_API_V1"
    assert not run_module(gcp_bucket_notification, args).changed


def test_notification_all_event_types_is_exactly_the_gsutil_config(run_module, endpoints, gcp_fake, fake_requests):
    """event_types: [] inserts the body gsutil sends for `-t TOPIC -f json`, and replaces an OBJECT_FINALIZE-only
    config (narrower than asked) by creating first."""
    _setup_bucket_topic(run_module, endpoints, "wandb-files-n8", "files-n8")
    args = dict(endpoints, bucket="wandb-files-n8", topic="files-n8")
    first = run_module(gcp_bucket_notification, args)
    assert first.changed and first["notification"]["event_types"] == ["OBJECT_FINALIZE"]
    start = len(fake_requests())
    res = run_module(gcp_bucket_notification, dict(args, event_types=[]))
    assert res.changed and res["notification"]["event_types"] == []
    sent = fake_requests()[start:]
    assert _notification_writes(sent, "wandb-files-n8") == [("POST", "new"), ("DELETE", first["notification_id"])]
    (insert,) = [r for r in sent if r["method"] == "POST" and r["path"].endswith("/notificationConfigs")]
    assert insert["body"] == dict(GSUTIL_BODY, topic="//pubsub.googleapis.com/projects/%s/topics/files-n8" % PROJECT)
    assert not run_module(gcp_bucket_notification, dict(args, event_types=[])).changed
    # Back to the default: the all-events config covers OBJECT_FINALIZE and is kept.
    assert not run_module(gcp_bucket_notification, args).changed


def test_notification_without_topic_fails_clearly(run_module, endpoints, storage_emulator):
    assert run_module(gcp_bucket, dict(endpoints, name="wandb-files-n3")).changed
    res = run_module(gcp_bucket_notification, dict(endpoints, bucket="wandb-files-n3", topic="no-such-topic"))
    assert res.failed
    assert "IAM policy of topic no-such-topic" in res["msg"] and "404" in res["msg"]


@pytest.mark.parametrize("kind,resource,role", [
    ("service_account", SERVER_SA, "roles/iam.serviceAccountTokenCreator"),
    ("bucket", "wandb-files-iam", "roles/storage.objectAdmin"),
    ("subscription", "files-iam-server", "roles/pubsub.subscriber"),
])
def test_iam_member_grant_idempotent_revoke(run_module, endpoints, gcp_fake, kind, resource, role):
    if kind == "bucket":
        run_module(gcp_bucket, dict(endpoints, name="wandb-files-iam"))
    if kind == "subscription":
        run_module(gcp_pubsub, dict(endpoints, topic="files-iam", subscription="files-iam-server"))
    member = "serviceAccount:" + SERVER_SA
    args = dict(endpoints, resource_type=kind, resource=resource, member=member, role=role)

    res = run_module(gcp_iam_member, args, check_mode=True, diff=True)
    assert res.changed and diff(res, "before")["members"] == [] and diff(res, "after")["members"] == [member]
    res = run_module(gcp_iam_member, args, diff=True)
    assert res.changed and res["members"] == [member]
    key = {"service_account": "serviceAccounts/" + SERVER_SA, "bucket": "buckets/wandb-files-iam",
           "subscription": "projects/%s/subscriptions/files-iam-server" % PROJECT}[kind]
    assert {"role": role, "members": [member]} in gcp_fake.state.policies[key]["bindings"]
    assert not run_module(gcp_iam_member, args).changed
    res = run_module(gcp_iam_member, dict(args, state="absent"), diff=True)
    assert res.changed and res["members"] == []
    assert not run_module(gcp_iam_member, dict(args, state="absent")).changed


def test_iam_member_keeps_other_bindings(run_module, endpoints, gcp_fake):
    other = "user:admin@example.com"
    base = dict(endpoints, resource_type="service_account", resource=SERVER_SA)
    run_module(gcp_iam_member, dict(base, member=other, role="roles/iam.serviceAccountUser"))
    run_module(gcp_iam_member, dict(base, member="serviceAccount:" + SERVER_SA,
                                    role="roles/iam.serviceAccountTokenCreator"))
    bindings = gcp_fake.state.policies["serviceAccounts/" + SERVER_SA]["bindings"]
    assert {"role": "roles/iam.serviceAccountUser", "members": [other]} in bindings


def test_unknown_service_account_fails_with_hint(run_module, endpoints):
    res = run_module(gcp_iam_member, dict(endpoints, resource_type="service_account",
                                          resource="nobody@wandb-test.iam.gserviceaccount.com",
                                          member="serviceAccount:nobody@wandb-test.iam.gserviceaccount.com",
                                          role="roles/iam.serviceAccountTokenCreator"))
    assert res.failed and "HTTP 404" in res["msg"] and "check the project, names and the endpoint" in res["msg"]


def test_fake_rejects_requests_that_do_not_match_the_api(gcp_fake, run_module, endpoints):
    """The fake is strict: wrong verb, path, body or etag fail (so the module tests above mean something)."""
    _setup_bucket_topic(run_module, endpoints, "wandb-files-strict", "files-strict")
    url = gcp_fake.url
    topic = "projects/%s/topics/files-strict" % PROJECT
    # Pub/Sub topics.getIamPolicy is GET; POST is not a method.
    assert requests.post("%s/v1/%s:getIamPolicy" % (url, topic), json={}, timeout=5).status_code == 404
    # IAM serviceAccounts.getIamPolicy is POST; GET is not a method.
    assert requests.get("%s/v1/projects/-/serviceAccounts/%s:getIamPolicy" % (url, SERVER_SA),
                        timeout=5).status_code == 404
    # notifications.insert requires topic and payload_format; no unknown (camelCase) fields.
    nurl = url + "/storage/v1/b/wandb-files-strict/notificationConfigs"
    assert requests.post(nurl, json={"topic": "//pubsub.googleapis.com/" + topic}, timeout=5).status_code == 400
    assert requests.post(nurl, json={"topic": "//pubsub.googleapis.com/" + topic, "payload_format": "JSON_API_V1",
                                     "eventTypes": ["OBJECT_FINALIZE"]}, timeout=5).status_code == 400
    # Without publish rights for the storage service agent, Cloud Storage refuses the config.
    resp = requests.post(nurl, json={"topic": "//pubsub.googleapis.com/" + topic, "payload_format": "JSON_API_V1"},
                         timeout=5)
    assert resp.status_code == 403
    # setIamPolicy needs {"policy": ...} and the current etag.
    set_url = "%s/v1/%s:setIamPolicy" % (url, topic)
    assert requests.post(set_url, json={"bindings": []}, timeout=5).status_code == 400
    assert requests.post(set_url, json={"policy": {"etag": "stale", "bindings": []}}, timeout=5).status_code == 409
    # Unknown paths.
    assert requests.get(url + "/storage/v1/b/wandb-files-strict/notifications", timeout=5).status_code == 404
    assert requests.delete(url + "/v1/" + topic, timeout=5).status_code == 404


def test_uploaded_object_becomes_message_on_the_servers_subscription(run_module, pubsub_emulator, start_fake_gcs):
    """fake-gcs-server publishes OBJECT_FINALIZE into the Pub/Sub emulator topic made by gcp_pubsub."""
    args = dict(pubsub_opts(pubsub_emulator), topic="files-events", subscription="files-events-server")
    res = run_module(gcp_pubsub, args)
    assert res.changed
    gcs = start_fake_gcs(pubsub_emulator, PROJECT, "files-events")
    requests.post(gcs + "/storage/v1/b?project=%s" % PROJECT, json={"name": "wandb-events"},
                  timeout=10).raise_for_status()
    requests.post(gcs + "/upload/storage/v1/b/wandb-events/o?uploadType=media&name=run/1/file.txt",
                  data=b"hello", headers={"Content-Type": "text/plain"}, timeout=10).raise_for_status()

    # BUCKET_QUEUE = pubsub:/<project>/<topic>/<subscription>: pull from that subscription.
    project, dummy, subscription = res["queue_url"][len("pubsub:/"):].split("/")
    pull = "%s/v1/projects/%s/subscriptions/%s:pull" % (pubsub_emulator, project, subscription)
    messages = []
    deadline = time.monotonic() + 30
    while not messages and time.monotonic() < deadline:
        messages = requests.post(pull, json={"maxMessages": 10}, timeout=10).json().get("receivedMessages", [])
        if not messages:
            time.sleep(0.5)
    assert messages, "no message arrived on the subscription"
    msg = messages[0]["message"]
    assert msg["attributes"]["eventType"] == "OBJECT_FINALIZE"
    assert msg["attributes"]["bucketId"] == "wandb-events"
    assert msg["attributes"]["objectId"] == "run/1/file.txt"
    payload = json.loads(base64.b64decode(msg["data"]))
    assert payload["name"] == "run/1/file.txt" and payload["bucket"] == "wandb-events"
