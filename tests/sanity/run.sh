#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection laid out as ansible_collections/wandb_local/server
# (ansible-test insists on that path). Each sanity test gets its own virtualenv; pip is seeded offline
# (get_pip_offline.py) because ansible-test's bootstrap download host is not reachable from here.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d /tmp/wandb-sanity.XXXXXX)"
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/wandb_local/server"
mkdir -p "$dest"
cd "$repo"
git ls-files --cached --others --exclude-standard -z \
  | grep -zv '^collections/' \
  | while IFS= read -r -d '' file; do
      # Skip files deleted in the work tree but not yet in git's index.
      if [ -e "$file" ] || [ -L "$file" ]; then cp --parents -P "$file" "$dest/"; fi
    done
pip_version="$(python - <<'PY'
import pathlib, re, ansible_test
text = (pathlib.Path(ansible_test.__file__).parent / "_internal/python_requirements.py").read_text()
print(re.search(r"pip='([0-9.]+)'", text).group(1))
PY
)"
mkdir -p ~/.ansible/test/cache
cp "$repo/tests/sanity/get_pip_offline.py" ~/.ansible/test/cache/"get_pip_${pip_version//./_}.py"
cd "$dest"
git init -q . && git add -A >/dev/null   # ansible-test lists the files to check from git
timeout 2400 ansible-test sanity --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
  --requirements --color no "$@"
