"""A proxy in front of this machine's Docker engine (a unix socket of the test's own), to make the engine go away at
a chosen moment of a run - the moment community.docker's container module starts, or the moment it creates the
new container after removing the old one - and come back after some seconds, like an engine restart.

Only the proxy's socket goes away: the real engine, and every other test's containers, are untouched.
"""
from __future__ import annotations

import os
import re
import socket
import threading
import time

from faults_testenv import _close, _pump  # pylint: disable=protected-access  # the same socket plumbing

ENGINE = "/var/run/docker.sock"
_REQUEST = re.compile(rb"(GET|POST|PUT|DELETE|HEAD) (/\S*) HTTP/1\.[01]\r\n")
COMMUNITY_DOCKER = b"ansible-community.docker"  # community.docker's User-Agent (the container module)


class EngineProxy:
    """unix://<path> forwarding to the engine. `cut_when(rule, down_seconds)` arms a rule(method, path, head) that,
    on the first request it matches, drops that request unanswered and closes the socket for down_seconds (then the
    proxy listens again). `requests` lists (method, path, user_agent_is_community_docker) seen."""

    def __init__(self, directory):
        self.path = os.path.join(str(directory), "docker.sock")
        self.url = "unix://" + self.path
        self.requests = []
        self.cuts = 0
        self._rule = None
        self._down_seconds = 0
        self._listener = None
        self._lock = threading.Lock()
        self._sockets = set()
        self._stopped = threading.Event()

    def start(self):
        self._stopped.clear()
        self._listen()
        return self

    def stop(self):
        self._stopped.set()
        self._close_listener()
        with self._lock:
            sockets, self._sockets = list(self._sockets), set()
        for sock in sockets:
            _close(sock)

    def cut_when(self, rule, down_seconds):
        with self._lock:
            self._rule, self._down_seconds = rule, down_seconds

    def saw(self, method, fragment):
        return any(m == method and fragment in p for m, p, _ua in self.requests)

    # --- internals ---
    def _listen(self):
        if os.path.exists(self.path):
            os.remove(self.path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.path)
        listener.listen(64)
        listener.settimeout(0.2)
        self._listener = listener
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()

    def _close_listener(self):
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        if os.path.exists(self.path):
            os.remove(self.path)

    def _accept_loop(self, listener):
        while not self._stopped.is_set() and self._listener is listener:
            try:
                client, _addr = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _track(self, sock):
        with self._lock:
            self._sockets.add(sock)
        return sock

    def _serve(self, client):
        self._track(client)
        upstream = self._track(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
        try:
            upstream.connect(ENGINE)
        except OSError:
            _close(client)
            _close(upstream)
            return
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                if self._inspect(data):
                    break  # cut: the request is dropped unanswered
                upstream.sendall(data)
        except OSError:
            pass
        _close(client)
        _close(upstream)

    def _inspect(self, data):
        """Record the requests in data; True when the armed rule cuts the engine off here."""
        for match in _REQUEST.finditer(data):
            method, path = match.group(1).decode(), match.group(2).decode()
            self.requests.append((method, path, COMMUNITY_DOCKER in data))
            with self._lock:
                rule, down = self._rule, self._down_seconds
            if rule is not None and rule(method, path, data):
                with self._lock:
                    self._rule = None
                self.cuts += 1
                self._go_down(down)
                return True
        return False

    def _go_down(self, seconds):
        self._close_listener()
        with self._lock:
            sockets, self._sockets = list(self._sockets), set()
        for sock in sockets:
            _close(sock)

        def come_back():
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and not self._stopped.is_set():
                time.sleep(0.1)
            if not self._stopped.is_set():
                self._listen()
        threading.Thread(target=come_back, daemon=True).start()


def first_community_docker_request(method, path, data):
    """The container module's first request: the engine goes away between the env file and the container task."""
    return COMMUNITY_DOCKER in data


def create_after_remove(proxy):
    """The new container's creation after the old one was removed: the engine goes away mid-replacement."""
    def rule(method, path, data):
        return (COMMUNITY_DOCKER in data and method == "POST" and "/containers/create" in path
                and proxy.saw("DELETE", "/containers/"))
    return rule
