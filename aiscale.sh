#!/usr/bin/env bash
# aiscale-sim in one command: sets itself up on first use, then runs what you ask.
#
#   ./aiscale.sh run [SCENARIO] [options]   run a scenario (default: baseline), write out/run/
#   ./aiscale.sh test [pytest options]      run the test suite
#   ./aiscale.sh <any aiscale command>      e.g. ./aiscale.sh levers, ./aiscale.sh scenarios
#
# Set-up: finds a Python 3.12 or newer (AISCALE_PYTHON, then python3.13/python3.12/python3 on
# PATH, then pyenv's installed versions), creates .venv beside this file and installs the
# package with its test and notebook extras. It reinstalls when pyproject.toml changes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv="$here/.venv"
stamp="$venv/.aiscale-installed"

ok_python() {
    "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' \
        >/dev/null 2>&1
}

find_python() {
    local c
    if [ -n "${AISCALE_PYTHON:-}" ] && ! ok_python "$AISCALE_PYTHON"; then
        echo "aiscale.sh: AISCALE_PYTHON=$AISCALE_PYTHON is not a Python 3.12 or newer" \
             "with venv; looking elsewhere" >&2
    fi
    for c in "${AISCALE_PYTHON:-}" python3.14 python3.13 python3.12 python3 python; do
        [ -n "$c" ] || continue
        if command -v "$c" >/dev/null 2>&1 && ok_python "$c"; then
            command -v "$c"; return 0
        fi
    done
    # pyenv keeps versions it does not put on PATH; its shims fail for them.
    local roots=()
    if command -v pyenv >/dev/null 2>&1; then roots+=("$(pyenv root)"); fi
    roots+=("${PYENV_ROOT:-$HOME/.pyenv}")
    for root in "${roots[@]}"; do
        for c in $(ls -d "$root"/versions/3.* 2>/dev/null | sort -t. -k2,2nr); do
            if [ -x "$c/bin/python3" ] && ok_python "$c/bin/python3"; then
                echo "$c/bin/python3"; return 0
            fi
        done
    done
    return 1
}

setup() {
    local want
    want=$(cksum < "$here/pyproject.toml")
    if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    if [ ! -x "$venv/bin/python" ] || ! ok_python "$venv/bin/python"; then
        local py
        if ! py=$(find_python); then
            echo "aiscale.sh: no Python 3.12 or newer found." >&2
            echo "  Looked at \$AISCALE_PYTHON, python3.14/3.13/3.12/python3/python on PATH," >&2
            echo "  and pyenv's versions. Install Python 3.12+ (Mesa 3.5 needs it), or point" >&2
            echo "  AISCALE_PYTHON at one: AISCALE_PYTHON=/path/to/python3.12 ./aiscale.sh run" >&2
            exit 3
        fi
        echo "aiscale.sh: setting up .venv with $py ($("$py" --version 2>&1))" >&2
        rm -rf "$venv"
        "$py" -m venv "$venv"
    fi
    echo "aiscale.sh: installing aiscale-sim and its dependencies into .venv (first run only)" >&2
    "$venv/bin/python" -m pip install --quiet --upgrade pip >&2
    "$venv/bin/python" -m pip install --quiet -e "$here[all]" >&2
    echo "$want" > "$stamp"
}

setup
cmd="${1:-run}"
[ $# -gt 0 ] && shift
case "$cmd" in
    test)
        cd "$here"
        exec "$venv/bin/python" -m pytest "$@"
        ;;
    setup)
        echo "aiscale.sh: ready ($("$venv/bin/python" --version))"
        ;;
    *)
        exec "$venv/bin/aiscale" "$cmd" "$@"
        ;;
esac
