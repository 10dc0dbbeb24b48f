#!/usr/bin/env bash
# Set up (including Debian's Chromium for the browser tests), then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Chromium for the browser tests ..."
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
# the SweQUAD-MC test index is kept here and rebuilt incrementally (tests/test_rag.py: swequad_engine)
export KALLKOLL_TEST_INDEX_CACHE=${KALLKOLL_TEST_INDEX_CACHE:-${KALLKOLL_CACHE:-$HOME/.cache/kallkoll}/test-indexes}
exec .venv/bin/python -m pytest tests -q "$@"
