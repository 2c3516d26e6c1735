#!/usr/bin/env bash
# scripts/bench.sh: installs what is missing (including Go and Boost.Fiber for the
# peer columns), builds an optimised weft and prints the benchmark table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh golang-go libboost-fiber-dev
cmake -S . -B build/release-bench -DCMAKE_BUILD_TYPE=Release -DWEFT_TESTS=OFF
cmake --build build/release-bench -j"$(nproc)"
./build/release-bench/bench/weft_bench "$@"
