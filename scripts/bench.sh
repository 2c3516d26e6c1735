#!/usr/bin/env bash
# scripts/bench.sh: installs what is missing (Go and Boost.Fiber for the peer
# columns; wrk, redis-server and redis-tools for the servers section), builds an
# optimised weft and prints the benchmark table. Arguments go to weft_bench
# (e.g. --quick for shorter server runs, --only servers, --reps N).
# The servers section starts its own redis-server on a free port, with no config
# file and no persistence; a system redis service (which installing the Debian
# package may start) is neither used nor touched.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh golang-go libboost-fiber-dev wrk redis-server redis-tools
cmake -S . -B build/release-bench -DCMAKE_BUILD_TYPE=Release -DWEFT_TESTS=OFF
cmake --build build/release-bench -j"$(nproc)"
./build/release-bench/bench/weft_bench "$@"
