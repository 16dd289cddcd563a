# shellcheck shell=bash
# What the bench scripts that serve a generated database share: sourced, not run. The script
# sets WORK (a temporary folder) and PG_DB (the name of its PostgreSQL database) first.
#
#   serve BIN URL    starts `BIN serve` (cache and spool off) on URL's database on a free
#                    loopback port, waits for /health; sets BASE and SERVER_PID
#   stop_server      stops it
#   database BACKEND sets URL to a fresh database of BACKEND (sqlite, postgres); returns 1,
#                    saying so, when PostgreSQL is skipped (SKIP_PG) or does not answer
#   generated BACKEND BIN
#                    `database BACKEND`, filled by BIN (`generate`: STARTUPS startups with 10
#                    observations each, SEED); returns 1 when `database` does
#   pg_url DB        the URL of database DB on the server PGHOST, PGPORT and PGUSER name; a
#                    PGHOST that is a folder (/var/run/postgresql) is the server's socket in it
#   PG_CREATED=1     set once PG_DB is created: the cleanup on exit drops it
#   copy_database URL N
#                    sets COPY_URL to a copy of URL's database for build N, so that a build
#                    that migrates the database at start leaves the others' data as generated

SERVER_PID=
PG_CREATED=
PG_COPIES=()

stop_server() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}

cleanup() {
    stop_server
    local copy
    for copy in "${PG_COPIES[@]}"; do
        psql -q -d postgres -c "DROP DATABASE IF EXISTS $copy" >/dev/null 2>&1 || true
    done
    if [[ -n $PG_CREATED ]]; then
        psql -q -d postgres -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

serve() {
    local port waited=0
    port=$(free_port)
    BASE="http://127.0.0.1:$port"
    "$1" --database "$2" serve --bind "127.0.0.1:$port" --cache-mib 0 --spool-mib 0 \
        >"$WORK/serve.log" 2>&1 &
    SERVER_PID=$!
    until curl -sf --max-time 2 -o /dev/null "$BASE/health"; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null || ((waited >= 600)); then
            echo "the server did not answer /health:" >&2
            cat "$WORK/serve.log" >&2
            exit 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
}

pg_url() {
    local host=$PGHOST
    [[ $host == /* ]] && host=${host//\//%2F}
    echo "postgres://$PGUSER@$host:$PGPORT/$1"
}

# shellcheck disable=SC2034 # URL is read by the scripts that source this file
database() {
    case $1 in
    sqlite) URL="$WORK/$1.db" ;;
    postgres)
        if [[ -n ${SKIP_PG:-} ]] || ! psql -q -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
            echo "postgres: skipped"
            return 1
        fi
        psql -q -d postgres -c "CREATE DATABASE $PG_DB" >/dev/null
        PG_CREATED=1
        URL=$(pg_url "$PG_DB")
        ;;
    esac
}

generated() {
    database "$1" || return 1
    "$2" --database "$URL" generate --startups "$STARTUPS" \
        --observations $((STARTUPS * 10)) --seed "$SEED" >"$WORK/generate.log" 2>&1
}

copy_database() {
    local url=$1 n=$2
    case $url in
    postgres://*)
        local copy="${PG_DB}_$n"
        if [[ ! " ${PG_COPIES[*]} " == *" $copy "* ]]; then
            psql -q -d postgres -c "CREATE DATABASE $copy TEMPLATE $PG_DB" >/dev/null
            PG_COPIES+=("$copy")
        fi
        COPY_URL=$(pg_url "$copy")
        ;;
    *)
        COPY_URL="${url%.db}-$n.db"
        if [[ ! -e $COPY_URL ]]; then
            cp "$url" "$COPY_URL"
        fi
        ;;
    esac
}
