#!/usr/bin/env bash
# Builds the container image from the Dockerfile with podman, runs it once on its embedded
# default (a SQLite file in the image's volume, migrated and seeded on first start), and checks
# it as a person would: /health answers 200, /api/v1/startups answers data, the server runs as
# uid 10001, and a stop drains it. Then removes the container (and its volume).
#
#   bench/docker.sh
#   NO_CACHE=1 bench/docker.sh      # rebuild every layer of the image
#
# Made for a machine with no container registry (only Debian's mirror and crates.io): when
# they are missing, it makes the two base images the Dockerfile names itself, under the names
# a registry would give them:
#   - docker.io/library/debian:bookworm-slim: a `debootstrap --variant=minbase bookworm` tree;
#   - docker.io/library/rust:1-bookworm: that image plus gcc and the host's own Rust toolchain
#     (the one `rustc` runs; 1.95 or newer), without its HTML docs.
# Both stay, as does the image (localhost/betadata:latest), so a second run reuses them.
#
# Prints the figures it measured: the build's time, the image's size, the time from `podman
# run` to the first 200 of /health, and the time `podman stop` took (and the exit code).
#
# On this 2-core machine (measured): a first run, bases to make and every layer to build, took
# 12 min 24 s (the image's build 600 s of it); a second run, all cached, 2.6 s; a build after a
# change to src/ only, 215 s (the dependencies' layer reused).
#
# Needs root, podman, runc, curl, jq, and debootstrap while a base is missing
# (`apt-get install -y podman runc debootstrap curl jq`).
# Environment: PORT (18080, loopback only), NO_CACHE (1 rebuilds every layer), MIRROR
# (http://deb.debian.org/debian).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PORT=${PORT:-18080}
NO_CACHE=${NO_CACHE:-}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
IMAGE=localhost/betadata:latest
DEBIAN=docker.io/library/debian:bookworm-slim
RUST=docker.io/library/rust:1-bookworm
NAME=betadata-docker-sh
# runc, and limits of its own: podman's defaults for both do not start containers here.
RUN_FLAGS=(--runtime runc --ulimit nofile=4096:4096 --ulimit nproc=4096:4096)

