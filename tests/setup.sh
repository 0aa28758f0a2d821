#!/usr/bin/env bash
# Installs and starts what the tests need on a Debian/Ubuntu machine (run as root): Debian packages,
# a running Docker Engine, the Python test tools in the active virtualenv, npm fixtures, and the locally
# built images (base + W&B stand-in; no registry is reachable). Safe to run again: each step is skipped
# when already done.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need_apt=()
for pkg in docker.io debootstrap redis-server openssl shellcheck mariadb-server mariadb-client docker-registry apache2-utils; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "setup: starting dockerd"
  nohup dockerd >/var/log/wandb-tests-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not start"; tail -20 /var/log/wandb-tests-dockerd.log; exit 1; }
fi

echo "setup: pip install -r requirements-test.txt"
python -m pip install -q --disable-pip-version-check -r requirements-test.txt

command -v node >/dev/null || { echo "setup: Node.js (20+) is needed for the OIDC and Azurite fixtures"; exit 1; }
for lock in tests/fixtures/*/package-lock.json; do
  [ -f "$lock" ] || continue
  dir="$(dirname "$lock")"
  if [ ! -d "$dir/node_modules" ] || [ "$lock" -nt "$dir/node_modules" ]; then
    echo "setup: npm ci in $dir"
    (cd "$dir" && timeout 600 npm ci --no-audit --no-fund --loglevel=error >/dev/null && touch node_modules)
  fi
done

bash tests/images/build-base.sh
bash tests/fixtures/standin/build.sh
