#!/usr/bin/env bash
# Runs each fuzz target for a bounded time (SECONDS_PER_TARGET, default 60).
#
#   fuzz/run.sh                         # 60 s per target
#   SECONDS_PER_TARGET=600 fuzz/run.sh  # longer
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Findings are kept in
# fuzz/artifacts/<target>/, the corpus in fuzz/corpus/<target>/ (both ignored by git).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SECONDS_PER_TARGET=${SECONDS_PER_TARGET:-60}
for target in front_matter dates; do
    echo "== $target, ${SECONDS_PER_TARGET}s" >&2
    cargo +nightly fuzz run "$target" -- -max_total_time="$SECONDS_PER_TARGET" -max_len=4096
done
