# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copies of backups off the Docker host: S3 (boto3), GCS (google-auth's AuthorizedSession on the JSON API, as the
storage role's gcp modules), Azure Blob (azure-storage-blob).

Used by the backup_copy module and by the scheduled backup runner of the backup role (which runs without Ansible:
this file imports the standard library and _backup only; the SDKs lazily, in the store that needs them).

Objects are ``<prefix>/<file name>`` with metadata ``sha256``; an object already there with the same SHA-256 is
not sent again. The manifest goes last, so a copy without its manifest is incomplete there too. Encryption:
S3 server-side encryption requested on every object (SSE-S3 ``AES256`` or ``aws:kms`` with a key id); GCS and
Azure Blob encrypt every object at rest, always (GCS with a customer-managed key when ``kms_key_name`` is given).
"""
from __future__ import annotations

import os
import re

try:
    from urllib.parse import quote, urlsplit
except ImportError:  # pragma: no cover - Python 2
    from urllib import quote  # type: ignore
    from urlparse import urlsplit  # type: ignore

try:
    from ansible_collections.wandb_local.server.plugins.module_utils import _backup
except ImportError:  # pragma: no cover - the runner on the Docker host puts _backup beside this file
    import _backup  # type: ignore

GCS_DEFAULT_ENDPOINT = "https://storage.googleapis.com/storage/v1"
GCS_SCOPES = ["https://www.googleapis.com/auth/devstorage.read_write"]


class StoreError(Exception):
    pass


def parse_url(url):
    """(scheme, bucket_or_account, container, prefix) of ``s3://bucket/prefix``, ``gs://bucket/prefix`` or
    ``az://account/container/prefix``; ValueError naming the expected form."""
    parts = urlsplit(url or "")
    path = parts.path.strip("/")
    if parts.scheme in ("s3", "gs") and parts.netloc and "@" not in parts.netloc:
        return parts.scheme, parts.netloc, "", path
    if parts.scheme == "az" and parts.netloc and "@" not in parts.netloc and path:
        container, _sep, prefix = path.partition("/")
        return "az", parts.netloc, container, prefix.strip("/")
    raise ValueError("the off-host copy URL must be s3://bucket/prefix, gs://bucket/prefix or "
                     "az://account/container/prefix (credentials go in their own options, never in the URL); got %r"
                     % re.sub(r"//[^/@]*@", "//***@", url or ""))


def _key(prefix, name):
    return "%s/%s" % (prefix, name) if prefix else name


class S3Store(object):
    """``client``: a boto3 S3 client. ``sse``: AES256 or aws:kms (then ``kms_key_id``, or the account's aws/s3 key)."""

    def __init__(self, client, bucket, prefix, sse="AES256", kms_key_id=None):
        self.client, self.bucket, self.prefix = client, bucket, prefix
        self.sse, self.kms_key_id = sse or "AES256", kms_key_id or None
        self.where = "s3://%s/%s" % (bucket, prefix)

    def sha256(self, name):
        from botocore.exceptions import ClientError
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=_key(self.prefix, name))
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return (head.get("Metadata") or {}).get("sha256", "")

    def put(self, path, name, sha256):
        extra = {"ServerSideEncryption": self.sse, "Metadata": {"sha256": sha256}}
        if self.sse == "aws:kms" and self.kms_key_id:
            extra["SSEKMSKeyId"] = self.kms_key_id
        self.client.upload_file(path, self.bucket, _key(self.prefix, name), ExtraArgs=extra)

    def get(self, name, dest):
        self.client.download_file(self.bucket, _key(self.prefix, name), dest)

    def names(self):
        found = []
        start = self.prefix + "/" if self.prefix else ""
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
            found.extend(item["Key"][len(start):] for item in page.get("Contents") or [])
        return [n for n in found if "/" not in n]


