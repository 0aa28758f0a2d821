"""The server container through the Docker SDK, read only: its environment, and whether it is the one its env file
gives (what the wandb_server role's docker_container task compares, env: strict)."""
from __future__ import annotations

from ansible_collections.wandb_local.server.plugins.module_utils import _wandb_container as wc

import docker  # noqa: E402


class FakeApi(object):
    """inspect_container / inspect_image only: the module utils never change a container."""

    def __init__(self, image_env=("PATH=/usr/bin", "LANG=C.UTF-8")):
        self.image_env = image_env
        self.containers = {"wandb-local": {"Id": "abcdef1234567890" * 4, "Image": "sha256:img",
                                           "Config": {"Image": "wandb/local", "Env": ["A=1", "PATH=/usr/bin"]}}}

    def inspect_container(self, name):
        if name not in self.containers:
            raise docker.errors.NotFound("no such container")
        return self.containers[name]

    def inspect_image(self, name):
        if self.image_env is None:
            raise docker.errors.NotFound("no such image")
        assert name == "sha256:img"  # the image the container runs, not the name it was created with
        return {"Id": name, "Config": {"Env": list(self.image_env)}}


def test_env_of_and_missing_container():
    assert wc.env_of({"Config": {"Env": ["A=1=2", "B"]}}) == {"A": "1=2", "B": None}
    assert wc.inspect(FakeApi(), "nope") is None


def test_the_recreation_is_gone():
    for name in ("recreate_with_env", "_create_body", "ContainerError", "PREVIOUS_SUFFIX"):
        assert not hasattr(wc, name), name


def test_image_env():
    api = FakeApi()
    attrs = api.inspect_container("wandb-local")
    assert wc.image_env(api, attrs) == {"PATH": "/usr/bin", "LANG": "C.UTF-8"}
    assert wc.image_env(FakeApi(image_env=None), attrs) is None
    assert wc.image_env(api, {"Config": {}}) is None  # no image id


def test_env_differences_as_docker_container_compares():
    attrs = {"Config": {"Env": ["A=1", "PATH=/usr/bin", "LANG=C.UTF-8", "B"]}}
    image = {"PATH": "/usr/bin", "LANG": "C.UTF-8"}
    # The image's variables plus the file's: in step.
    assert wc.env_differences(attrs, {"A": "1", "B": None}, image) == []
    # A changed value, a new variable, a variable the file no longer has, a file value overriding the image's.
    assert wc.env_differences(attrs, {"A": "2", "B": None, "C": "3"}, image) == ["A", "C"]
    assert wc.env_differences(attrs, {"A": "1"}, image) == ["B"]
    assert wc.env_differences(attrs, {"A": "1", "B": None, "LANG": "de_DE"}, image) == ["LANG"]
    # The image unknown: a variable only the container has may be the image's and is not counted.
    assert wc.env_differences(attrs, {"A": "1"}, None) == []
    assert wc.env_differences(attrs, {"A": "2", "C": "3"}, None) == ["A", "C"]
