"""The stand-in's test-only upload endpoint (tests/fixtures/standin/README.md): POST /__standin__/upload-sha256 reads
the body as it arrives and answers its sha256 and size, with Content-Length or chunked, and refuses a body cut short."""
from __future__ import annotations

import hashlib
import http.client
import json
import socket
import sys
from pathlib import Path

import pytest

from support.procs import LOCALHOST, BackgroundProcess, free_port

SERVER = Path(__file__).resolve().parents[2] / "fixtures" / "standin" / "server.py"


@pytest.fixture
def standin(tmp_path):
    port = free_port()
    env = {"STANDIN_PORT": str(port), "STANDIN_BIND": LOCALHOST, "STANDIN_VOL": str(tmp_path / "vol"),
           "STANDIN_STARTUP_SECONDS": "0"}
    proc = BackgroundProcess([sys.executable, SERVER], tmp_path / "standin.log", seconds=300, env=env,
                             ready_ports=[port]).start()
    proc.wait_ready(15)
    yield port
    proc.stop()


def post(port, body, headers):
    conn = http.client.HTTPConnection(LOCALHOST, port, timeout=30)
    try:
        conn.request("POST", "/__standin__/upload-sha256", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_content_length_and_chunked_bodies(standin):
    data = bytes(range(256)) * 40000  # 10 MB
    expected = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    assert post(standin, data, {"Content-Length": str(len(data))}) == (200, expected)
    chunks = (data[index:index + 300000] for index in range(0, len(data), 300000))
    assert post(standin, chunks, {}) == (200, expected)  # an iterable without Content-Length: sent chunked


def test_a_body_cut_short_is_refused_and_recorded_without_its_content(standin):
    with socket.create_connection((LOCALHOST, standin), timeout=10) as sock:
        sock.sendall(b"POST /__standin__/upload-sha256 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"a" * 10)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400") and b'"bytes": 10' in answer
    conn = http.client.HTTPConnection(LOCALHOST, standin, timeout=10)
    conn.request("GET", "/__standin__/requests")
    records = json.loads(conn.getresponse().read())
    conn.close()
    uploads = [record for record in records if record["path"] == "/__standin__/upload-sha256"]
    assert uploads[-1]["body"].startswith("<10 bytes, not kept; incomplete")