def s3_client(access_key=None, secret_key=None, session_token=None, region=None, endpoint_url=None, profile=None,
              timeout=30, verify=None):
    """A boto3 S3 client as the collection's aws modules build it (path-style addressing on a custom endpoint)."""
    import boto3
    from botocore.config import Config
    session = boto3.session.Session(profile_name=profile or None, aws_access_key_id=access_key or None,
                                    aws_secret_access_key=secret_key or None,
                                    aws_session_token=session_token or None, region_name=region or None)
    config = Config(retries={"total_max_attempts": 4, "mode": "standard"}, connect_timeout=timeout,
                    read_timeout=timeout, user_agent_extra="wandb_local.server")
    if endpoint_url:
        config = config.merge(Config(s3={"addressing_style": "path"}))
    return session.client("s3", region_name=session.region_name or "us-east-1", endpoint_url=endpoint_url or None,
                          config=config, verify=verify)


class GCSStore(object):
    """``session``: google-auth AuthorizedSession (or a requests Session for an emulator). ``endpoint``: the JSON
    API base, ``https://storage.googleapis.com/storage/v1``."""

    def __init__(self, session, bucket, prefix, endpoint=None, kms_key_name=None, timeout=30):
        self.session, self.bucket, self.prefix = session, bucket, prefix
        self.endpoint = (endpoint or GCS_DEFAULT_ENDPOINT).rstrip("/")
        base = self.endpoint[:-len("/storage/v1")] if self.endpoint.endswith("/storage/v1") else self.endpoint
        self.upload_endpoint = base + "/upload/storage/v1"
        self.kms_key_name, self.timeout = kms_key_name or None, timeout
        self.where = "gs://%s/%s" % (bucket, prefix)

    def _object_url(self, name):
        return "%s/b/%s/o/%s" % (self.endpoint, quote(self.bucket, safe=""), quote(_key(self.prefix, name), safe=""))

    def _check(self, response, what):
        if response.status_code >= 300:
            raise StoreError("%s %s: HTTP %d %s" % (what, self.where, response.status_code, response.text[:300]))
        return response

    def sha256(self, name):
        response = self.session.get(self._object_url(name), timeout=self.timeout)
        if response.status_code == 404:
            return None
        return (self._check(response, "reading").json().get("metadata") or {}).get("sha256", "")

    def put(self, path, name, sha256):
        params = {"uploadType": "resumable", "name": _key(self.prefix, name)}
        if self.kms_key_name:
            params["kmsKeyName"] = self.kms_key_name
        start = self._check(self.session.post(
            "%s/b/%s/o" % (self.upload_endpoint, quote(self.bucket, safe="")), params=params,
            json={"name": _key(self.prefix, name), "metadata": {"sha256": sha256}},
            headers={"X-Upload-Content-Type": "application/octet-stream"}, timeout=self.timeout), "uploading to")
        location = start.headers.get("Location")
        if not location:
            raise StoreError("uploading to %s: no resumable upload session was opened" % self.where)
        with open(path, "rb") as handle:
            self._check(self.session.put(location, data=handle, timeout=max(self.timeout, 600),
                                         headers={"Content-Type": "application/octet-stream",
                                                  "Content-Length": str(os.path.getsize(path))}), "uploading to")

    def get(self, name, dest):
        response = self.session.get(self._object_url(name), params={"alt": "media"}, stream=True,
                                    timeout=max(self.timeout, 600))
        self._check(response, "downloading %s from" % name)
        with open(dest, "wb") as out:
            for chunk in response.iter_content(1 << 20):
                out.write(chunk)

    def names(self):
        found, token = [], None
        start = self.prefix + "/" if self.prefix else ""
        for _page in range(10000):  # bounded: 10000 pages of 1000 objects
            params = {"prefix": start}
            if token:
                params["pageToken"] = token
            body = self._check(self.session.get("%s/b/%s/o" % (self.endpoint, quote(self.bucket, safe="")),
                                                params=params, timeout=self.timeout), "listing").json()
            found.extend(item["name"][len(start):] for item in body.get("items") or [])
            token = body.get("nextPageToken")
            if not token:
                break
        return [n for n in found if "/" not in n]


