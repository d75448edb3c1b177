#!/usr/bin/env bash
# The Python driver the driver-URL test connects with: psycopg 3 (binary wheels from PyPI, with
# their own libpq), pinned, in a virtual environment of its own under the cache folder, so the
# system Python is left alone. Prints the environment's python. Idempotent.
set -euo pipefail

PSYCOPG_VERSION=3.3.9
VENV="${PG_PLATFORM_CACHE:-$HOME/.cache/pg-platform}/python-drivers"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import sys, psycopg; sys.exit(psycopg.__version__ != '$PSYCOPG_VERSION')" 2>/dev/null; then
  echo "$VENV/bin/python"
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "psycopg[binary]==$PSYCOPG_VERSION" >&2
echo "$VENV/bin/python"
