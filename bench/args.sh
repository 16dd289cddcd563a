# shellcheck shell=bash
# The command line of a bench script whose settings all come from the environment: sourced,
# not run, with the script's arguments (`source bench/args.sh "$@"`). `-h` or `--help` prints
# the script's opening comment, up to its `set -euo pipefail`, and exits; any other argument
# is refused. `builds "$BINS"` then reads the binaries BINS names, apart by spaces, into the
# array BUILDS, and exits unless each is executable.

case "${1:-}" in
-h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
"") ;;
*)
    echo "unknown argument: $1 (see --help; settings come from the environment)" >&2
    exit 2
    ;;
esac

# shellcheck disable=SC2034 # BUILDS is read by the scripts that source this file
builds() {
    read -r -a BUILDS <<<"$1"
    local bin
    for bin in "${BUILDS[@]}"; do
        [[ -x $bin ]] || { echo "no executable betadata at $bin" >&2; exit 2; }
    done
}
