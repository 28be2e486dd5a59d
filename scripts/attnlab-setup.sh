#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (run as root):
#   bash scripts/attnlab-setup.sh run    install what is missing, build (Release), run the default job
#   bash scripts/attnlab-setup.sh test   install what is missing, build, run every test
#                                        (the format check, the Release suite built by g++,
#                                        then the ASan+UBSan suite built by clang, then a
#                                        minute of fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake libeigen3-dev libfmt-dev libyaml-cpp-dev libhdf5-dev hdf5-tools
          libboost-dev libboost-program-options-dev catch2 python3-torch python3-h5py python3-numpy
          nlohmann-json3-dev            # safetensors headers (model interchange)
          python3-scipy                 # the reference the statistics are tested against
          python3-matplotlib            # analysis/plots/ and the report's pictures
          chromium chromium-driver python3-selenium   # the report is tested in a real browser
          libopenblas0-pthread   # PyTorch falls back to reference BLAS without it: the benchmark peer needs it
          libdnnl-dev            # oneDNN's sgemm computes the larger matrix products (docs/performance.md)
          clang-14 libclang-rt-14-dev   # the second compiler: sanitizers and libFuzzer
          clang-format                  # the house format (.clang-format), checked by the tests
          slurm-wlm munge               # a real one-node SLURM that the cluster tests start and stop
          openmpi-bin libopenmpi-dev libboost-mpi-dev   # MPI inside an allocation (mpirun)
          time bc                       # the benchmarks in bench/ time runs and compute ratios
          pybind11-dev python3-dev)     # `import attnlab`: the Python module (python/bindings), built with pybind11 against Python's headers
JOBS=${ATTNLAB_JOBS:-$(nproc)}

install_missing_packages() {
  local missing=()
  for package in "${PACKAGES[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  if ((${#missing[@]})); then
    echo "== installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

build() {  # build DIR [cmake options...]
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
}

fuzz() {  # fuzz BUILD_DIR SECONDS: the experiment loader's fuzz target from the seed corpus
  local found
  found=$(mktemp -d)
  "$1/tests/fuzz_experiment_loader" -max_total_time="$2" -rss_limit_mb=4096 -timeout=30 \
    -artifact_prefix="$found/" "$found" tests/fuzz/corpus > "$found/fuzz.log" 2>&1 ||
    { tail -40 "$found/fuzz.log"; echo "fuzzing found a failure; the input is in $found" >&2; return 1; }
  grep -E "^#[0-9]+ +DONE|^Done" "$found/fuzz.log" | tail -1
  rm -rf "$found"
}

PASSED=0
FAILED=0
check_format() {  # every tracked C++ file as .clang-format lays it out; one test
  local unformatted=()
  while IFS= read -r file; do
    clang-format --dry-run --Werror "$file" >/dev/null 2>&1 || unformatted+=("$file")
  done < <(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find framework plugins tests bench -name '*.[ch]pp')
  if ((${#unformatted[@]})); then
    echo "format check: ${#unformatted[@]} file(s) differ from .clang-format (run clang-format -i):"
    printf '  %s\n' "${unformatted[@]}"
    FAILED=$((FAILED + 1))
  else
    echo "format check: every C++ file matches .clang-format"
    PASSED=$((PASSED + 1))
  fi
}
ctest_counts() {  # ctest_counts LOG: prints "FAILED TOTAL" from a ctest log
  local summary
  summary=$(grep -Eo '[0-9]+ tests failed out of [0-9]+' "$1" | tail -1)
  [[ $summary =~ ([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+) ]] &&
    echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
}
run_tests() {  # run_tests DIR: ctest there, adding its counts to PASSED and FAILED
  local log status=0 failed total
  log=$(mktemp)
  (cd "$1" && ctest -j "$JOBS" --output-on-failure) | tee "$log" || status=$?
  read -r failed total < <(ctest_counts "$log") || { failed=0 total=0; }
  # clang 14's LeakSanitizer sometimes crashes in its own stop-the-world tracer at exit
  # ("LeakSanitizer has encountered a fatal error"), after the test itself passed. Only
  # then are the failed tests run once more; a real leak report fails again.
  if ((status != 0)) && grep -q 'LeakSanitizer has encountered a fatal error' "$log"; then
    echo "== the leak checker itself crashed; running the failed tests once more"
    status=0
    (cd "$1" && ctest --rerun-failed --output-on-failure) | tee "$log" || status=$?
    local refailed
    read -r refailed _ < <(ctest_counts "$log") && failed=$refailed
  fi
  rm -f "$log"
  FAILED=$((FAILED + failed))
  PASSED=$((PASSED + total - failed))
  return "$status"
}

install_missing_packages
case "${1:-run}" in
  run)
    build build
    ./build/framework/cli/attnlab
    ;;
  test)
    echo "== format check"
    check_format
    build build
    run_tests build
    echo "== sanitizer build with clang (AddressSanitizer + UndefinedBehaviorSanitizer, libFuzzer)"
    # Without MPI: OpenMPI's own allocations would drown LeakSanitizer's report, and this
    # build's suite checks instead that a build without MPI refuses to run under mpirun.
    # Without oneDNN: its JIT code is invisible to the sanitizers, and this suite then
    # covers the build in which Eigen computes every product.
    CC=clang-14 CXX=clang++-14 build build-clang-sanitize -DATTNLAB_SANITIZE=ON -DATTNLAB_FUZZ=ON \
      -DATTNLAB_BUILD_BENCH=OFF -DATTNLAB_MPI=OFF -DATTNLAB_ONEDNN=OFF
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_tests build-clang-sanitize
    echo "== fuzzing the experiment loader for 60 s"
    fuzz build-clang-sanitize 60
    PASSED=$((PASSED + 1))
    echo "== every suite: the format check, the Release suite (g++), the sanitizer suite (clang) and the fuzzing"
    echo "tests: $PASSED passed, $FAILED failed"
    ((FAILED == 0))
    ;;
  *)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
