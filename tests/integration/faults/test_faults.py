"""Faults during a run: the service a role or module talks to is down, stops answering, or fails halfway.

Each fails within a bounded time with a message saying what to check, leaves what it did in a state the next run
can finish, and the run after recovery converges (the one after that changes nothing). A FaultProxy on a fixed
port stands between the collection and the real service (moto, the stand-in server, redis-server): stopped
(connection refused), stalling every connection (a hung service), or stalling only SQS (AWS half way).
"""
from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from ansible_collections.wandb_local.server.plugins.modules import admin_check
from ansible_collections.wandb_local.server.plugins.modules import settings as settings_module
from faults_testenv import FORWARD, STALL, STALL_SQS, FaultProxy, failure_messages
from support.playbooks import run_playbook, write_play
from support.procs import BackgroundProcess, free_port

# Bounds the runs below must meet. Without the modules' timeouts a hung endpoint held a task for botocore's 60 s
# per read and 6 attempts per request; these are a few request timeouts plus ansible-playbook's own start.
AWS_TIMEOUT = 2
AWS_MAX_ATTEMPTS = 2
PLAYBOOK_BOUND = 60
MODULE_BOUND = 20


def role_play(workdir: Path, role: str, extra_vars: dict, tasks_from: str = "main"):
    """Run one role's entry point on localhost with extra_vars; (result, seconds it took)."""
    workdir.mkdir(parents=True, exist_ok=True)
    play = write_play(workdir / ("%s.json" % role), tasks=[
        {"name": "Run the %s role (%s)" % (role, tasks_from),
         "ansible.builtin.include_role": {"name": "wandb_local.server.%s" % role, "tasks_from": tasks_from}}])
    start = time.monotonic()
    result = run_playbook(play, extra_vars, verbose=False, diff=False, timeout=240,
                          env={"ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"})
    return result, time.monotonic() - start


# --- AWS (moto) ---------------------------------------------------------------------------------------------------
def bucket_names(boto):
    return {bucket["Name"] for bucket in boto("s3").list_buckets().get("Buckets", [])}


def queue_exists(boto, name):
    return any(url.rsplit("/", 1)[-1] == name for url in boto("sqs").list_queues().get("QueueUrls", []))


def test_aws_down_slow_half_done_then_recovered(moto_endpoint, boto, tmp_path):
    moto_port = urlsplit(moto_endpoint).port
    proxy = FaultProxy(moto_port, stall_seconds=60)
    name = "wandb-fault-" + uuid.uuid4().hex[:8]
    extra = {"storage_provider": "aws", "storage_bucket": name, "storage_queue": name,
             "storage_aws_region": "us-east-1", "storage_aws_endpoint_url": proxy.url,
             "storage_cors_origins": ["https://wandb.example.com"],
             "storage_aws_timeout": AWS_TIMEOUT, "storage_aws_max_attempts": AWS_MAX_ATTEMPTS}
    try:
        # Down: nothing listens on the endpoint's port.
        down, seconds = role_play(tmp_path / "down", "storage", extra)
        message = failure_messages(down.output)
        assert down.returncode != 0, down.output[-3000:]
        assert seconds < PLAYBOOK_BOUND, "took %.0fs" % seconds
        assert "cannot be reached" in message and "endpoint_url" in message, message
        assert name not in bucket_names(boto)

        # Slow: the endpoint accepts connections and never answers.
        proxy.start(STALL)
        slow, seconds = role_play(tmp_path / "slow", "storage", extra)
        message = failure_messages(slow.output)
        assert slow.returncode != 0, slow.output[-3000:]
        assert seconds < PLAYBOOK_BOUND, "took %.0fs" % seconds
        assert "did not answer within the timeout" in message and "option timeout" in message, message
        assert proxy.stalled >= AWS_MAX_ATTEMPTS  # every attempt was made, and each one gave up in time
        assert name not in bucket_names(boto)

        # Half way: S3 answers, SQS hangs. The bucket is made, the queue step fails in bounded time.
        proxy.mode = STALL_SQS
        half, seconds = role_play(tmp_path / "half", "storage", extra)
        assert half.returncode != 0, half.output[-3000:]
        assert seconds < PLAYBOOK_BOUND, "took %.0fs" % seconds
        assert "did not answer within the timeout" in failure_messages(half.output)
        # One task (aws_storage): Ansible's recap counts no change for a failed task, so the result says what changed.
        assert '"changed": true, "changed_steps": ["bucket"]' in half.output, half.output[-4000:]
        assert name in bucket_names(boto) and not queue_exists(boto, name)

        # Recovered: the next run finishes what was left (queue, policy, notification, CORS)...
        proxy.mode = FORWARD
        recovered, _seconds = role_play(tmp_path / "recovered", "storage", extra)
        assert recovered.returncode == 0, recovered.output[-3000:]
        assert recovered.recap()["changed"] >= 1
        assert queue_exists(boto, name)
        notification = boto("s3").get_bucket_notification_configuration(Bucket=name)
        assert notification.get("QueueConfigurations"), notification
        assert boto("s3").get_bucket_cors(Bucket=name)["CORSRules"]
        # ...and the one after it changes nothing.
        again, _seconds = role_play(tmp_path / "again", "storage", extra)
        assert again.returncode == 0, again.output[-3000:]
        assert again.recap()["changed"] == 0, again.output[-3000:]
    finally:
        proxy.stop()


# --- the server's admin API (settings, admin_check) ---------------------------------------------------------------
def settings_args(server, proxy, **settings):
    args = {"container_name": server.name, "env_file": str(server.env_file), "base_url": proxy.url,
            "api_key_file": str(server.key_file), "timeout": 2, "retries": 1}
    args.update(settings)
    return args


