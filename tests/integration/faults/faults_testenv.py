"""A TCP proxy on 127.0.0.1 that the fault tests put between the collection and an emulator or server, to make that
service go down, stop answering, or stop answering only for one AWS service, and come back on the same port."""
from __future__ import annotations

import json
import socket
import threading
import time

from support.procs import LOCALHOST, free_port

FORWARD = "forward"
STALL = "stall"          # accept, read, never answer (a hung service or a black-holing network)
STALL_SQS = "stall_sqs"  # forward everything except SigV4-signed SQS requests, which stall


class FaultProxy:
    """Forwards 127.0.0.1:port to upstream_port, in `mode`. stop() closes the port and every connection (the
    service is down: connections are refused); start() opens the same port again. A stalled connection is dropped
    after stall_seconds at the latest, so nothing waits forever."""

    def __init__(self, upstream_port: int, port: int | None = None, stall_seconds: float = 120):
        self.upstream_port = upstream_port
        self.port = port or free_port()
        self.url = "http://%s:%d" % (LOCALHOST, self.port)
        self.mode = FORWARD
        self.stall_seconds = stall_seconds
        self.stalled = 0
        self._listener = None
        self._sockets = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    # --- lifecycle ---
    def start(self, mode: str = FORWARD) -> "FaultProxy":
        self.mode = mode
        self._stopping.clear()
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOCALHOST, self.port))
        listener.listen(64)
        listener.settimeout(0.2)
        self._listener = listener
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = list(self._sockets), set()
        for sock in sockets:
            _close(sock)

    # --- internals ---
    def _track(self, sock):
        with self._lock:
            self._sockets.add(sock)
        return sock

    def _accept_loop(self, listener):
        while not self._stopping.is_set():
            try:
                client, _addr = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self._track(client)
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client):
        try:
            if self.mode == STALL:
                self._stall(client)
                return
            head = b""
            if self.mode == STALL_SQS:
                head = _read_head(client)
                # SigV4 names the service in the credential scope: .../<region>/sqs/aws4_request
                if b"/sqs/aws4_request" in head:
                    self._stall(client)
                    return
            upstream = self._track(socket.create_connection((LOCALHOST, self.upstream_port), timeout=10))
            upstream.settimeout(None)
            client.settimeout(None)
            if head:
                upstream.sendall(head)
            threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()
            _pump(client, upstream)
        except OSError:
            _close(client)

    def _stall(self, client):
        self.stalled += 1
        client.settimeout(0.5)
        deadline = time.monotonic() + self.stall_seconds
        while not self._stopping.is_set() and time.monotonic() < deadline:
            try:
                if not client.recv(65536):
                    break
            except socket.timeout:
                continue
            except OSError:
                break
        _close(client)


def _read_head(sock, limit: int = 65536, seconds: float = 10) -> bytes:
    """Bytes of a request up to the end of its header block (bounded in size and time)."""
    sock.settimeout(seconds)
    data = b""
    while b"\r\n\r\n" not in data and len(data) < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _pump(source, target):
    try:
        while True:
            chunk = source.recv(65536)
            if not chunk:
                break
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        _close(source)
        _close(target)


def _close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def failure_messages(output: str) -> str:
    """The `msg` of every failed task in a run (default callback, JSON results)."""
    messages = []
    for line in output.splitlines():
        if line.startswith("fatal: [") and "=> {" in line:
            messages.append(str(json.loads(line.split("=> ", 1)[1]).get("msg", "")))
    return "\n".join(messages)
