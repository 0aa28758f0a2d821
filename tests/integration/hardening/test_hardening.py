# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hardening (issue 7), table-driven over every role: check mode, idempotence and secrets.

Each case (the table CASES; one per role, plus one where the integrations feed the server) plays its roles against
a fresh target - resources named with a random tag the emulators and the Docker engine have never seen, inventory
paths under an empty directory - four times, each with `-vvv --diff`: `--check`, the real run, the real run again,
`--check` again. Then:

1. check mode changes nothing: the emulators' state (buckets, queues, notifications, IAM, ARM resources,
   Azurite containers/queues/CORS, Pub/Sub topics and IAM policies), the Docker engine (containers, volumes, networks
   with the tag) and the files under the target directory are the same before and after --check - and the real run
   does change what is observed, so the observation can see a change;
2. check mode predicts the real run: the tasks reported changed in --check are the tasks the real run changes.
   Where check mode cannot run a task (a container on an env file or network not yet written, data-plane calls
   without a new account's key), the role reports the change from a stand-in task; the case's `check_stands_for`
   maps it to the real task(s). Where check mode cannot know better, `check_superset` names the extra task and why;
3. the second real run reports changed=0, and --check on the converged target predicts nothing;
4. no secret (random tokens: admin API key, license, MySQL/Redis passwords, OIDC/Slack secrets, Azure account key
   and client secret, AWS secret key; and what the roles generate: admin API key, local Redis password) appears in
   any output, and under the target directory only in the 0600 files that need it (the server's env file, the kept
   admin key, the local Redis password and config file) - which must hold it.

docker_host manages a container of the Debian test image with this host's Docker socket and SDK: it must find both
and install nothing, and adds a user to the docker group there (its install path is Molecule's docker_host scenario).
Runs: a case's runs happen once (module-scoped fixture `case`) and the tests read them.
"""
from __future__ import annotations

import json
import re
import secrets as random_tokens
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import docker
import pytest

from hardening_testenv import (
    AZURE_ACCOUNT,
    AZURE_CLIENT_ID,
    AZURE_RESOURCE_GROUP,
    AZURE_SUBSCRIPTION,
    AZURE_TENANT,
    GCP_PROJECT,
    GCP_SERVER_SA,
    docker_state,
    files_state,
    files_with_secrets,
    run_case_playbook,
    secret_hits,
    write_case_play,
)
from support.emulators import moto_node_role_and_key
from support.fixtures import FAKE_ACCESS_KEY
from support.procs import DIRECT, free_port

HOST = "https://wandb.hardening.test"
ADMIN_KEY_SHAPE = re.compile(r"local-[0-9a-f]{40}")  # the admin API keys the wandb_server role generates
DEBIAN_IMAGE = "wandb-local-test/debian:bookworm"  # tests/images: Debian 12 with python3 and python3-docker


@dataclass
class Target:
    """What a case's setup gives the runs: inventory, environment, secrets used, where secrets may be kept, and how
    to observe the emulators (besides Docker and the files, which every case observes)."""
    vars: dict
    secrets: tuple = ()  # the secrets this case gives (every secret is searched for in every case)
    secret_files: dict = field(default_factory=dict)  # path under the target dir -> secret names it must hold
    observe: Callable[[], dict] = dict
    env: dict = field(default_factory=dict)
    check_stands_for: dict = field(default_factory=dict)  # check-only task -> the real task(s) it predicts
    # Secrets the roles generate (none in inventory): name -> the file under the target dir they are kept in,
    # read after the real run and then searched for like the given ones.
    generated_secrets: dict = field(default_factory=dict)
    # Tasks --check may report changed although the real run does not, each with the reason check mode cannot
    # know better: then --check predicts a superset of the real run's changes.
    check_superset: dict = field(default_factory=dict)
    # Another managed host than localhost: its name and the ansible-playbook options that reach it.
    host: str = "localhost"
    connection: tuple = ()


@dataclass
class Ctx:
    tag: str
    workdir: Path
    fixture: Callable
    secrets: dict


def task(role: str, name: str) -> str:
    """A task's name as the callback records it (role FQCN prefix)."""
    return "wandb_local.server.%s : %s" % (role, name)


def http_json(url: str) -> dict:
    with DIRECT.open(url, timeout=10) as resp:
        return json.load(resp)


# --- cases ----------------------------------------------------------------------------------------------------

def docker_host_case(ctx: Ctx) -> Target:
    """The managed host is a container of the Debian test image with this host's Docker socket and the Python SDK:
    the role must find the engine and the SDK and install nothing, and add a user to the docker group (a real
    change, inside the container; this shared host's users are left alone). The install path is Molecule's
    docker_host scenario."""
    client = ctx.fixture("docker_client")
    name, user = ctx.tag + "-dockerhost", "hardening-user"
    container = client.containers.run(DEBIAN_IMAGE, ["sleep", "900"], name=name, detach=True, network_mode="none",
                                      volumes={"/var/run/docker.sock": {"bind": "/var/run/docker.sock",
                                                                        "mode": "rw"}})
    for command in (["groupadd", "--system", "docker"], ["useradd", "--no-create-home", user]):
        code, output = container.exec_run(command)
        assert code == 0, output

    def observe():
        code, output = container.exec_run(["getent", "group", "docker"])
        assert code == 0, output
        return {"docker_group": output.decode().strip()}
    return Target(vars={"docker_host_engine": "auto", "docker_host_users": [user],
                        "ansible_python_interpreter": "/usr/bin/python3"},
                  observe=observe, host=name, connection=("-i", name + ",", "-c", "community.docker.docker_api"))


def wandb_server_case(ctx: Ctx) -> Target:
    image = ctx.fixture("standin_image")
    s = ctx.secrets
    name, port = ctx.tag + "-server", free_port()
    used = ("admin_api_key", "license", "mysql_password", "oidc_secret", "slack_secret", "redis_password",
            "azure_storage_key")
    return Target(
        vars={
            "wandb_server_image": image.partition(":")[0], "wandb_server_image_tag": "latest",
            "wandb_server_image_pull": "never", "wandb_server_container_name": name,
            "wandb_server_data_volume": ctx.tag + "-data", "wandb_server_bind_address": "127.0.0.1",
            "wandb_server_port": port, "wandb_server_host": "http://127.0.0.1:%d" % port,
            "wandb_server_config_dir": str(ctx.workdir / "etc"), "wandb_server_health_delay": 1,
            "wandb_server_health_timeout": 60, "wandb_server_extra_env": {"STANDIN_STARTUP_SECONDS": "1"},
            "wandb_server_admin_api_enabled": True, "wandb_server_admin_api_key": s["admin_api_key"],
            "wandb_server_license": s["license"],
            "wandb_server_mysql": "mysql://wandb:%s@db.internal:3306/wandb_local" % s["mysql_password"],
            "wandb_server_oidc_issuer": "https://idp.example.com", "wandb_server_oidc_client_id": "client-1",
            "wandb_server_oidc_auth_method": "pkce", "wandb_server_oidc_secret": s["oidc_secret"],
            "wandb_server_slack_client_id": "slack-1", "wandb_server_slack_secret": s["slack_secret"],
            "wandb_server_redis": "redis://:%s@cache.internal:6379" % s["redis_password"],
            "wandb_server_azure_storage_account": "wandbacct", "wandb_server_azure_storage_key": s["azure_storage_key"],
        },
        secrets=used,
        secret_files={"etc/%s.env" % name: used, "etc/admin-api-key": ("admin_api_key",)},
        check_stands_for={
            task("wandb_server", "Report the container change check mode cannot compare"):
                task("wandb_server", "Create, update or start the container %s" % name)},
    )


def aws_env(ctx: Ctx) -> dict:
    """The boto3 credential chain of the runs: a random secret key (moto accepts any)."""
    return {"AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": ctx.secrets["aws_secret_key"],
            "AWS_DEFAULT_REGION": "us-east-1"}


def moto_observer(endpoint: str, tag: str, role: str) -> Callable[[], dict]:
    import boto3  # pylint: disable=import-outside-toplevel  # only where it is used

    def client(service):
        return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1")

    def observe():
        s3, sqs, iam = client("s3"), client("sqs"), client("iam")
        buckets = sorted(b["Name"] for b in s3.list_buckets()["Buckets"] if tag in b["Name"])
        state = {"buckets": buckets, "queues": sorted(sqs.list_queues(QueueNamePrefix=tag).get("QueueUrls", [])),
                 "role_policies": sorted(iam.list_role_policies(RoleName=role)["PolicyNames"])}
        for bucket in buckets:
            state["notifications/" + bucket] = s3.get_bucket_notification_configuration(Bucket=bucket).get(
                "QueueConfigurations", [])
        return state
    return observe


def storage_aws_case(ctx: Ctx) -> Target:
    endpoint = ctx.fixture("moto_endpoint")
    role = ctx.tag + "-node"
    moto_node_role_and_key(endpoint, role)
    return Target(
        vars={"wandb_server_host": HOST, "storage_provider": "aws", "storage_bucket": ctx.tag + "-files",
              "storage_queue": ctx.tag + "-events", "storage_aws_region": "us-east-1",
              "storage_aws_endpoint_url": endpoint, "storage_aws_iam_role_name": role,
              "storage_aws_iam_policy_file": str(ctx.workdir / "policy" / "node-policy.json")},
        secrets=("aws_secret_key",), env=aws_env(ctx), observe=moto_observer(endpoint, ctx.tag, role))


def gcp_observer(ctx: Ctx, fake) -> Callable[[], dict]:
    storage, pubsub = ctx.fixture("storage_emulator"), ctx.fixture("pubsub_emulator")

    def observe():
        buckets = http_json("%s/storage/v1/b?project=%s" % (storage, GCP_PROJECT)).get("items", [])
        topics = http_json("%s/v1/projects/%s/topics" % (pubsub, GCP_PROJECT)).get("topics", [])
        subs = http_json("%s/v1/projects/%s/subscriptions" % (pubsub, GCP_PROJECT)).get("subscriptions", [])
        with fake.state.lock:
            notifications = json.dumps(fake.state.notifications, sort_keys=True)
            # The fake stores an empty policy when one is first read: only bindings count.
            policies = json.dumps({key: policy["bindings"] for key, policy in fake.state.policies.items()
                                   if policy.get("bindings")}, sort_keys=True)
        return {"buckets": sorted(b["name"] for b in buckets if ctx.tag in b["name"]),
                "topics": sorted(t["name"] for t in topics if ctx.tag in t["name"]),
                "subscriptions": sorted(s["name"] for s in subs if ctx.tag in s["name"]),
                "notifications": notifications, "policies": policies}
    return observe


def storage_gcp_case(ctx: Ctx) -> Target:
    fake = ctx.fixture("hardening_gcp_fake")
    return Target(
        vars={"wandb_server_host": HOST, "storage_provider": "gcp", "storage_gcp_project": GCP_PROJECT,
              "storage_bucket": ctx.tag + "-files", "storage_queue": ctx.tag + "-events",
              "storage_gcp_subscription": ctx.tag + "-events-server", "storage_gcp_service_account": GCP_SERVER_SA,
              "storage_gcp_storage_endpoint": fake.url + "/storage/v1", "storage_gcp_pubsub_endpoint": fake.url + "/v1",
              "storage_gcp_iam_endpoint": fake.url + "/v1"},
        observe=gcp_observer(ctx, fake))


def storage_azure_case(ctx: Ctx) -> Target:
    from azure.storage.blob import BlobServiceClient  # pylint: disable=import-outside-toplevel
    from azure.storage.queue import QueueServiceClient  # pylint: disable=import-outside-toplevel
    arm = ctx.fixture("hardening_arm_fake")()
    azurite = ctx.fixture("hardening_azurite")
    blob = "http://127.0.0.1:%d/%s" % (azurite.ports["blob"], AZURE_ACCOUNT)
    queue = "http://127.0.0.1:%d/%s" % (azurite.ports["queue"], AZURE_ACCOUNT)
    key = ctx.secrets["azure_account_key"]

    credential = {"account_name": AZURE_ACCOUNT, "account_key": key}
    blobs, queues = BlobServiceClient(blob, credential=credential), QueueServiceClient(queue, credential=credential)

    def observe():
        with arm.lock:
            accounts, subs = sorted(arm.accounts), sorted(arm.event_subs)
        return {"accounts": accounts, "event_subscriptions": subs,
                "containers": sorted(c.name for c in blobs.list_containers() if ctx.tag in c.name),
                "queues": sorted(q.name for q in queues.list_queues() if ctx.tag in q.name),
                "blob_service_cors": bool(blobs.get_service_properties()["cors"])}
    return Target(
        vars={"wandb_server_host": HOST, "storage_provider": "azure", "storage_bucket": ctx.tag + "-files",
              "storage_queue": ctx.tag + "-events", "storage_azure_subscription_id": AZURE_SUBSCRIPTION,
              "storage_azure_resource_group": AZURE_RESOURCE_GROUP, "storage_azure_account": AZURE_ACCOUNT,
              "storage_azure_location": "eastus", "storage_azure_tenant_id": AZURE_TENANT,
              "storage_azure_client_id": AZURE_CLIENT_ID,
              "storage_azure_client_secret": ctx.secrets["azure_client_secret"],
              "storage_azure_arm_endpoint": arm.url, "storage_azure_authority_host": arm.url,
              "storage_azure_blob_endpoint": blob, "storage_azure_queue_endpoint": queue},
        # The account key is not in the inventory: the role reads it from ARM (listKeys), and it is searched for too.
        secrets=("azure_client_secret",), observe=observe,
        # The fake serves HTTPS (azure-identity talks to the identity platform over TLS only) with its own test CA.
        env={"REQUESTS_CA_BUNDLE": arm.ca_path},
        check_stands_for={
            task("storage", "Report the container, queue and CORS rules check mode cannot compare without the "
                            "account's key"):
                (task("storage", "Create the private blob container %s-files" % ctx.tag),
                 task("storage", "Create the storage queue %s-events" % ctx.tag),
                 task("storage", "Allow the server's origins to GET and PUT blobs (Blob service CORS)"))})


def team_storage_case(ctx: Ctx) -> Target:
    endpoint = ctx.fixture("moto_endpoint")
    fake = ctx.fixture("hardening_gcp_fake")
    role = ctx.tag + "-node"
    moto_node_role_and_key(endpoint, role)
    aws, gcp = moto_observer(endpoint, ctx.tag, role), gcp_observer(ctx, fake)
    return Target(
        vars={"wandb_server_host": HOST,
              "team_storage_buckets": [{"team": "secure-ml", "provider": "aws", "bucket": ctx.tag + "-team-aws"},
                                       {"team": "vision", "provider": "gcp", "bucket": ctx.tag + "-team-gcp"}],
              "team_storage_aws_endpoint_url": endpoint, "team_storage_aws_iam_role_name": role,
              "team_storage_aws_iam_policy_file": str(ctx.workdir / "policy" / "team-policy.json"),
              "team_storage_gcp_project": GCP_PROJECT, "team_storage_gcp_service_account": GCP_SERVER_SA,
              "team_storage_gcp_storage_endpoint": fake.url + "/storage/v1",
              "team_storage_gcp_iam_endpoint": fake.url + "/v1"},
        secrets=("aws_secret_key",), env=aws_env(ctx), observe=lambda: {"aws": aws(), "gcp": gcp()},
        check_stands_for={
            task("team_storage", "Predict the grants on buckets pending in check mode"):
                task("team_storage", "Grant the server's service account its roles on the bucket")})


def oidc_case(ctx: Ctx) -> Target:
    return Target(vars={"wandb_server_host": HOST, "oidc_issuer": ctx.fixture("hardening_oidc_issuer"),
                        "oidc_client_id": "wandb-implicit", "oidc_auth_method": "implicit",
                        "oidc_client_secret": ctx.secrets["oidc_secret"]},
                  secrets=("oidc_secret",))


def redis_external_case(ctx: Ctx) -> Target:
    return Target(vars={"redis_host": "127.0.0.1", "redis_port": ctx.fixture("hardening_redis"),
                        "redis_password": ctx.secrets["redis_password"]},
                  secrets=("redis_password",))


def redis_local_case(ctx: Ctx) -> Target:
    image = ctx.fixture("redis_image")
    name = ctx.tag + "-redis"
    return Target(
        vars={"redis_run_local": True, "redis_password": ctx.secrets["redis_password"],
              "redis_local_image": image.partition(":")[0], "redis_local_image_tag": image.partition(":")[2],
              "redis_local_image_pull": "never", "redis_local_container_name": name,
              "redis_local_network": ctx.tag + "-net", "redis_local_data_volume": ctx.tag + "-redisdata",
              "redis_local_port": free_port(), "redis_local_config_dir": str(ctx.workdir / "etc")},
        secrets=("redis_password",),
        secret_files={"etc/%s.password" % name: ("redis_password",), "etc/%s.conf" % name: ("redis_password",)},
        check_stands_for={task("redis", "Report the container check mode cannot create"):
                          task("redis", "Run the Redis container %s" % name)})


def slack_case(ctx: Ctx) -> Target:
    return Target(vars={"wandb_server_host": HOST, "slack_client_id": "slack-client-1",
                        "slack_client_secret": ctx.secrets["slack_secret"]},
                  secrets=("slack_secret",))


def server_with_integrations_case(ctx: Ctx) -> Target:
    """The integrations' secrets end up in the server's env file, through the published <role>_server_settings: Azure
    storage (the account key read from ARM), local Redis (generated password, shared network), OIDC and Slack, then
    the server (generated admin key) and the OIDC role's verify step."""
    server = wandb_server_case(ctx)
    redis = redis_local_case(ctx)
    azure = storage_azure_case(ctx)
    keep = ("wandb_server_image", "wandb_server_image_tag", "wandb_server_image_pull", "wandb_server_container_name",
            "wandb_server_data_volume", "wandb_server_bind_address", "wandb_server_port", "wandb_server_host",
            "wandb_server_config_dir", "wandb_server_health_delay", "wandb_server_health_timeout",
            "wandb_server_extra_env", "wandb_server_admin_api_enabled")
    play_vars = {key: server.vars[key] for key in keep}
    play_vars.update({key: value for key, value in redis.vars.items() if key != "redis_password"})
    play_vars.update({key: value for key, value in azure.vars.items() if key != "wandb_server_host"})
    play_vars.update(oidc_issuer=ctx.fixture("hardening_oidc_issuer"), oidc_client_id="wandb-pkce",
                     oidc_auth_method="pkce", oidc_client_secret=ctx.secrets["oidc_secret"],
                     slack_client_id="slack-client-1", slack_client_secret=ctx.secrets["slack_secret"],
                     oidc_verify_ready_timeout=60)
    name, redis_name = play_vars["wandb_server_container_name"], play_vars["redis_local_container_name"]
    return Target(
        vars=play_vars, secrets=("oidc_secret", "slack_secret", "azure_client_secret"), observe=azure.observe,
        env=azure.env,
        generated_secrets={"generated_admin_api_key": "etc/admin-api-key",
                           "generated_redis_password": "etc/%s.password" % redis_name},
        secret_files={"etc/%s.env" % name: ("oidc_secret", "slack_secret", "azure_account_key",
                                            "generated_admin_api_key", "generated_redis_password"),
                      "etc/admin-api-key": ("generated_admin_api_key",),
                      "etc/%s.password" % redis_name: ("generated_redis_password",),
                      "etc/%s.conf" % redis_name: ("generated_redis_password",)},
        check_stands_for=dict(server.check_stands_for, **redis.check_stands_for, **azure.check_stands_for),
        check_superset={task("wandb_server", "Create the configuration directory"):
                        "the redis role creates the same directory (redis_local_config_dir defaults to "
                        "wandb_server_config_dir) earlier in the real run; in --check it does not exist yet"})


@dataclass
class Case:
    id: str
    roles: list
    setup: Callable[[Ctx], Target]
    gather_facts: bool = False
    tasks: list = field(default_factory=list)  # after the roles


CASES = [
    Case("docker_host", ["docker_host"], docker_host_case, gather_facts=True),
    Case("wandb_server", ["wandb_server"], wandb_server_case),
    Case("storage_aws", ["storage"], storage_aws_case),
    Case("storage_gcp", ["storage"], storage_gcp_case),
    Case("storage_azure", ["storage"], storage_azure_case),
    Case("team_storage", ["team_storage"], team_storage_case),
    Case("oidc", ["oidc"], oidc_case),
    Case("redis_external", ["redis"], redis_external_case),
    Case("redis_local", ["redis"], redis_local_case),
    Case("slack", ["slack"], slack_case),
    Case("server_with_integrations", ["storage", "redis", "oidc", "slack", "wandb_server"],
         server_with_integrations_case,
         tasks=[{"name": "Prove the server is ready and the admin key works (the OIDC role's verify step)",
                 "ansible.builtin.include_role": {"name": "wandb_local.server.oidc", "tasks_from": "verify"}}]),
]


# --- the runs -------------------------------------------------------------------------------------------------

@dataclass
class CaseRuns:
    case: Case
    target: Target
    workdir: Path
    secrets: dict  # every secret to search for: the session's tokens and what the roles generated
    before: dict
    after_check: dict
    after_real: dict
    check: object
    real: object
    again: object
    check_again: object  # --check on the converged target


def remove_tagged(client, tag: str) -> None:
    for container in client.containers.list(all=True, filters={"name": tag}):
        container.remove(force=True)
    for network in client.networks.list():
        if tag in network.name:
            network.remove()
    for volume in client.volumes.list():
        if tag in volume.name:
            volume.remove(force=True)


@pytest.fixture(scope="module", params=CASES, ids=[c.id for c in CASES])
def case(request, tmp_path_factory, docker_client, hardening_secrets):
    spec = request.param
    tag = "hard" + random_tokens.token_hex(4)
    base = tmp_path_factory.mktemp(spec.id)
    workdir, runs_dir = base / "target", base / "runs"
    workdir.mkdir()
    runs_dir.mkdir()
    try:
        target = spec.setup(Ctx(tag, workdir, request.getfixturevalue, hardening_secrets))
        play = write_case_play(runs_dir / "play.yml", spec.roles, spec.gather_facts, spec.tasks, target.host)

        def observe():
            return {"files": files_state(workdir), "docker": docker_state(docker_client, tag),
                    "emulators": target.observe()}

        def run(label, check):
            return run_case_playbook(play, target.vars, runs_dir, label, check, env=target.env,
                                     connection=target.connection)

        before = observe()
        check = run("check", True)
        after_check = observe()
        real = run("real", False)
        after_real = observe()
        again = run("again", False)
        check_again = run("check-again", True)
        wanted = dict(hardening_secrets)
        for name, path in target.generated_secrets.items():
            wanted[name] = (workdir / path).read_text().strip()
            assert len(wanted[name]) >= 20, "%s: %r is no generated secret" % (path, wanted[name])
        yield CaseRuns(spec, target, workdir, wanted, before, after_check, after_real, check, real, again,
                       check_again)
    finally:
        try:
            remove_tagged(docker_client, tag)
        except docker.errors.APIError as exc:  # leave the test result alone; say what was left
            print("cleanup of %s incomplete: %s" % (tag, exc))


def test_check_mode_changes_nothing(case):
    assert case.after_check == case.before, "--check changed the target"
    if case.real.changed_tasks:
        # The observation sees what the real run did, so "unchanged" above means something.
        assert case.after_real != case.before, "the real run changed %s, unseen" % sorted(case.real.changed_tasks)


def test_check_mode_predicts_the_real_run(case):
    predicted = set()
    for name in case.check.changed_tasks:
        stands_for = case.target.check_stands_for.get(name, name)
        predicted.update([stands_for] if isinstance(stands_for, str) else stands_for)
    may_also = set(case.target.check_superset)
    assert case.real.changed_tasks <= predicted and predicted - may_also == case.real.changed_tasks - may_also, (
        "--check predicted %s, the real run changed %s" % (sorted(predicted), sorted(case.real.changed_tasks)))
    for run in (case.check, case.real):  # the recorder saw every change the PLAY RECAP counts
        assert run.changed == sum(record["changed"] for record in run.records)


def test_second_run_changes_nothing(case):
    assert case.again.changed == 0, sorted(case.again.changed_tasks)
    assert not case.again.changed_tasks


def test_check_mode_on_the_converged_target_predicts_nothing(case):
    assert case.check_again.changed == 0, sorted(case.check_again.changed_tasks)


def test_the_case_gives_its_secrets(case):
    given = json.dumps(case.target.vars) + json.dumps(case.target.env)
    assert [name for name in case.target.secrets if secret_hits(given, {name: case.secrets[name]}) == []] == []


def test_no_secret_in_any_output(case):
    for run in (case.check, case.real, case.again, case.check_again):
        assert secret_hits(run.output, case.secrets) == [], "-vvv --diff output shows secrets"
        assert secret_hits(json.dumps(run.records), case.secrets) == []
        # A --check run generates an admin key it never keeps, so its value is unknown: no key-shaped string at all.
        assert not ADMIN_KEY_SHAPE.findall(run.output), "-vvv --diff output shows an admin API key"


def test_secrets_only_in_the_0600_files_that_need_them(case):
    found = files_with_secrets(case.workdir, case.secrets)
    expected = {path: (0o600, sorted(names)) for path, names in case.target.secret_files.items()}
    assert found == expected, "files holding secrets (mode, which): %s; expected %s" % (found, expected)
