#!/usr/bin/env bash
# Builds the local Debian base image the tests use (no registry can be reached): debootstrap minbase +
# python3 + python3-docker, imported with `docker import`. Cached: rebuilt only when this script changes.
set -euo pipefail
image="${WANDB_TEST_BASE_IMAGE:-wandb-local-test/debian:bookworm}"
recipe_hash="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"
have="$(docker image inspect -f '{{ index .Config.Labels "org.wandb.local.recipe" }}' "$image" 2>/dev/null || true)"
if [ "$have" = "$recipe_hash" ]; then
  echo "$image (cached)"
  exit 0
fi
rootfs="$(mktemp -d /tmp/wandb-base.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
timeout 900 debootstrap --variant=minbase --include=python3,python3-docker,ca-certificates \
  bookworm "$rootfs" >"$rootfs.log" 2>&1 || { tail -20 "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"
tar -C "$rootfs" -c . | docker import \
  --change "LABEL org.wandb.local.recipe=$recipe_hash" \
  --change 'CMD ["/bin/bash"]' - "$image" >/dev/null
echo "$image (built)"
