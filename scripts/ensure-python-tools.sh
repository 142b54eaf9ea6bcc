#!/usr/bin/env bash
# Runs before `npm test` and `npm run test:conformance`: the conformance tests hold our adapters and
# emulators to moto_server, and the synthesized templates to cfn-lint (both Python, from PyPI). When
# either is missing it is installed with pip when we may (root, as on the project's machines and in
# CI); otherwise, or when that fails, this says in one line what to install and stops. The tests
# never skip for want of them.
set -euo pipefail

missing=()
command -v moto_server >/dev/null || missing+=('moto[server]')
command -v cfn-lint >/dev/null || missing+=(cfn-lint)
(( ${#missing[@]} == 0 )) && exit 0

fail() {
  echo "error: the conformance tests need moto_server and cfn-lint: pip install 'moto[server]' cfn-lint${1:+ ($1)}" >&2
  exit 1
}

[[ $(id -u) == 0 ]] || fail "not root, so not installing them here"
if ! python3 -m pip --version >/dev/null 2>&1; then
  command -v apt-get >/dev/null || fail "no pip"
  echo "--- the tests need pip: installing python3-pip with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null && apt-get install -y -qq python3-pip </dev/null >/dev/null || fail "apt-get could not install pip"
fi
echo "--- the tests need ${missing[*]}: installing with pip" >&2
# Debian's own Python refuses system-wide pip installs (PEP 668) unless told; this machine's
# Python is ours to change.
PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --disable-pip-version-check "${missing[@]}" </dev/null || fail "pip install failed"
hash -r
command -v moto_server >/dev/null && command -v cfn-lint >/dev/null || fail "installed, but not on PATH"
