#!/usr/bin/env bash
# Runs each fuzz target for a bounded time (SECONDS_PER_TARGET, default 60) and prints, per
# target, the runs and execs/s libFuzzer reports. Exits non-zero on the first finding.
#
#   fuzz/run.sh                                  # every target, 60 s each
#   SECONDS_PER_TARGET=600 fuzz/run.sh importer  # some targets, longer
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`, installed here when missing) and a
# toolchain that takes -Z flags: the rustup `nightly` toolchain when there is one, otherwise the
# stable one with RUSTC_BOOTSTRAP=1. SANITIZER (default `none`: the code fuzzed is safe Rust,
# so a panic or a failed assertion is the finding, and an uninstrumented build runs several
# times faster; `address` for ASan). The fuzz crate takes the project's Cargo.lock, so that it
# builds the same dependency versions. Findings are kept in fuzz/artifacts/<target>/, the
# corpus in fuzz/corpus/<target>/ (both ignored by git); replay one with
# `cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-…`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SECONDS_PER_TARGET=${SECONDS_PER_TARGET:-60}
SANITIZER=${SANITIZER:-none}
TARGETS=("$@")
if [[ ${#TARGETS[@]} -eq 0 ]]; then
    TARGETS=(front_matter dates query_params json_bodies importer)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi
if [[ ! -f fuzz/Cargo.lock ]]; then
    cp Cargo.lock fuzz/Cargo.lock
fi

summary=()
for target in "${TARGETS[@]}"; do
    echo "== $target, ${SECONDS_PER_TARGET}s" >&2
    mkdir -p "fuzz/corpus/$target"
    log=$(mktemp /tmp/betadata-fuzz-"$target".XXXXXX)
    if ! cargo "${toolchain[@]}" fuzz run --sanitizer "$SANITIZER" "$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -max_len=4096 -print_final_stats=1 2>&1 | tee "$log" >&2; then
        echo "fuzz: $target found a failure; see fuzz/artifacts/$target/ and $log" >&2
        exit 1
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    corpus=$(find "fuzz/corpus/$target" -type f | wc -l)
    summary+=("| $target | ${SECONDS_PER_TARGET} | $runs | $speed | $corpus |")
    rm -f "$log"
done
printf '| target | seconds | runs | execs/s | corpus files |\n| --- | ---: | ---: | ---: | ---: |\n'
printf '%s\n' "${summary[@]}"
