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
if [ $# -gt 0 ]; then  # arguments (paths, -k, ...): one pytest run, as asked
  exec .venv/bin/python -m pytest tests -q "$@"
fi
# The modules that load torch, OpenVINO models or the app each run in a pytest process of their own
# group: what the libraries keep once they have run a model (1-3 GB, not freed when the model is let
# go) then ends with the group, and the suite's peak is one group's, not the sum (7.6 GB in one
# process). Within a group, files run in the order given: the ONNX export (a 3 GB child) first,
# while its parent is still small; the app's startup tests after the app server and Chromium are gone.
TEST_GROUPS=("tests/test_onnx_export.py tests/test_model_convert.py tests/test_onnx_encoder.py"
        "tests/test_openvino_encoder.py"
        "tests/test_ui_app.py tests/test_ui_startup.py")
ignore=()
for group in "${TEST_GROUPS[@]}"; do
  for m in $group; do ignore+=("--ignore=$m"); done
done
rc=0
.venv/bin/python -m pytest tests -q "${ignore[@]}" || rc=1
for group in "${TEST_GROUPS[@]}"; do
  # shellcheck disable=SC2086  # a group is several paths
  .venv/bin/python -m pytest $group -q || rc=1
done
if [ $rc -eq 0 ]; then echo "All test groups passed."; else echo "Some tests FAILED (see above)."; fi
exit $rc
