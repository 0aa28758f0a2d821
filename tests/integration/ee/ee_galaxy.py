# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Galaxy server on 127.0.0.1 for the execution environment build (no Galaxy is reachable from the tests).

It speaks the part of the Galaxy v3 API that `ansible-galaxy collection install` uses (API root, version list,
version metadata, download) and serves collection artifacts made from the collections the pinned `ansible` bundle
installed in this virtualenv: each installed collection keeps its MANIFEST.json and FILES.json, so a tarball of its
files, with FILES.json limited to the files the bundle installed, is a valid artifact (ansible-galaxy checks every
file's sha256 against FILES.json while it installs).
"""
from __future__ import annotations

import hashlib
import io
import json
import sysconfig
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from support.procs import LOCALHOST

BUNDLE = Path(sysconfig.get_paths()["purelib"]) / "ansible_collections"  # the `ansible` bundle's collections


def bundled_artifacts(*names: str) -> dict:
    """{(namespace, name): (version, tar.gz bytes, dependencies)} of the collections `names` ("ns.name") and every
    collection they depend on, as the `ansible` bundle installed them."""
    found: dict = {}
    todo = list(names)
    while todo:
        namespace, name = todo.pop().split(".")
        if (namespace, name) not in found:
            found[(namespace, name)] = bundled_artifact(namespace, name)
            todo.extend(found[(namespace, name)][2])
    return found


def bundled_artifact(namespace: str, name: str) -> tuple[str, bytes, dict]:
    """(version, tar.gz bytes, dependencies) of the collection namespace.name as the `ansible` bundle installed it."""
    root = BUNDLE / namespace / name
    manifest = json.loads((root / "MANIFEST.json").read_text())
    files = json.loads((root / "FILES.json").read_text())
    # The bundle leaves out some files of the release (.github, ...): list only what it installed.
    present = [entry for entry in files["files"] if entry["name"] == "." or (root / entry["name"]).exists()]
    files_json = json.dumps(dict(files, files=present)).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(root / "MANIFEST.json", arcname="MANIFEST.json")
        member = tarfile.TarInfo("FILES.json")
        member.size = len(files_json)
        tar.addfile(member, io.BytesIO(files_json))
        for entry in present:
            if entry["name"] != ".":
                tar.add(root / entry["name"], arcname=entry["name"], recursive=False)
    info = manifest["collection_info"]
    return info["version"], buf.getvalue(), info["dependencies"] or {}


class FakeGalaxy:
    """Serves {(namespace, name): (version, artifact bytes, dependencies)} on 127.0.0.1; `.url` is the API root."""

    def __init__(self, collections: dict, port: int = 0):
        self.collections = collections
        self.downloads: list = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):  # pylint: disable=arguments-differ
                pass

            def do_GET(self):  # pylint: disable=invalid-name
                body = owner.answer(self.path.split("?", 1)[0])
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                ctype = "application/json" if isinstance(body, dict) else "application/octet-stream"
                data = json.dumps(body).encode() if isinstance(body, dict) else body
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer((LOCALHOST, port), Handler)
        self.url = "http://%s:%d/api/" % (LOCALHOST, self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, path: str):
        """The JSON (a dict) or artifact (bytes) for a GET of path, None for 404."""
        parts = [p for p in path.split("/") if p]
        if parts == ["api"]:
            return {"available_versions": {"v3": "v3/"}}
        if parts[:1] == ["download"] and len(parts) == 2:
            for (namespace, name), (version, data, _deps) in self.collections.items():
                if parts[1] == "%s-%s-%s.tar.gz" % (namespace, name, version):
                    self.downloads.append(parts[1])
                    return data
            return None
        if parts[:3] != ["api", "v3", "collections"] or len(parts) < 5:
            return None
        key = (parts[3], parts[4])
        if key not in self.collections:
            return None
        version, data, deps = self.collections[key]
        rest = parts[5:]
        if not rest:
            return {"namespace": key[0], "name": key[1], "highest_version": {"version": version},
                    "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z"}
        if rest == ["versions"]:
            return {"meta": {"count": 1}, "links": {"next": None}, "data": [{"version": version}]}
        if rest == ["versions", version]:
            return {"namespace": {"name": key[0]}, "collection": {"name": key[1]}, "version": version,
                    "href": path, "download_url": "/download/%s-%s-%s.tar.gz" % (key[0], key[1], version),
                    "artifact": {"sha256": hashlib.sha256(data).hexdigest()},
                    "metadata": {"dependencies": deps}, "signatures": []}
        return None

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)