def gcs_session(credentials_file=None, endpoint=None):
    """google-auth AuthorizedSession: a service-account key file, anonymous for an http (emulator) endpoint, else the
    application default credentials (as the storage role's gcp modules)."""
    from google.auth.transport.requests import AuthorizedSession
    if credentials_file:
        from google.oauth2 import service_account
        credentials = service_account.Credentials.from_service_account_file(credentials_file, scopes=GCS_SCOPES)
    elif (endpoint or "").startswith("http://"):
        from google.auth.credentials import AnonymousCredentials
        credentials = AnonymousCredentials()
    else:
        import google.auth
        credentials, _project = google.auth.default(scopes=GCS_SCOPES)
    return AuthorizedSession(credentials)


class AzureStore(object):
    """``container_client``: azure-storage-blob ContainerClient. Blob storage is encrypted at rest (always on)."""

    def __init__(self, container_client, prefix, where):
        self.container, self.prefix, self.where = container_client, prefix, where

    def sha256(self, name):
        from azure.core.exceptions import ResourceNotFoundError
        try:
            properties = self.container.get_blob_client(_key(self.prefix, name)).get_blob_properties()
        except ResourceNotFoundError:
            return None
        return (properties.metadata or {}).get("sha256", "")

    def put(self, path, name, sha256):
        with open(path, "rb") as handle:
            self.container.get_blob_client(_key(self.prefix, name)).upload_blob(
                handle, overwrite=True, metadata={"sha256": sha256})

    def get(self, name, dest):
        with open(dest, "wb") as out:
            self.container.get_blob_client(_key(self.prefix, name)).download_blob().readinto(out)

    def names(self):
        start = self.prefix + "/" if self.prefix else ""
        return [b.name[len(start):] for b in self.container.list_blobs(name_starts_with=start)
                if "/" not in b.name[len(start):]]


def azure_container(account, container, account_key=None, sas_token=None, blob_endpoint=None, credential=None):
    """ContainerClient with an account key, a SAS token, or an Entra ID ``credential``."""
    from azure.storage.blob import BlobServiceClient
    endpoint = (blob_endpoint or "https://%s.blob.core.windows.net" % account).rstrip("/")
    if account_key:
        credential = {"account_name": account, "account_key": account_key}
    elif sas_token:
        credential = sas_token
    return BlobServiceClient(endpoint, credential=credential).get_container_client(container)


def open_store(url, **options):
    """The store of ``url`` built from plain options (the runner's way; the module builds the clients with the
    collection's aws/gcp/azure helpers and the same options): s3 (access_key, secret_key, session_token, region,
    endpoint_url, profile, sse, kms_key_id), gs (credentials_file, storage_endpoint, kms_key_name), az
    (account_key, sas_token, blob_endpoint)."""
    scheme, bucket, container, prefix = parse_url(url)
    timeout = float(options.get("timeout") or 30)
    if scheme == "s3":
        client = s3_client(options.get("access_key"), options.get("secret_key"), options.get("session_token"),
                           options.get("region"), options.get("endpoint_url"), options.get("profile"), timeout)
        return S3Store(client, bucket, prefix, options.get("sse"), options.get("kms_key_id"))
    if scheme == "gs":
        endpoint = options.get("storage_endpoint") or GCS_DEFAULT_ENDPOINT
        return GCSStore(gcs_session(options.get("credentials_file"), endpoint), bucket, prefix, endpoint,
                        options.get("kms_key_name"), timeout)
    client = azure_container(bucket, container, options.get("account_key"), options.get("sas_token"),
                             options.get("blob_endpoint"))
    return AzureStore(client, prefix, "az://%s/%s/%s" % (bucket, container, prefix))


