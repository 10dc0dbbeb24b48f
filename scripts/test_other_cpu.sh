#!/usr/bin/env bash
# The ranking-sensitive tests (answers, gold-set floors, English questions) as on another CPU:
# passages embedded in the other precision where this CPU computes both (bf16 <-> f32), and every
# vector then moved five times further than bf16's worst rounding (tests/vector_noise.py), so an
# assertion that holds only for this machine's exact vectors fails here, not on the next machine.
# Usage: bash scripts/test_other_cpu.sh [SEED [pytest args ...]]   (SEED: the noise draw, default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${1:-1}
shift || true
read -r first other < <(.venv/bin/python - <<'PY'
import openvino as ov
from index import settings
from index.openvino_encoder import native_bf16, resolve_precision
first = "f32" if settings.passage_backend() == "torch" else resolve_precision(settings.passage_precision())
# without native bf16 only f32 can be computed here: then the moved vectors alone stand for the other CPU
print(first, "f32" if first == "bf16" or not native_bf16(ov.Core()) else "bf16")
PY
)
export KALLKOLL_TEST_INDEX_CACHE=${KALLKOLL_TEST_INDEX_CACHE:-${KALLKOLL_CACHE:-$HOME/.cache/kallkoll}/test-indexes}
echo "Ranking tests as on another CPU: passages in $other (first pass: $first), vector noise seed $seed"
KALLKOLL_PASSAGE_PRECISION=$other KALLKOLL_TEST_VECTOR_NOISE=$seed \
  exec .venv/bin/python -m pytest tests/test_rag.py tests/test_crosslingual.py -q "$@"
