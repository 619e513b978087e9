#!/usr/bin/env bash
# Set everything up, then run the whole test suite: shellcheck, ruff, eslint and tsc (the
# browser client's lint and type check), mypy, the import contracts (lint-imports) and pytest
# (unit, socket, browser and Redis tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
echo "==> shellcheck" >&2
shellcheck scripts/*.sh .ci/run
echo "==> ruff" >&2
.venv/bin/ruff check .
.venv/bin/ruff format --check . >/dev/null || { .venv/bin/ruff format --diff . | head -40; exit 1; }
echo "==> eslint" >&2
node_modules/.bin/eslint --max-warnings 0 web-client/js tools world eslint.config.js
echo "==> tsc" >&2
node_modules/.bin/tsc -p web-client/tsconfig.json
echo "==> mypy" >&2
.venv/bin/mypy
echo "==> import contracts" >&2
.venv/bin/lint-imports --no-cache
echo "==> pytest" >&2
exec .venv/bin/python -m pytest -q -p no:cacheprovider --durations=30 "$@"