# ---------------------------------------------------------------------------------------------------------
# Upload and fetch of one backup.
# ---------------------------------------------------------------------------------------------------------
def upload_backup(store, manifest_path, check_mode=False):
    """Send the files of the backup of ``manifest_path``, then the manifest, to ``store``; only those not already
    there with the same SHA-256. The local backup is verified first. Returns (sent names, names already there)."""
    problems = _backup.verify_backup(manifest_path)
    if problems:
        raise StoreError("the backup does not verify, nothing was copied: %s" % "; ".join(problems))
    manifest = _backup.read_manifest(manifest_path)
    directory = os.path.dirname(manifest_path) or "."
    items = [(os.path.join(directory, f["name"]), f["name"], f["sha256"]) for f in manifest["files"]]
    items.append((manifest_path, os.path.basename(manifest_path), _backup.sha256_file(manifest_path)))
    sent, present = [], []
    for path, name, digest in items:
        if store.sha256(name) == digest:
            present.append(name)
            continue
        if not check_mode:
            store.put(path, name, digest)
        sent.append(name)
    return sent, present


def remote_backups(store, container_name):
    """Manifest names of this container's backups in the store, newest first."""
    stems = [n[:-len(_backup.MANIFEST_SUFFIX)] for n in store.names() if n.endswith(_backup.MANIFEST_SUFFIX)]
    dated = [(_backup.backup_time(s + _backup.ARCHIVE_SUFFIX, container_name), s) for s in stems]
    return [s + _backup.MANIFEST_SUFFIX for when, s in sorted((d for d in dated if d[0]), reverse=True)]


def manifest_name(name):
    """The manifest's name for a backup named by its archive, its manifest or its stem."""
    base = os.path.basename(name)
    for suffix in (_backup.MANIFEST_SUFFIX, _backup.ARCHIVE_SUFFIX):
        if base.endswith(suffix):
            base = base[:-len(suffix)]
    return base + _backup.MANIFEST_SUFFIX


def fetch_backup(store, dest_dir, name=None, container_name=None, check_mode=False):
    """Download a backup (``name``, or the newest of ``container_name``) into ``dest_dir`` (0700, files 0600) and
    verify it. Files already there with the right SHA-256 are kept. Returns (manifest path, fetched names)."""
    if name:
        wanted = manifest_name(name)
    else:
        found = remote_backups(store, container_name)
        if not found:
            raise StoreError("no backup of container %s in %s" % (container_name, store.where))
        wanted = found[0]
    local_manifest = os.path.join(dest_dir, wanted)
    warning = None
    if os.path.isfile(local_manifest) and not _backup.verify_backup(local_manifest) and \
            store.sha256(wanted) == _backup.sha256_file(local_manifest):
        return local_manifest, [], warning
    if check_mode:
        if store.sha256(wanted) is None:
            raise StoreError("backup %s is not in %s" % (wanted, store.where))
        return local_manifest, [wanted], warning
    warning = _backup.private_dir(dest_dir)
    partial_manifest = _backup.private_temp(dest_dir, ".json")
    fetched = []
    try:
        try:
            store.get(wanted, partial_manifest)
        except Exception as exc:  # pylint: disable=broad-except  # each SDK has its own not-found error
            raise StoreError("cannot download %s from %s: %s" % (wanted, store.where, exc))
        os.chmod(partial_manifest, 0o600)
        manifest = _backup.read_manifest(partial_manifest)
        for entry in manifest["files"]:
            file_name = entry["name"]
            if os.path.basename(file_name) != file_name:
                raise StoreError("manifest %s lists a file with a bad name: %r" % (wanted, file_name))
            path = os.path.join(dest_dir, file_name)
            if os.path.isfile(path) and os.path.getsize(path) == entry["size"] and \
                    _backup.sha256_file(path) == entry["sha256"]:
                continue
            partial = _backup.private_temp(dest_dir, ".part")
            try:
                store.get(file_name, partial)
                os.chmod(partial, 0o600)  # an SDK may write through a file of its own (boto3 does)
                os.replace(partial, path)
            finally:
                if os.path.exists(partial):
                    os.remove(partial)
            fetched.append(file_name)
        os.replace(partial_manifest, local_manifest)
        fetched.append(wanted)
    finally:
        if os.path.exists(partial_manifest):
            os.remove(partial_manifest)
    problems = _backup.verify_backup(local_manifest)
    if problems:
        raise StoreError("the fetched backup does not verify: %s" % "; ".join(problems))
    return local_manifest, fetched, warning