def timed(run_module, module, args):
    start = time.monotonic()
    result = run_module(module, args)
    return result, time.monotonic() - start


def verify_vars(server, proxy):
    """The oidc role's verify step (site.yml runs it after the server role) against the server behind the proxy."""
    return {"oidc_verify_base_url": proxy.url, "oidc_verify_api_key_file": str(server.key_file),
            "oidc_verify_ready_timeout": 4, "oidc_verify_timeout": 2, "oidc_verify_retries": 1}


def test_admin_api_down_or_slow_changes_nothing_then_recovery_converges(run_module, standin, tmp_path):
    proxy = FaultProxy(standin.port, stall_seconds=30)
    container_id = standin.container().id
    env_before = standin.env_file.read_text()
    wanted = {"session_length": "720h"}
    try:
        # Down: the settings module proves the admin key first and changes nothing when it cannot.
        down, seconds = timed(run_module, settings_module, settings_args(standin, proxy, **wanted))
        assert down.failed and seconds < MODULE_BOUND, (seconds, down)
        assert "before changing anything, the server did not answer" in down["msg"], down["msg"]
        assert "failed after 2 attempt(s)" in down["msg"]
        checked, seconds = timed(run_module, admin_check, {"base_url": proxy.url, "api_key_file": str(
            standin.key_file), "timeout": 2, "retries": 1})
        assert checked.failed and seconds < MODULE_BOUND and "failed after 2 attempt(s)" in checked["msg"], checked
        verify_down, seconds = role_play(tmp_path / "verify-down", "oidc", verify_vars(standin, proxy), "verify")
        assert verify_down.returncode != 0 and seconds < PLAYBOOK_BOUND, (seconds, verify_down.output[-3000:])
        assert "/ready did not answer 200 within 4s" in failure_messages(verify_down.output)

        # Slow: the server accepts and never answers; each attempt gives up after `timeout`.
        proxy.start(STALL)
        slow, seconds = timed(run_module, settings_module, settings_args(standin, proxy, **wanted))
        assert slow.failed and seconds < MODULE_BOUND, (seconds, slow)
        assert "before changing anything, the server did not answer" in slow["msg"], slow["msg"]
        assert "timed out" in slow["msg"], slow["msg"]
        assert standin.container().id == container_id and standin.env_file.read_text() == env_before
        assert "SESSION_LENGTH" not in standin.env()
        verify_slow, seconds = role_play(tmp_path / "verify-slow", "oidc", verify_vars(standin, proxy), "verify")
        assert verify_slow.returncode != 0 and seconds < PLAYBOOK_BOUND, (seconds, verify_slow.output[-3000:])
        assert "did not answer 200 within 4s" in failure_messages(verify_slow.output)
        for result in (verify_down, verify_slow):
            assert standin.admin_key not in result.output
        assert standin.admin_key not in json.dumps([down, slow, checked])

        # Recovered: the env file is changed once (the admin key proven first), and not again; the container is the
        # wandb_server role's to recreate (apply_env), so the change is pending until then.
        proxy.mode = FORWARD
        applied = run_module(settings_module, settings_args(standin, proxy, **wanted))
        assert not applied.failed and applied.changed and applied["pending_env"] == ["SESSION_LENGTH"], applied
        assert "SESSION_LENGTH=720h\n" in standin.env_file.read_text()
        assert standin.container().id == container_id and "SESSION_LENGTH" not in standin.env()
        again = run_module(settings_module, settings_args(standin, proxy, **wanted))
        assert not again.failed and not again.changed and again["restart_required"], again
        assert not run_module(admin_check, {"base_url": proxy.url, "api_key_file": str(standin.key_file)}).failed
        verified, _seconds = role_play(tmp_path / "verify-ok", "oidc", verify_vars(standin, proxy), "verify")
        assert verified.returncode == 0 and verified.recap()["changed"] == 0, verified.output[-3000:]
    finally:
        proxy.stop()


# --- Redis ----------------------------------------------------------------------------------------------------------
def test_redis_down_or_slow_fails_in_bounded_time_then_recovers(tmp_path, redis_binary):
    redis_port = free_port()
    proxy = FaultProxy(redis_port, stall_seconds=30)
    extra = {"redis_host": "127.0.0.1", "redis_port": proxy.port, "redis_password": "Fault-Redis-Pa55",
             "redis_check_timeout": 2}
    server = None
    try:
        down, seconds = role_play(tmp_path / "down", "redis", extra)
        assert down.returncode != 0 and seconds < PLAYBOOK_BOUND, (seconds, down.output[-3000:])
        assert "cannot connect to Redis at 127.0.0.1:%d" % proxy.port in failure_messages(down.output)

        proxy.start(STALL)
        slow, seconds = role_play(tmp_path / "slow", "redis", extra)
        assert slow.returncode != 0 and seconds < PLAYBOOK_BOUND, (seconds, slow.output[-3000:])
        assert "did not answer within 2" in failure_messages(slow.output), failure_messages(slow.output)

        conf = tmp_path / "redis.conf"
        conf.write_text('bind 127.0.0.1\nport %d\nsave ""\nappendonly no\ndir %s\nrequirepass "Fault-Redis-Pa55"\n'
                        % (redis_port, tmp_path))
        server = BackgroundProcess([redis_binary, conf], tmp_path / "redis.log", seconds=300,
                                   ready_ports=(redis_port,)).start().wait_ready(10)
        proxy.mode = FORWARD
        for label in ("recovered", "again"):
            result, _seconds = role_play(tmp_path / label, "redis", extra)
            assert result.returncode == 0, result.output[-3000:]
            assert result.recap()["changed"] == 0
        for result in (down, slow, result):
            assert "Fault-Redis-Pa55" not in result.output
    finally:
        proxy.stop()
        if server is not None:
            server.stop()
