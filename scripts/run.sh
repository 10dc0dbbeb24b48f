#!/usr/bin/env bash
# Set up, then start the chatbot on http://127.0.0.1:7860 (the seed index is built on first start).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m ui "$@"
