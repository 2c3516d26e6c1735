#!/usr/bin/env bash
# scripts/test.sh: installs what is missing, then builds and runs the whole test
# suite three times: a Debug build, an ASan+UBSan build and a TSan build, all
# with warnings as errors; then the fuzz build: the libFuzzer targets of
# tests/fuzz (clang, ASan+UBSan) replay their seed corpora and fuzz for a
# bounded time each (WEFT_FUZZ_SECONDS, default 20). Exits non-zero on the
# first failure.
#   WEFT_TEST_BUILDS="debug asan tsan fuzz"   which builds to run (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
builds="${WEFT_TEST_BUILDS:-debug asan tsan fuzz}"
extra=()
case " $builds " in
*" fuzz "*) extra=(clang libclang-rt-14-dev) ;; # clang and its libFuzzer runtime
esac
# spin: the model check of the waiter protocol (tests/model, ctest model_check)
bash scripts/deps.sh spin "${extra[@]}"
jobs="$(nproc)"
for b in $builds; do
    case "$b" in
    debug) san="" ;;
    asan) san="address" ;;
    tsan) san="thread" ;;
    fuzz) san="address" ;;
    *) echo "unknown build $b" >&2; exit 2 ;;
    esac
    dir="build/test-$b"
    echo "=== $b build ==="
    if [ "$b" = fuzz ]; then
        # Only the fuzz targets are built; ctest runs the tests labelled fuzz.
        cmake -S . -B "$dir" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
            -DWEFT_SANITIZE="$san" -DWEFT_WERROR=ON -DWEFT_BENCH=OFF \
            -DWEFT_EXAMPLES=OFF -DWEFT_FUZZ=ON \
            -DWEFT_FUZZ_SECONDS="${WEFT_FUZZ_SECONDS:-20}" > /dev/null
        cmake --build "$dir" -j"$jobs" --target fuzz
        ASAN_OPTIONS="detect_leaks=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
            ctest --test-dir "$dir" --output-on-failure -j"$jobs" -L fuzz
        continue
    fi
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DWEFT_SANITIZE="$san" -DWEFT_WERROR=ON \
        -DWEFT_BENCH=OFF > /dev/null
    cmake --build "$dir" -j"$jobs"
    # Fiber switches confuse LeakSanitizer's stack scan only if unannotated;
    # ours are annotated, so leak detection stays on.
    ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" \
        ctest --test-dir "$dir" --output-on-failure -j"$jobs"
done
echo "=== all test builds passed: $builds ==="