die() { echo "bench/docker.sh: $*" >&2; exit 1; }
# Seconds since the epoch, to the millisecond.
now() { date +%s.%3N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

[[ $(id -u) == 0 ]] || die "run it as root (debootstrap and rootful podman need it)"
for tool in podman runc curl jq; do
    command -v "$tool" >/dev/null || die "$tool is missing: apt-get install -y podman runc curl jq"
done

work=$(mktemp -d /var/tmp/betadata-docker.XXXXXX)
cleanup() {
    podman rm --force --volumes --ignore "$NAME" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# --- Base images -----------------------------------------------------------------------------

if ! podman image exists "$DEBIAN"; then
    command -v debootstrap >/dev/null || die "debootstrap is missing (to make $DEBIAN): apt-get install -y debootstrap"
    echo "== making $DEBIAN (debootstrap from $MIRROR)"
    debootstrap --variant=minbase bookworm "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
        || { tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
    # Updates and security fixes too, as the registry's image has them; no package lists kept.
    cat >"$work/rootfs/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${MIRROR%/debian}/debian-security bookworm-security main
EOF
    rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/archives/"*.deb
    # Slim as the registry's is: no manuals, docs (but copyrights) or translations, now or in
    # the packages installed later.
    cat >"$work/rootfs/etc/dpkg/dpkg.cfg.d/slim" <<EOF
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    find "$work/rootfs/usr/share/doc" -type f ! -name copyright -delete
    find "$work/rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    rm -rf "$work/rootfs/usr/share/man/"* "$work/rootfs/usr/share/info/"*
    # And as its apt is set: no package caches or downloaded packages kept after an install
    # (80 MB in an image otherwise), no translations fetched.
    cat >"$work/rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo 'Acquire::Languages "none";' >"$work/rootfs/etc/apt/apt.conf.d/docker-no-languages"
    rm -f "$work/rootfs/var/cache/apt/"*.bin
    tar -C "$work/rootfs" -c . | podman import --change 'CMD ["bash"]' - "$DEBIAN" >"$work/import.log" 2>&1 \
        || { cat "$work/import.log" >&2; die "podman import of the bookworm tree failed (log above)"; }
    rm -rf "$work/rootfs"
fi

if ! podman image exists "$RUST"; then
    command -v rustc >/dev/null || die "rustc is missing: the rust base image copies the host's toolchain"
    version=$(rustc --version | awk '{ print $2 }')
    [[ $(printf '%s\n' 1.95.0 "$version" | sort -V | head -1) == 1.95.0 ]] \
        || die "the host's rustc is $version; Cargo.toml needs 1.95 or newer"
    echo "== making $RUST (rustc $version from the host)"
    mkdir "$work/rust"
    cp -a "$(rustc --print sysroot)" "$work/rust/toolchain"
    rm -rf "$work/rust/toolchain/share/doc"
    # The certificate authorities the host added to its own (a TLS-inspecting proxy's, say),
    # so that cargo in the build reaches crates.io as the host does; none on most machines.
    mkdir "$work/rust/local-ca"
    cp /usr/local/share/ca-certificates/*.crt "$work/rust/local-ca/" 2>/dev/null || true
    # PATH and CARGO_HOME as in the registry's image; gcc links and builds the bundled SQLite.
    cat >"$work/rust/Containerfile" <<EOF
FROM $DEBIAN
RUN apt-get update \\
    && apt-get install -y --no-install-recommends ca-certificates gcc libc6-dev \\
    && rm -rf /var/lib/apt/lists/*
COPY local-ca /usr/local/share/ca-certificates
RUN update-ca-certificates
COPY toolchain /usr/local/rust
ENV CARGO_HOME=/usr/local/cargo \\
    PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EOF
    podman build "${RUN_FLAGS[@]}" --network host --pull=never -t "$RUST" "$work/rust" \
        >"$work/rust.log" 2>&1 || { tail -20 "$work/rust.log" >&2; die "building $RUST failed (log above)"; }
    rm -rf "$work/rust"
fi

# --- The image ---------------------------------------------------------------------------------

echo "== building $IMAGE from the Dockerfile (log: $work/build.log while it runs)"
build_flags=("${RUN_FLAGS[@]}" --network host --pull=never -t "$IMAGE")
[[ -n $NO_CACHE ]] && build_flags+=(--no-cache)
start=$(now)
podman build "${build_flags[@]}" . >"$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log" >&2; die "podman build failed (log above)"; }
build_s=$(since "$start")
size_mb=$(podman image inspect --format '{{.Size}}' "$IMAGE" | awk '{ printf "%.1f", $1 / 1e6 }')

# --- One run -----------------------------------------------------------------------------------

podman rm --force --volumes --ignore "$NAME" >/dev/null
start=$(now)
podman run "${RUN_FLAGS[@]}" -d --name "$NAME" -p "127.0.0.1:$PORT:8080" "$IMAGE" >/dev/null
health=
deadline=$(($(date +%s) + 60))
while (($(date +%s) < deadline)); do
    health=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health" || true)
    [[ $health == 200 ]] && break
    [[ $(podman inspect --format '{{.State.Running}}' "$NAME") == true ]] \
        || { podman logs "$NAME" >&2; die "the container stopped before answering (log above)"; }
    sleep 0.1
done
[[ $health == 200 ]] || { podman logs "$NAME" >&2; die "/health answered '$health', not 200, within 60 s"; }
first_s=$(since "$start")

startups=$(curl -sf "http://127.0.0.1:$PORT/api/v1/startups?page_size=1") \
    || die "/api/v1/startups did not answer 2xx"
first_id=$(jq -er '.data[0].id' <<<"$startups") || die "/api/v1/startups has no data: $startups"

# The uid of the server itself (pid 1), not of whoever `podman exec` would be.
uid=$(podman exec "$NAME" awk '/^Uid:/ { print $2 }' /proc/1/status)
[[ $uid == 10001 ]] || die "the server runs as uid $uid, not 10001"
db=$(podman exec "$NAME" stat -c '%s bytes, owner %u' /var/lib/betadata/betadata.db) \
    || die "no SQLite file at /var/lib/betadata/betadata.db"

start=$(now)
podman stop --time 30 "$NAME" >/dev/null
stop_s=$(since "$start")
code=$(podman inspect --format '{{.State.ExitCode}}' "$NAME")
podman rm --volumes "$NAME" >/dev/null

cat <<EOF
build:            ${build_s} s${NO_CACHE:+ (no cache)}
image size:       ${size_mb} MB ($IMAGE)
first /health:    200 after ${first_s} s from podman run (migrated and seeded on first start)
/api/v1/startups: 200, first startup "$first_id"
database:         /var/lib/betadata/betadata.db, $db
uid:              $uid
stop:             ${stop_s} s, exit code $code
EOF
[[ $code == 0 ]] || die "the server did not exit cleanly on SIGTERM (exit code $code)"
