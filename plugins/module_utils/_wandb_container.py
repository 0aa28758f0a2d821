# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The W&B server container through the Docker SDK: read its environment and logs, recreate it with a new env.

``recreate_with_env`` re-creates a container with exactly the configuration Docker reports for it (``Config``,
``HostConfig``, networks, and the anonymous volumes it uses, so no data is left behind) and only the environment
replaced. The old container is stopped and renamed first and is removed only after the new one started; if
creating or starting the new one fails, the old one is renamed back and started again.
"""
from __future__ import annotations

import re
import traceback

from ansible.module_utils.basic import missing_required_lib

try:
    import docker
    from docker.errors import APIError, NotFound
    HAS_DOCKER = True
    DOCKER_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - depends on the control node
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = traceback.format_exc()

    class APIError(Exception):  # type: ignore[no-redef]
        pass

    class NotFound(APIError):  # type: ignore[no-redef]
        pass

PREVIOUS_SUFFIX = "-wandb-previous"
_SPECIAL_NETWORK_MODES = ("host", "none")


class ContainerError(Exception):
    pass


def container_argument_spec(**extra):
    """Options naming the server container and its env file (doc fragment wandb_local.server._wandb_container),
    merged with the module's own options."""
    spec = dict(
        container_name=dict(type="str", default="wandb-local"),
        env_file=dict(type="path"),
        docker_host=dict(type="str"),
    )
    spec.update(extra)
    return spec


def default_env_file(container_name):
    """Where the wandb_server role keeps the env file of container ``container_name``."""
    return "/etc/wandb-local/%s.env" % container_name


def client(docker_host=None, timeout=60):
    """A low-level ``docker.APIClient`` for ``docker_host`` (default: ``DOCKER_HOST`` or the local socket)."""
    if docker_host:
        return docker.APIClient(base_url=docker_host, version="auto", timeout=timeout)
    return docker.APIClient(version="auto", timeout=timeout, **docker.utils.kwargs_from_env())


def inspect(api, name):
    """``docker inspect`` of container ``name``, ``None`` when it does not exist."""
    try:
        return api.inspect_container(name)
    except NotFound:
        return None


def require_docker(module):
    """fail_json with Ansible's standard message when the Docker SDK is missing."""
    if not HAS_DOCKER:
        module.fail_json(msg=missing_required_lib("docker"), exception=DOCKER_IMPORT_ERROR)


def connect(module, docker_host, name, **fail_kwargs):
    """(API client, ``inspect`` of container ``name`` or None); fail_json naming docker_host when Docker is
    unreachable (``fail_kwargs`` go into that failure's result)."""
    try:
        api = client(docker_host)
        attrs = inspect(api, name)
    except Exception as exc:  # pylint: disable=broad-except  # the SDK raises unrelated types (APIError, requests)
        module.fail_json(msg="cannot reach the Docker daemon (docker_host=%s): %s" % (docker_host, exc),
                         exception=traceback.format_exc(), **fail_kwargs)
    return api, attrs


def env_of(attrs):
    """The container's environment as a dict (``Config.Env``, the image's variables included)."""
    env = {}
    for item in (attrs.get("Config") or {}).get("Env") or []:
        name, sep, value = item.partition("=")
        env[name] = value if sep else None
    return env


def logs(api, name, since=None, tail="all"):
    """stdout+stderr of the container as text (the last ``tail`` lines, or all)."""
    raw = api.logs(name, stdout=True, stderr=True, timestamps=False, since=since, tail=tail)
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


# Log lines that may carry credentials (LOCAL_RESTORE prints a temporary password) are redacted before
# any of them is shown.
_CREDENTIAL_WORD = re.compile(r"(?i)(password|passwd|secret|api[_ -]?key|token)")


def redact(line):
    """A log line cut after the first word that announces a credential (the value may follow anywhere)."""
    match = _CREDENTIAL_WORD.search(line)
    return line if match is None else line[:match.end()] + " ********"


def _bind_targets(host_config):
    targets = set()
    for bind in host_config.get("Binds") or []:
        parts = bind.split(":")
        if len(parts) >= 2:
            targets.add(parts[1])
    for mount in host_config.get("Mounts") or []:
        targets.add(mount.get("Target"))
    return targets


