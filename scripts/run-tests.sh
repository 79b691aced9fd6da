#!/usr/bin/env bash
# pytest with its exit codes made explicit: 5 (no test collected) is a broken harness, not a pass.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
.venv/bin/python -m pytest "$@"
code=$?
case "$code" in
  0) ;;
  5) echo "run-tests: pytest collected no tests (exit 5): the test harness is broken" >&2; exit 1 ;;
  *) echo "run-tests: pytest failed (exit $code)" >&2 ;;
esac
exit "$code"
