#!/usr/bin/env bash
# Everything the tests, the demo and `make dev` need, on a fresh machine or an old checkout:
#   .venv        Python 3.11+ with requirements-dev.txt (runtime + test tools)
#   .venv-tasks  the Cloud Tasks emulator (devstack/tasks/requirements.txt; protobuf<5, kept apart)
#   node_modules the Firestore emulator (package-lock.json, `npm ci`)
# Idempotent and non-interactive: each part is redone only when its requirement file (or the
# interpreter) changed since the last successful install, so a second run takes a second.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
say() { printf 'setup: %s\n' "$*"; }
fingerprint() { cat "$@" | sha256sum | cut -d' ' -f1; }

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  say "need Python 3.11 or newer as \$PYTHON (found: $("$PYTHON" --version 2>&1 || echo none))" >&2
  exit 1
fi
py_version="$("$PYTHON" -c 'import sys; print(sys.version)')"

# venv DIR REQUIREMENTS...: create DIR if needed, install when the fingerprint changed.
venv() {
  local dir="$1"; shift
  local stamp="$dir/.installed.sha256"
  local want
  want="$( { fingerprint "$@"; echo "$py_version"; } | sha256sum | cut -d' ' -f1)"
  if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c 'pass' 2>/dev/null \
      && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    say "$dir is up to date"
    return
  fi
  if ! [ -x "$dir/bin/python" ] || ! "$dir/bin/python" -c 'pass' 2>/dev/null; then
    say "creating $dir"
    rm -rf "$dir"
    "$PYTHON" -m venv "$dir"
  fi
  say "installing $* into $dir"
  local args=()
  for req in "$@"; do args+=(-r "$req"); done
  "$dir/bin/python" -m pip install --disable-pip-version-check --no-input -q "${args[@]}"
  echo "$want" > "$stamp"
}

venv .venv requirements.txt requirements-dev.txt
venv .venv-tasks devstack/tasks/requirements.txt

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  say "Node.js 18+ and npm are needed for the Firestore emulator (apt-get install nodejs npm)" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 18 ]; then
  say "Node.js 18+ is needed, found $(node --version)" >&2
  exit 1
fi
want="$(fingerprint package.json package-lock.json)"
if [ -d node_modules/@firestore-emulator/server ] \
    && [ "$(cat node_modules/.installed.sha256 2>/dev/null)" = "$want" ]; then
  say "node_modules is up to date"
else
  say "npm ci"
  # No install scripts: nothing here needs one, and npm's answer to them varies by version.
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
  echo "$want" > node_modules/.installed.sha256
fi
# The security-rules tests' own packages (@firebase/rules-unit-testing); they run against the
# Cloud Firestore emulator that ships with gcloud, and skip cleanly where it is missing.
if [ -f tests/rules/package-lock.json ]; then
  want="$(fingerprint tests/rules/package.json tests/rules/package-lock.json)"
  if [ -d tests/rules/node_modules ] \
      && [ "$(cat tests/rules/node_modules/.installed.sha256 2>/dev/null)" = "$want" ]; then
    say "tests/rules/node_modules is up to date"
  elif npm ci --prefix tests/rules --no-audit --no-fund --ignore-scripts --loglevel=error; then
    echo "$want" > tests/rules/node_modules/.installed.sha256
  else
    say "could not install the rules-test packages; those tests will be skipped" >&2
  fi
fi
say "ready"