def _create_body(api, attrs, env):
    config = dict(attrs["Config"])
    host_config = dict(attrs["HostConfig"])
    config["Env"] = [name if value is None else "%s=%s" % (name, value) for name, value in env.items()]
    network_mode = host_config.get("NetworkMode") or "default"
    # A hostname Docker made up (the short id) or the host's (host network) is not configuration: leave it out.
    if config.get("Hostname") in (attrs["Id"][:12], "") or network_mode in _SPECIAL_NETWORK_MODES \
            or network_mode.startswith("container:"):
        config.pop("Hostname", None)
    config.pop("MacAddress", None)
    # Keep the image the container runs: its name if that still points to the same image, else the image id.
    try:
        if api.inspect_image(config["Image"])["Id"] != attrs["Image"]:
            config["Image"] = attrs["Image"]
    except (NotFound, APIError, KeyError):
        config["Image"] = attrs["Image"]
    # Anonymous/named volumes Docker attached (e.g. an image VOLUME) are carried over by name.
    targets = _bind_targets(host_config)
    binds = list(host_config.get("Binds") or [])
    for mount in attrs.get("Mounts") or []:
        if mount.get("Type") == "volume" and mount.get("Destination") not in targets and mount.get("Name"):
            binds.append("%s:%s%s" % (mount["Name"], mount["Destination"], "" if mount.get("RW", True) else ":ro"))
    if binds:
        host_config["Binds"] = binds
    config["HostConfig"] = host_config
    extra_networks = {}
    networks = (attrs.get("NetworkSettings") or {}).get("Networks") or {}
    if network_mode not in _SPECIAL_NETWORK_MODES and not network_mode.startswith("container:"):
        primary = "bridge" if network_mode == "default" else network_mode
        endpoints = {}
        for net, settings in networks.items():
            aliases = [a for a in (settings.get("Aliases") or []) if a != attrs["Id"][:12]]
            endpoint = {"Aliases": aliases or None, "Links": settings.get("Links"),
                        "IPAMConfig": settings.get("IPAMConfig")}
            if net == primary:
                endpoints[net] = endpoint
            else:
                extra_networks[net] = endpoint
        if endpoints:
            config["NetworkingConfig"] = {"EndpointsConfig": endpoints}
    return config, extra_networks


def recreate_with_env(api, name, env, stop_timeout=60):
    """Recreate container ``name`` with environment ``env`` (dict); returns the new container's id.

    The container is started again only if it was running. Raises ``ContainerError`` (after putting the old
    container back) when the new one cannot be created or started.
    """
    attrs = inspect(api, name)
    if attrs is None:
        raise ContainerError("container %s does not exist" % name)
    was_running = bool((attrs.get("State") or {}).get("Running"))
    body, extra_networks = _create_body(api, attrs, env)
    previous = name + PREVIOUS_SUFFIX
    stale = inspect(api, previous)
    if stale is not None:
        api.remove_container(stale["Id"], force=True, v=False)
    try:
        if was_running:
            api.stop(attrs["Id"], timeout=stop_timeout)
        api.rename(attrs["Id"], previous)
    except APIError as exc:
        if was_running:
            api.start(attrs["Id"])
        raise ContainerError("could not stop and set aside container %s (it was started again): %s" % (name, exc))
    new_id = None
    try:
        new_id = api.create_container_from_config(body, name=name)["Id"]
        for net, endpoint in extra_networks.items():
            api.connect_container_to_network(new_id, net, aliases=endpoint.get("Aliases"),
                                             links=endpoint.get("Links"))
        if was_running:
            api.start(new_id)
    except APIError as exc:
        if new_id is not None:
            try:
                api.remove_container(new_id, force=True, v=False)
            except APIError:
                pass
        api.rename(attrs["Id"], name)
        if was_running:
            api.start(attrs["Id"])
        raise ContainerError("could not recreate container %s with the new environment (the old container was "
                             "put back): %s" % (name, exc))
    api.remove_container(attrs["Id"], v=False)
    return new_id
