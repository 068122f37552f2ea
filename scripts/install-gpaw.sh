#!/usr/bin/env bash
# Install GPAW (serial build, no MPI) and its PAW setups into a Python virtual environment.
#
# Usage: scripts/install-gpaw.sh [VENV]        (default: $VENV, else .venv)
#
# Steps (each skipped when already done, so the script is idempotent and cheap to rerun):
#   1. apt-get install libxc-dev libopenblas-dev (non-interactive; needs root or sudo),
#   2. write a serial siteconfig (mpi = False, compiler = 'g++', libraries = ['xc', 'blas'])
#      to .gpaw/siteconfig.py in the repository (git-ignored),
#   3. GPAW_CONFIG=.gpaw/siteconfig.py pip install gpaw gpaw-data into VENV.
# The PAW setups come from the gpaw-data wheel and are found by GPAW without GPAW_SETUP_PATH.
# Nothing is downloaded at run time; building GPAW takes about a minute on 2 cores.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${1:-${VENV:-.venv}}"
case "$VENV" in /*) ;; *) VENV="$REPO/$VENV" ;; esac
PY="$VENV/bin/python"
GPAW_SPEC="${GPAW_SPEC:-gpaw}"
GPAW_DATA_SPEC="${GPAW_DATA_SPEC:-gpaw-data}"

if [[ ! -x "$PY" ]]; then
    echo "install-gpaw: no Python at $PY; create the venv first (make dev)" >&2
    exit 2
fi

# The check: GPAW imports and finds a PBE setup for Li (i.e. gpaw-data is installed).
gpaw_ready() {
    "$PY" - <<'PY' >/dev/null 2>&1
from gpaw.setup import create_setup

create_setup("Li", "PBE")
PY
}

if gpaw_ready; then
    echo "install-gpaw: GPAW $("$PY" -c 'import gpaw; print(gpaw.__version__)') with setups already in $VENV"
    exit 0
fi

# 1. System libraries: libxc (exchange-correlation) and OpenBLAS (provides libblas.so).
need_pkgs=()
for pkg in libxc-dev libopenblas-dev; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
        || need_pkgs+=("$pkg")
done
if (( ${#need_pkgs[@]} )); then
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
    echo "install-gpaw: apt-get install ${need_pkgs[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${need_pkgs[@]}" build-essential >/dev/null
fi

# 2. Serial siteconfig (read by GPAW's setup.py through GPAW_CONFIG).
mkdir -p "$REPO/.gpaw"
SITECONFIG="$REPO/.gpaw/siteconfig.py"
cat > "$SITECONFIG" <<CFG
# Written by scripts/install-gpaw.sh: serial GPAW with libxc and OpenBLAS from Debian.
mpi = False
compiler = 'g++'
libraries = ['xc', 'blas']
# Debian installs libxc and libblas (OpenBLAS) where the compiler and linker look by default.
CFG

# 3. Build and install (no build isolation problems: gpaw builds against the venv's numpy).
echo "install-gpaw: building $GPAW_SPEC with $SITECONFIG into $VENV"
GPAW_CONFIG="$SITECONFIG" "$PY" -m pip install -q "$GPAW_SPEC" "$GPAW_DATA_SPEC"

if ! gpaw_ready; then
    echo "install-gpaw: GPAW installed but cannot create a Li PBE setup (gpaw-data missing?)" >&2
    exit 1
fi
echo "install-gpaw: GPAW $("$PY" -c 'import gpaw; print(gpaw.__version__)') ready in $VENV"
