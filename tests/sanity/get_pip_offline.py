"""Stand-in for ansible-test's pip bootstrap script (get-pip.py), for machines that reach PyPI but not
ansible-test's download host (see https://github.com/ansible/ansible/issues/77304).

ansible-test runs the cached bootstrap script inside each fresh sanity virtualenv with pip's install
arguments; this one seeds pip from Python's own ensurepip, then lets that pip install what was asked
for from the package index.
"""
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
# --no-setuptools / --no-wheel are get-pip's own flags, not pip's.
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install", "--upgrade"] + args)
