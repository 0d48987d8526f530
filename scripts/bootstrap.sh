#!/usr/bin/env bash
# Installs, through apt-get, whatever building and testing multiproc needs and
# the machine lacks: cmake, g++, make, GoogleTest, Google Benchmark, python3, plus
# any package named on the command line. Does nothing (not even
# `apt-get update`) when everything is already installed.
#
#   scripts/bootstrap.sh [extra-package...]
#
# The optional multiproc::mpi (and its tests and benchmark rows) need
#   scripts/bootstrap.sh libopenmpi-dev openmpi-bin python3-mpi4py \
#     python3-distributed
# or MULTIPROC_BOOTSTRAP_MPI=1, which adds them (the last two only for the
# comparison rows of bench/mpi_bench.sh: mpi4py.futures and Dask).
set -euo pipefail

packages=(cmake g++ make libgtest-dev libbenchmark-dev python3 "$@")
if [[ ${MULTIPROC_BOOTSTRAP_MPI:-0} == 1 ]]; then
  packages+=(libopenmpi-dev openmpi-bin python3-mpi4py python3-distributed)
fi
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
      grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "bootstrap: missing ${missing[*]}, and there is no apt-get here:" \
       "install them by hand" >&2
  exit 1
fi
sudo=()
if [[ $(id -u) != 0 ]]; then
  sudo=(sudo)
fi
echo "bootstrap: installing ${missing[*]}"
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
