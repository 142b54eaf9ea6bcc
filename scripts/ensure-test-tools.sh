#!/usr/bin/env bash
# Runs before `npm test`: the end-to-end tests need Debian's chromium (the sign-in page in a real
# browser) and jq and make (the tutorial's shell steps). On a fresh machine they are installed
# here when we may (root with apt-get, as on the project's machines and in CI); otherwise this says
# what to install and stops, rather than letting the tests fail one by one.
set -euo pipefail

# The conformance tests' Python tools (moto_server, cfn-lint) are checked on their own.
bash "$(dirname "${BASH_SOURCE[0]}")/ensure-python-tools.sh"

missing=()
if [[ -n "${CHROMIUM_PATH:-}" ]]; then
  [[ -x "$CHROMIUM_PATH" ]] || { echo "error: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable" >&2; exit 1; }
else
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
fi
command -v jq >/dev/null || missing+=(jq)
command -v make >/dev/null || missing+=(make)
(( ${#missing[@]} == 0 )) && exit 0

if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  echo "--- the tests need ${missing[*]}: installing with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq "${missing[@]}" </dev/null >/dev/null
  exit 0
fi
echo "error: the tests need ${missing[*]}. On Debian: sudo apt-get install -y ${missing[*]}" >&2
echo "       (or point CHROMIUM_PATH at another Chromium binary)" >&2
exit 1
