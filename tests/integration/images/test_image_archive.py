# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml deploys the server from a docker save archive on a host with no registry (issue 12).

The archive is a docker save of a freshly tagged stand-in image whose tag is removed from the engine before the run,
and the image name has no registry in it (a pull would go to Docker Hub, which is unreachable here: the role must
not try). The archive is copied once: a run with the image present does nothing at all, and a run that finds the
image gone again loads the host's copy without copying (with the checksum given, without even reading the
controller's file). An archive that does not hold the declared tag, a wrong checksum or a missing file fail before
the env file and the container, saying what to do.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import stat

import pytest

from support.procs import url_status

from images_testenv import docker, task_outcomes


def sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@pytest.fixture(scope="module")
def saved_archive(tmp_path_factory, standin_image):
    """(image, tag, path): a docker save of the stand-in under a fresh name (once for the module)."""
    image, tag = "wandb-images-test/archived-" + secrets.token_hex(3), "a" + secrets.token_hex(3)
    path = tmp_path_factory.mktemp("controller") / "wandb-local.tar"
    docker("tag", standin_image, "%s:%s" % (image, tag))
    try:
        docker("save", "-o", path, "%s:%s" % (image, tag), seconds=300)
    finally:
        docker("rmi", "%s:%s" % (image, tag))
    yield image, tag, path
    docker("rmi", "-f", "%s:%s" % (image, tag), check=False)


@pytest.fixture
def archive(saved_archive, tmp_path):
    """The saved archive, copied for this test (it may move it), its name not on the engine at the start."""
    image, tag, path = saved_archive
    docker("rmi", "-f", "%s:%s" % (image, tag), check=False)
    mine = tmp_path / "controller" / path.name
    mine.parent.mkdir()
    shutil.copyfile(path, mine)
    return image, tag, mine


def test_deploy_from_an_archive_copies_it_once(server, archive, docker_client, standin_image, tmp_path):
    image, tag, path = archive
    host_dir = tmp_path / "host-cache"
    extra = {"wandb_server_image": image, "wandb_server_image_tag": tag, "wandb_server_image_pull": "missing",
             "wandb_server_image_archive": str(path), "wandb_server_image_archive_dir": str(host_dir)}
    copy = host_dir / path.name

    # --check predicts the copy and the load and changes nothing.
    checked = server.site(extra, check=True)
    assert checked.returncode == 0, checked.output[-3000:]
    assert task_outcomes(checked.output, "Copy the archive to") == ["changed"]
    assert task_outcomes(checked.output, "Say the archive would be loaded") == ["changed"]
    assert not copy.exists() and server.container(docker_client) is None and not server.env_file.exists()
    assert not docker_client.images.list(name="%s:%s" % (image, tag))

    first = server.site(extra)
    assert first.returncode == 0, first.output[-4000:]
    assert task_outcomes(first.output, "Copy the archive to") == ["changed"]
    assert task_outcomes(first.output, "Load %s" % copy) == ["changed"]
    assert task_outcomes(first.output, "Pull %s:%s" % (image, tag)) == ["skipping"]  # no registry is tried
    container = server.container(docker_client)
    assert container.attrs["Config"]["Image"] == "%s:%s" % (image, tag)
    assert container.image.id == docker_client.images.get(standin_image).id
    assert url_status("http://127.0.0.1:%d/ready" % server.port) == 200
    assert sha256(copy) == sha256(path)
    assert stat.S_IMODE(os.stat(copy).st_mode) == 0o600 and stat.S_IMODE(os.stat(host_dir).st_mode) == 0o700

    # The image is there: no task of the archive runs, nothing changes.
    again = server.site(extra)
    assert again.returncode == 0, again.output[-3000:]
    assert again.recap()["changed"] == 0
    # The no-change check (server_state) finds the server in sync: the converge path, with the image tasks, is not run.
    assert task_outcomes(again.output, "Load the image from wandb_server_image_archive") == []
    assert "Look for the archive's copy on the host" not in again.output

    # The image gone again (the container keeps running on its id): the host's copy is loaded, not copied again;
    # with the checksum given, the controller's file is not even read (here it is gone). With
    # wandb_server_image_archive_keep false, the copy is removed after loading.
    docker("rmi", "-f", "%s:%s" % (image, tag))
    moved = path.with_name("elsewhere.tar")
    path.rename(moved)
    reload = server.site(dict(extra, wandb_server_image_archive_checksum="sha256:" + sha256(moved).upper(),
                              wandb_server_image_archive_keep=False))
    assert reload.returncode == 0, reload.output[-4000:]
    assert task_outcomes(reload.output, "Read the archive on the controller") == ["skipping"]
    assert task_outcomes(reload.output, "Copy the archive to") == ["skipping"]
    assert task_outcomes(reload.output, "Load %s" % copy) == ["changed"]
    assert task_outcomes(reload.output, "Remove the archive's copy from the host") == ["changed"]
    assert reload.recap()["changed"] == 2, reload.output[-3000:]
    assert not copy.exists()
    assert server.container(docker_client).id == container.id  # the same image: no upgrade, no recreation


def test_an_archive_that_cannot_be_used_fails_before_the_server(server, archive, docker_client, tmp_path):
    image, tag, path = archive
    host_dir = tmp_path / "host-cache"
    extra = {"wandb_server_image": image, "wandb_server_image_tag": tag, "wandb_server_image_pull": "never",
             "wandb_server_image_archive": str(path), "wandb_server_image_archive_dir": str(host_dir)}

    def assert_untouched(result):
        assert result.returncode != 0, result.output[-3000:] + "\n" + " ".join(result.cmd)
        assert result.recap()["failed"] == 1
        assert not server.config_dir.exists()
        assert server.container(docker_client) is None

    # A checksum the file does not have: refused before anything is copied.
    wrong_sum = server.site(dict(extra, wandb_server_image_archive_checksum="0" * 64))
    assert_untouched(wrong_sum)
    assert "not wandb_server_image_archive_checksum %s" % ("0" * 64) in wrong_sum.output
    assert wrong_sum.recap()["changed"] == 0 and not host_dir.exists()

    # No such file on the controller.
    absent = server.site(dict(extra, wandb_server_image_archive=str(tmp_path / "nowhere.tar")))
    assert_untouched(absent)
    assert "is not a file on the controller" in absent.output and "docker save" in absent.output
    assert absent.recap()["changed"] == 0

    # The archive holds another tag than the one declared: what it holds is named.
    other = server.site(dict(extra, wandb_server_image_tag="not-in-it"))
    assert_untouched(other)
    assert "holds %s:%s, not %s:not-in-it" % (image, tag, image) in other.output, other.output[-3000:]
    assert "wandb_server_image_tag" in other.output
    docker("rmi", "%s:%s" % (image, tag))  # what the archive held was loaded; gone again for the next case

    # Not an archive at all.
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tarball\n" * 64)
    broken = server.site(dict(extra, wandb_server_image_archive=str(junk)))
    assert_untouched(broken)
    assert "docker load of %s" % (host_dir / "junk.tar") in broken.output, broken.output[-3000:]

    # pull: always next to an archive is refused by the preflight, offline.
    always = server.site(dict(extra, wandb_server_image_pull="always"))
    assert_untouched(always)
    assert "wandb_server_image_pull missing or never" in always.output
    assert always.recap()["changed"] == 0
