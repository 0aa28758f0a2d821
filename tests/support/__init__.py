# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Support code shared by the pytest suites and the Molecule helper scripts (not part of the collection).

- `support.procs`: free ports, bounded background processes (`timeout`, own process group), waiting for a port
  or URL, stopping a process group;
- `support.emulators`: the command lines of the emulators the tests use (moto, Pub/Sub emulator,
  gcp-storage-emulator, fake-gcs-server, Azurite), started through `support.procs`;
- `support.playbooks`: ansible-playbook -vvv (--diff) from the checkout with an isolated environment, and the
  PLAY RECAP counters;
- `support.fixtures`: pytest fixtures (moto, gcp-storage-emulator, a Docker client) shared by several test
  directories;
- `support.tls`: a CA and a server certificate for 127.0.0.1 (openssl).

pytest finds this package because tests/ is on sys.path (tests/conftest.py); a Molecule script inserts
`<repo>/tests` into sys.path from its own location.
"""
