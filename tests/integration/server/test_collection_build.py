"""The collection builds, installs, and its playbook runs by FQCN once installed."""
from __future__ import annotations

import os
import subprocess
import tarfile

from support.playbooks import REPO


def test_build_install_and_run_site_by_fqcn(tmp_path):
    # Outside the checkout (whose ansible.cfg finds the collection in place), with only the installed copy
    # and the bundled community collections.
    empty_cfg = tmp_path / "ansible.cfg"
    empty_cfg.write_text("[defaults]\n")
    install_dir = tmp_path / "installed"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(install_dir), ANSIBLE_CONFIG=str(empty_cfg))
    build = subprocess.run(["ansible-galaxy", "collection", "build", str(REPO), "--output-path", str(tmp_path)],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    tarballs = list(tmp_path.glob("wandb_local-server-*.tar.gz"))
    assert len(tarballs) == 1
    with tarfile.open(tarballs[0]) as tar:
        names = tar.getnames()
    assert "roles/wandb_server/tasks/main.yml" in names and "playbooks/site.yml" in names
    assert not any(name.startswith(("tests/", "molecule/", ".ci/", "collections/")) for name in names)

    install = subprocess.run(["ansible-galaxy", "collection", "install", "--offline", "--no-deps",
                              str(tarballs[0]), "-p", str(install_dir)],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert install.returncode == 0, install.stdout + install.stderr

    assert (install_dir / "ansible_collections/wandb_local/server/playbooks/site.yml").exists()
    for args in (["--syntax-check"], ["--list-tasks"]):
        run = subprocess.run(["ansible-playbook", "wandb_local.server.site", "-i", "localhost,", "-c", "local",
                              "-e", "wandb_target_hosts=localhost"] + args,
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert run.returncode == 0, run.stdout + run.stderr
    assert "installed/ansible_collections/wandb_local/server/playbooks/site.yml" in run.stdout
    assert "Run the W&B server" in run.stdout
