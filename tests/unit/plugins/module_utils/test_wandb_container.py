"""Recreating a container with a new environment: same configuration, data volumes kept, rollback on failure."""
from __future__ import annotations

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils import _wandb_container as wc

import docker  # noqa: E402


class FakeApi(object):
    def __init__(self, fail_on=None):
        self.calls = []
        self.fail_on = fail_on
        self.containers = {"wandb-local": self._attrs()}

    @staticmethod
    def _attrs():
        return {"Id": "abcdef1234567890" * 4, "Image": "sha256:img", "State": {"Running": True},
                "Config": {"Hostname": "abcdef123456", "Image": "wandb/local", "Env": ["A=1", "PATH=/bin"],
                           "Labels": {"x": "y"}},
                "HostConfig": {"NetworkMode": "bridge", "Binds": ["/srv/data:/data"], "PortBindings": {}},
                "Mounts": [{"Type": "bind", "Destination": "/data", "Source": "/srv/data"},
                           {"Type": "volume", "Name": "anon123", "Destination": "/vol", "RW": True}],
                "NetworkSettings": {"Networks": {"bridge": {"Aliases": None}, "extra": {"Aliases": ["w"]}}}}

    def _call(self, name, *args, **kw):
        self.calls.append((name,) + args)
        if self.fail_on == name:
            raise docker.errors.APIError("simulated %s failure" % name)

    def inspect_container(self, name):
        if name not in self.containers:
            raise docker.errors.NotFound("no such container")
        return self.containers[name]

    def inspect_image(self, name):
        return {"Id": "sha256:img"}

    def stop(self, cid, timeout=None):
        self._call("stop", cid)

    def start(self, cid):
        self._call("start", cid)

    def rename(self, cid, new):
        self._call("rename", cid, new)

    def remove_container(self, cid, force=False, v=False):
        assert v is False  # never the volumes
        self._call("remove", cid)

    def create_container_from_config(self, config, name=None):
        self.created = config
        self._call("create", name)
        return {"Id": "new"}

    def connect_container_to_network(self, cid, net, aliases=None, links=None):
        self._call("connect", cid, net)


def test_recreate_keeps_config_and_volumes():
    api = FakeApi()
    assert wc.recreate_with_env(api, "wandb-local", {"A": "2", "PATH": "/bin"}) == "new"
    old = api.containers["wandb-local"]["Id"]
    assert [c[0] for c in api.calls] == ["stop", "rename", "create", "connect", "start", "remove"]
    assert api.calls[1] == ("rename", old, "wandb-local-wandb-previous")
    body = api.created
    assert body["Env"] == ["A=2", "PATH=/bin"]
    assert "Hostname" not in body  # docker's made-up hostname is not configuration
    assert body["Labels"] == {"x": "y"} and body["Image"] == "wandb/local"
    assert body["HostConfig"]["Binds"] == ["/srv/data:/data", "anon123:/vol"]  # the anonymous volume kept
    assert list(body["NetworkingConfig"]["EndpointsConfig"]) == ["bridge"]
    assert api.calls[3] == ("connect", "new", "extra")
    assert api.calls[-1] == ("remove", old)


def test_failed_start_puts_the_old_container_back():
    api = FakeApi(fail_on="start")
    real_call = api._call

    def fail_first_start_only(name, *args):
        if name == "start" and any(c[0] == "start" for c in api.calls):
            api.calls.append((name,) + args)
            return
        real_call(name, *args)
    api._call = fail_first_start_only
    with pytest.raises(wc.ContainerError, match="put back"):
        wc.recreate_with_env(api, "wandb-local", {"A": "2"})
    old = api.containers["wandb-local"]["Id"]
    assert [c[0] for c in api.calls][:5] == ["stop", "rename", "create", "connect", "start"]
    assert ("remove", "new") in api.calls
    assert ("rename", old, "wandb-local") in api.calls and api.calls[-1] == ("start", old)


def test_failed_create_puts_the_old_container_back():
    api = FakeApi(fail_on="create")
    with pytest.raises(wc.ContainerError):
        wc.recreate_with_env(api, "wandb-local", {"A": "2"})
    old = api.containers["wandb-local"]["Id"]
    assert api.calls[-2:] == [("rename", old, "wandb-local"), ("start", old)]


def test_env_of_and_missing_container():
    assert wc.env_of({"Config": {"Env": ["A=1=2", "B"]}}) == {"A": "1=2", "B": None}
    assert wc.inspect(FakeApi(), "nope") is None
    with pytest.raises(wc.ContainerError, match="does not exist"):
        wc.recreate_with_env(FakeApi(), "nope", {})
