#!/usr/bin/env bash
# Everything the tests, the demo and `make dev` need, on a fresh machine or an old checkout:
#   .venv        Python 3.11+ with requirements-dev.txt (runtime + test tools)
#   .venv-tasks  the Cloud Tasks emulator (devstack/tasks/requirements.txt; protobuf<5, kept apart)
#   a check that the Cloud Firestore emulator (Debian: google-cloud-cli-firestore-emulator) and
#   Java are installed
#   tests/rules/node_modules  the security-rules tests' packages (`npm ci`)
#   devstack/auth/node_modules  firebase-tools (pinned), whose Auth emulator the stack runs
#   Debian's chromium (apt-get, as root, only when missing): the console's browser tests
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

# Google's Cloud Firestore emulator (a JAR of the Cloud SDK) and the Java that runs it: from the
# machine's Debian packages, not from here. Say exactly what is missing.
if ! firestore_check="$(.venv/bin/python - <<'PY' 2>&1
from devstack.firestore.emulator import EmulatorMissingError, find_install, java_major
try:
    install = find_install()
except EmulatorMissingError as exc:
    raise SystemExit(str(exc))
major = java_major(install.java)
if major is not None and major < 11:
    raise SystemExit(f"{install.java} is Java {major}; the Firestore emulator needs 11 or newer")
print(f"Cloud Firestore emulator {install.jar} on {install.java} (Java {major})")
PY
)"; then
  say "$firestore_check" >&2
  exit 1
fi
say "$firestore_check"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  say "Node.js 18+ and npm are needed for the security-rules tests (apt-get install nodejs npm)" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 18 ]; then
  say "Node.js 18+ is needed, found $(node --version)" >&2
  exit 1
fi
# The security-rules tests' own packages (@firebase/rules-unit-testing), run against the Cloud
# Firestore emulator. No install scripts: nothing here needs one.
want="$(fingerprint tests/rules/package.json tests/rules/package-lock.json)"
if [ -d tests/rules/node_modules ] \
    && [ "$(cat tests/rules/node_modules/.installed.sha256 2>/dev/null)" = "$want" ]; then
  say "tests/rules/node_modules is up to date"
else
  say "npm ci --prefix tests/rules"
  npm ci --prefix tests/rules --no-audit --no-fund --ignore-scripts --loglevel=error
  echo "$want" > tests/rules/node_modules/.installed.sha256
fi
# The Firebase Auth emulator (the console's sign-in): firebase-tools, pinned in
# devstack/auth/package.json. No install scripts: they only build optional native modules the
# Auth emulator does not use (and take minutes); `npm ci` alone takes one to two.
want="$(fingerprint devstack/auth/package.json devstack/auth/package-lock.json; node --version)"
if [ -d devstack/auth/node_modules/firebase-tools ] \
    && [ "$(cat devstack/auth/node_modules/.installed.sha256 2>/dev/null)" = "$want" ]; then
  say "devstack/auth/node_modules is up to date"
else
  say "npm ci --prefix devstack/auth (firebase-tools for the Auth emulator; a minute or two)"
  npm ci --prefix devstack/auth --no-audit --no-fund --ignore-scripts --loglevel=error </dev/null
  echo "$want" > devstack/auth/node_modules/.installed.sha256
fi
# The console's browser tests drive Debian's chromium with Playwright (never `playwright
# install`). Installed once when missing; a second run only checks that it is there.
if [ -x /usr/bin/chromium ]; then
  say "chromium is installed ($(/usr/bin/chromium --version 2>/dev/null || echo '?'))"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  say "apt-get install chromium (the console's browser tests)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends chromium </dev/null >/dev/null; then
    apt-get update -q </dev/null >/dev/null
    apt-get install -y -q --no-install-recommends chromium </dev/null >/dev/null
  fi
else
  say "Debian's chromium is needed for the browser tests: apt-get install chromium (as root)" >&2
  exit 1
fi
say "ready"
