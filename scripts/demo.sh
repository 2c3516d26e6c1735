#!/usr/bin/env bash
# scripts/demo.sh: installs what is missing, builds weft (release) and runs the
# showcase example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_TESTS=OFF -DWEFT_BENCH=OFF
cmake --build build/release -j"$(nproc)"
./build/release/examples/seed_lock
