#!/usr/bin/env bash
# Installs what the test suite drives besides Python packages:
#  - Debian's chromium for the browser tests (Playwright's own browser download is not used);
#  - the npm packages of the legacy identity provider the tests start, and axe-core, which the
#    console's tests inject into every console page (each pinned by its lock file).
# Each step prints what it did; a step that cannot be done prints why (the tests that need it are
# then skipped with that reason) and never stops the run.
set -u
python=${1:-python3}
here=$(cd "$(dirname "$0")/.." && pwd)

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "could not install chromium: browser tests will be skipped"
  else
    echo "chromium is not installed and cannot be installed here: browser tests will be skipped"
  fi
fi

for dir in "$here"/tests/legacy/*/ "$here"/tests/console/axe/; do
  if [ -f "$dir/package-lock.json" ]; then
    if command -v npm >/dev/null 2>&1; then
      if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
        echo "npm ci in ${dir#$here/}"
        (cd "$dir" && npm ci --silent --no-audit --no-fund) || echo "npm ci failed in $dir"
      fi
    else
      echo "npm is not installed: tests that start ${dir#$here/} will be skipped"
    fi
  fi
done
exit 0
