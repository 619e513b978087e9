#!/usr/bin/env bash
# Set everything up, then run the hub with the embedded default (one process, SQLite).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/hubtwin serve "$@"
