# shellcheck shell=bash
# The command line of a bench script whose settings all come from the environment: sourced,
# not run, with the script's arguments (`source bench/args.sh "$@"`). `-h` or `--help` prints
# the script's opening comment, up to its `set -euo pipefail`, and exits; any other argument
# is refused.

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
