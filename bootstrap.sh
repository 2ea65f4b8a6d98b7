#!/usr/bin/env bash
# One command to set mlops up from this checkout and see it work (the README's first screen):
#   ./bootstrap.sh demo [DIR]   install mlops, then `mlops init DIR && cd DIR && mlops run` (DIR: a new temp folder)
#   ./bootstrap.sh test [ARGS]  install mlops with its development tools, then `python -m pytest ARGS`
# Both install into a virtual environment, .venv in this checkout unless VENV names another. Needs Python 3.10+
# and Git; everything else (DVC included) comes from the package index.
set -euo pipefail
REPO="$(cd "$(dirname "$0")" && pwd)"
VENV="${VENV:-$REPO/.venv}"
PYTHON="${PYTHON:-python3}"

usage() { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
what="$1"; shift

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
  || { echo "bootstrap: mlops needs Python 3.10 or newer ($PYTHON is older; set PYTHON=python3.x)" >&2; exit 2; }
command -v git >/dev/null || { echo "bootstrap: install Git first" >&2; exit 2; }
if [ ! -x "$VENV/bin/python" ]; then
  echo "== virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
fi
# shellcheck disable=SC1091
source "$VENV/bin/activate"
python -m pip install --quiet --upgrade pip

case "$what" in
  demo)
    echo "== installing mlops"
    python -m pip install --quiet -e "$REPO" pre-commit   # pre-commit: the demo project's commit hooks
    DIR="${1:-$(mktemp -d "${TMPDIR:-/tmp}/mlops-demo.XXXXXX")/demo}"
    echo "== mlops init $DIR && mlops run"
    mlops init "$DIR"
    cd "$DIR"
    mlops run
    echo
    echo "The demo project is in $DIR. To work in it:"
    echo "  source $VENV/bin/activate && cd $DIR"
    echo "Next: docs/get-started/first-project.md"
    ;;
  test)
    echo "== installing mlops with its development tools"
    python -m pip install --quiet -e "$REPO[dev,spark]"  # spark: the Spark engine's tests (need Java 17)
    cd "$REPO"
    echo "== tests"
    python -m pytest -q -p no:cacheprovider --cov --cov-report=term "$@"  # line coverage, floor in pyproject.toml
    ;;
  *) usage ;;
esac
