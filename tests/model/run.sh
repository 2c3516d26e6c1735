#!/usr/bin/env bash
# tests/model/run.sh [WORKDIR]: exhaustive SPIN verification of the park/wake and
# waiter-queue models (see README.md beside this file).
#
# For every configuration below: spin generates the verifier (pan.c) from a copy
# of the model in WORKDIR, gcc compiles it, and one exhaustive search with the
# model's LTL claim must report 0 errors (every assertion, and the claim). Each
# known finding about the C code must still be reproduced. Then every mutant in
# mutants/ (a copy of a model with one deliberate bug) must FAIL with the
# violation its header names: a mutant that verifies would mean the property it
# targets is vacuous. Prints one line per check; exits non-zero on any failure.
#
#   WORKDIR                 where pan files go (default: $TMPDIR/weft-model)
#   WEFT_MODEL_OPTIONAL=1   exit 0 (with a message) when spin is not installed
#   WEFT_MODEL_JOBS=n       verifications run at once (default: nproc)
#   WEFT_MODEL_CC           compiler for pan.c (default: gcc, else cc)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
work="${1:-${TMPDIR:-/tmp}/weft-model}"

if ! command -v spin > /dev/null 2>&1; then
    if [ "${WEFT_MODEL_OPTIONAL:-0}" = 1 ]; then
        echo "model: SKIPPED: spin is not installed (WEFT_MODEL_OPTIONAL=1)"
        exit 0
    fi
    echo "model: spin is not installed: the model check cannot run." >&2
    echo "model: install it with 'apt-get install -y spin' (Debian package spin;" \
        "scripts/test.sh installs it), or set WEFT_MODEL_OPTIONAL=1 to skip." >&2
    exit 1
fi
cc="${WEFT_MODEL_CC:-}"
if [ -z "$cc" ]; then
    if command -v gcc > /dev/null 2>&1; then cc=gcc; else cc=cc; fi
fi
command -v "$cc" > /dev/null 2>&1 || { echo "model: no C compiler ($cc) for pan.c" >&2; exit 1; }
jobs="${WEFT_MODEL_JOBS:-$(nproc 2> /dev/null || echo 1)}"

mkdir -p "$work"
work="$(cd "$work" && pwd)"
now_ms() { date +%s%3N; }
secs() { # since-ms: seconds elapsed, one decimal
    local d=$(($(now_ms) - $1))
    echo "$((d / 1000)).$((d % 1000 / 100))"
}
start=$(now_ms)

# name | model | spin flags. Each is searched once, exhaustively, with the model's
# LTL claim `live` (pan -a): that search also checks every assertion, and the
# claim (<> all_done) fails on any blocked end state as well as on a cycle. The
# models' state graphs have no cycles (every loop ends), so no fairness is
# assumed: without it the check is at least as strong.
configs=(
    "park-fiber|park.pml|"
    "park-thread|park.pml|-DTHREAD"
    "waitq-2|waitq.pml|-DN=2"
    "waitq-3|waitq.pml|-DN=3 -DFIXED_ENV"
    "waitq-bounded|waitq.pml|-DN=2 -DSEM_MAX=1 -DONE_RELEASER"
    "waitq-bounded-gave-up|waitq.pml|-DN=1 -DSEM_MAX=1 -DONE_RELEASER"
    "waitq-bounded-race|waitq.pml|-DN=1 -DREL1=1 -DREL2=1 -DSEM_MAX=1"
)
# Known findings about the C code: configurations that must still report the
# named violation until the C code (and the model with it) is fixed.
# name | model | spin flags | check | expected violation (ERE) | finding
findings=()

pan_cc() { # dir out extra-flags...
    local dir="$1" out="$2"
    shift 2
    (cd "$dir" && "$cc" -w -DCOLLAPSE "$@" -o "$out" pan.c)
}

# Generates dir/pan.c from a copy of the model.
generate() { # dir model-file spin-flags
    local dir="$1" src="$2" flags="$3" base
    base="$(basename "$src")"
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$src" "$dir/$base"
    # shellcheck disable=SC2086
    (cd "$dir" && spin -a $flags "$base" > spin.log 2>&1) || {
        echo "spin -a $flags $base failed:"
        cat "$dir/spin.log"
        return 1
    }
}

states_of() { # pan output -> "N states"
    local n
    n="$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$1" | head -1)"
    printf '%.0f' "${n:-0}"
}

# A complete search without errors.
clean() { # pan output
    grep -q 'errors: 0$' "$1" && ! grep -qi 'search depth too small\|out of memory' "$1"
}

# One verified configuration: writes dir/result (one summary line) and returns 0,
# or prints why it failed and returns 1.
verify() { # name model flags
    local name="$1" model="$2" flags="$3" dir="$work/$1" t0 ltl
    t0=$(now_ms)
    generate "$dir" "$here/$model" "$flags" || return 1
    pan_cc "$dir" pan -O1 || { echo "$name: pan.c does not compile"; return 1; }
    (cd "$dir" && ./pan -a -N live -m200000 > pan.out 2>&1) || true
    if ! clean "$dir/pan.out"; then
        echo "$name: FAILED ($model $flags):"
        grep -E '^pan:|errors:' "$dir/pan.out" | head -5
        echo "  replay: cd $dir && spin -t -p -g $flags $(basename "$model")"
        return 1
    fi
    ltl="$(sed -n 's/^ltl live: *//p' "$dir/spin.log" | head -1)"
    printf 'model %-24s OK: %s states, every assertion and ltl %s hold (%s s)\n' \
        "$name" "$(states_of "$dir/pan.out")" "$ltl" "$(secs "$t0")" > "$dir/result"
}

