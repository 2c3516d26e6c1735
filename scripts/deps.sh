#!/usr/bin/env bash
# scripts/deps.sh: installs, with apt-get, the Debian 12 packages weft needs that
# are missing. Extra package names given as arguments are installed too (e.g.
# golang-go libboost-fiber-dev for the benchmark peers).
set -euo pipefail
need=(cmake make gcc g++ pkg-config libboost-context-dev libcmocka-dev libhwloc-dev valgrind "$@")
missing=()
for p in "${need[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
