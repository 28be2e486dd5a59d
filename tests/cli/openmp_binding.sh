#!/usr/bin/env bash
# OpenMP binding variables must not pin attnlab to one CPU: oneDNN's GNU OpenMP
# would bind the process when it loads (framework/cli/openmp_environment.cpp).
# A training run started with them set may use every CPU this shell may use.
#   usage: openmp_binding.sh ATTNLAB
set -euo pipefail
attnlab=$1
mine=$(grep Cpus_allowed_list /proc/self/status | cut -f2)
OMP_PROC_BIND=true OMP_PLACES=cores GOMP_CPU_AFFINITY=0 \
  "$attnlab" train --steps 100000 --d-model 16 --heads 2 --layers 1 --ffn 32 --log-every 100000 \
  > /dev/null &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
sleep 1
theirs=$(grep Cpus_allowed_list "/proc/$pid/status" | cut -f2)
echo "this shell: CPUs $mine; attnlab started with OMP_PROC_BIND=true: CPUs $theirs"
[[ $theirs == "$mine" ]]
