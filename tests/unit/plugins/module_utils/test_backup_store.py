"""Off-host copies of backups (plugins/module_utils/_backup_store.py) on an in-memory store: URL forms, the manifest
sent last, nothing sent twice, the newest backup of a container found, a fetch verified and 0600."""
from __future__ import annotations

import datetime
import os
import stat

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils import _backup
from ansible_collections.wandb_local.server.plugins.module_utils import _backup_store as st

UTC = datetime.timezone.utc


class MemoryStore(object):
    where = "mem://"

    def __init__(self):
        self.objects, self.puts = {}, []

    def sha256(self, name):
        return self.objects[name][1] if name in self.objects else None

    def put(self, path, name, sha256):
        with open(path, "rb") as handle:
            self.objects[name] = (handle.read(), sha256)
        self.puts.append(name)

    def get(self, name, dest):
        with open(dest, "wb") as handle:
            handle.write(self.objects[name][0])

    def names(self):
        return list(self.objects)


def make_backup(directory, container, day):
    when = datetime.datetime(2026, 1, day, tzinfo=UTC)
    archive = os.path.join(str(directory), _backup.backup_name(container, "", when))
    with open(archive, "wb") as handle:
        handle.write(b"vol of day %d" % day)
    return _backup.write_manifest(archive, container, [archive])[0]


@pytest.mark.parametrize("url,parsed", [
    ("s3://bucket/a/b", ("s3", "bucket", "", "a/b")),
    ("gs://bucket", ("gs", "bucket", "", "")),
    ("az://account/container/pre/fix/", ("az", "account", "container", "pre/fix")),
])
def test_urls(url, parsed):
    assert st.parse_url(url) == parsed


@pytest.mark.parametrize("url", ["s3://KEY:SECRET@bucket/p", "http://bucket/p", "az://account", ""])
def test_bad_urls_are_refused_without_their_credentials(url):
    with pytest.raises(ValueError) as info:
        st.parse_url(url)
    assert "SECRET" not in str(info.value)


def test_upload_sends_the_manifest_last_and_nothing_twice(tmp_path):
    store = MemoryStore()
    manifest = make_backup(tmp_path, "w", 1)
    sent, present = st.upload_backup(store, manifest)
    assert sent == [os.path.basename(_backup.archive_of(manifest)), os.path.basename(manifest)] and present == []
    assert st.upload_backup(store, manifest) == ([], sent)
    assert st.upload_backup(MemoryStore(), manifest, check_mode=True)[0] == sent
    with open(_backup.archive_of(manifest), "ab") as handle:
        handle.write(b"corrupt")
    with pytest.raises(st.StoreError, match="nothing was copied"):
        st.upload_backup(store, manifest)


def test_fetch_the_newest_of_a_container_verified_and_private(tmp_path):
    store = MemoryStore()
    (tmp_path / "src").mkdir()
    for day in (1, 3, 2):
        st.upload_backup(store, make_backup(tmp_path / "src", "w", day))
    st.upload_backup(store, make_backup(tmp_path / "src", "w-other", 9))
    found = [n[:len("w-20260103")] for n in st.remote_backups(store, "w")]
    assert found == ["w-20260103", "w-20260102", "w-20260101"]
    manifest, fetched, _warning = st.fetch_backup(store, str(tmp_path / "dest"), container_name="w")
    assert os.path.basename(manifest).startswith("w-20260103T") and len(fetched) == 2
    assert _backup.verify_backup(manifest) == []
    assert stat.S_IMODE(os.stat(str(tmp_path / "dest")).st_mode) == 0o700
    assert all(stat.S_IMODE(os.stat(str(tmp_path / "dest" / n)).st_mode) == 0o600 for n in fetched)
    assert st.fetch_backup(store, str(tmp_path / "dest"), container_name="w")[1] == []  # already there
    by_name = st.fetch_backup(store, str(tmp_path / "dest2"), name=os.path.basename(_backup.archive_of(
        st.remote_backups(store, "w")[-1])))
    assert by_name[0].endswith("w-20260101T000000Z.manifest.json")
    archive = st.remote_backups(store, "w")[1].replace(_backup.MANIFEST_SUFFIX, _backup.ARCHIVE_SUFFIX)
    store.objects[archive] = (b"tampered", store.objects[archive][1])
    with pytest.raises(st.StoreError, match="does not verify"):
        st.fetch_backup(store, str(tmp_path / "dest3"), name=archive)
    with pytest.raises(st.StoreError, match="no backup of container nobody"):
        st.fetch_backup(store, str(tmp_path / "dest4"), container_name="nobody")