# One configuration that must fail with the expected violation.
refute() { # label name model flags check expect
    local label="$1" name="$2" model="$3" flags="$4" check="$5" expect="$6"
    local dir="$work/$2" out t0
    t0=$(now_ms)
    generate "$dir" "$model" "$flags" || return 1
    # safety: assertions and invalid end states, no claim; ltl: the claim `live`
    if [ "$check" = ltl ]; then
        pan_cc "$dir" pan -O0 || { echo "$name: pan.c does not compile"; return 1; }
        (cd "$dir" && ./pan -a -N live -m200000 > run.out 2>&1) || true
    else
        pan_cc "$dir" pan -O0 -DNOCLAIM || { echo "$name: pan.c does not compile"; return 1; }
        (cd "$dir" && ./pan -m200000 > run.out 2>&1) || true
    fi
    out="$dir/run.out"
    if clean "$out" || ! grep -q 'errors: [1-9]' "$out"; then
        echo "$label $name: VERIFIED, but it must fail ($expect): the property is vacuous"
        return 1
    fi
    if ! grep -qE "$expect" "$out"; then
        echo "$label $name: failed, but not with the expected violation /$expect/:"
        grep -E '^pan:' "$out" | head -3
        return 1
    fi
    printf '%s %-24s FAILS as required: %s (%s states, %s s)\n' "$label" "$name" \
        "$(grep -m1 -E "$expect" "$out" | sed 's/^pan:[0-9]*: *//; s/ *(at depth [0-9]*)$//')" \
        "$(states_of "$out")" "$(secs "$t0")" > "$dir/result"
}

field() { # file key: the value of "/*M key: value */" header lines, joined
    sed -n "s|^/\*M $2: *\(.*\) \*/\$|\1|p" "$1" | tr '\n' ' ' | sed 's/ *$//'
}

code_of() { # model file: its code without comments, blank lines or indentation
    grep -v '^/\*M ' "$1" | "$cc" -fpreprocessed -dD -E -P -x c - 2> /dev/null |
        sed 's/[[:space:]]\+/ /g; s/^ //; s/ $//' | grep -v '^$'
}

mutant() { # file
    local f="$1" name base flags check expect changed
    name="$(basename "$f" .pml)"
    base="$(field "$f" BASE)"
    flags="$(field "$f" FLAGS)"
    check="$(field "$f" CHECK)"
    expect="$(field "$f" EXPECT)"
    if [ -z "$base" ] || [ -z "$check" ] || [ -z "$expect" ] || [ ! -f "$here/$base" ]; then
        echo "mutant $name: header needs /*M BASE: */, /*M CHECK: */, /*M EXPECT: */"
        return 1
    fi
    # A mutant is its base model plus one small bug: if the base's code changed
    # since (comments do not count), re-create the mutant from it, else it would
    # test a stale model.
    changed="$(diff <(code_of "$f") <(code_of "$here/$base") | grep -c '^[<>]' || true)"
    if [ "$changed" -gt 12 ]; then
        echo "mutant $name: its code differs from $base's in $changed lines: re-create" \
            "it from the current $base (copy it, re-apply the bug, keep the /*M */ header)"
        return 1
    fi
    refute mutant "$name" "$f" "$flags" "$check" "$expect"
}

# --- run everything, up to $jobs at once, then report in order ---
tasks=()
for c in "${configs[@]}"; do tasks+=("verify|$c"); done
for c in "${findings[@]}"; do tasks+=("finding|$c"); done
for f in "$here"/mutants/*.pml; do tasks+=("mutant|$f"); done

run_task() { # index task (in a background subshell)
    set +e
    local i="$1" kind a b c d e
    IFS='|' read -r kind a b c d e _ <<< "$2"
    case "$kind" in
    verify) verify "$a" "$b" "$c" ;;
    finding) refute finding "$a" "$here/$b" "$c" "$d" "$e" ;;
    mutant) mutant "$a" ;;
    esac > "$work/task.$i.log" 2>&1
    echo $? > "$work/task.$i.rc"
}

rm -f "$work"/task.*
running=0
for i in "${!tasks[@]}"; do
    run_task "$i" "${tasks[$i]}" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true

fail=0
nmut=0
for i in "${!tasks[@]}"; do
    IFS='|' read -r kind a _ <<< "${tasks[$i]}"
    case "$kind" in
    verify | finding) dir="$work/$a" ;;
    mutant) dir="$work/$(basename "$a" .pml)"; nmut=$((nmut + 1)) ;;
    esac
    if [ "$(cat "$work/task.$i.rc" 2> /dev/null || echo 1)" = 0 ] && [ -f "$dir/result" ]; then
        cat "$dir/result"
        if [ "$kind" = finding ]; then
            echo "        (known finding: $(echo "${tasks[$i]}" | cut -d'|' -f7))"
        fi
    else
        fail=1
        sed 's/^/FAIL: /' "$work/task.$i.log"
    fi
done
elapsed="$(secs "$start")"
if [ "$fail" != 0 ]; then
    echo "model check FAILED (work files in $work)"
    exit 1
fi
printf 'model check: %d configurations verified, %d finding(s) reproduced, %d mutants refuted, %s s\n' \
    "${#configs[@]}" "${#findings[@]}" "$nmut" "$elapsed"
