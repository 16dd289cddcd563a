# betadata: open-data API (actix-web + diesel, SQLite by default, PostgreSQL optional).
#
#   docker build -t betadata .
#   docker run -p 8080:8080 -v betadata-data:/var/lib/betadata betadata
#
# SQLite is bundled into the binary (libsqlite3-sys "bundled"), migrations and
# seeds are embedded at compile time, so the runtime image only needs libpq.

# ---------------------------------------------------------------------------
# Builder
# ---------------------------------------------------------------------------
FROM rust:1-bookworm AS builder

# diesel's postgres backend links libpq (pq-sys finds it via pkg-config/pg_config); the
# allocator's crate builds jemalloc with make.
# Versions are not pinned: Debian drops a package's old version from its mirror at each point
# release, so a pin would break the build, and bookworm's versions change only by fixes.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev make pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /usr/src/betadata

# 1. Dependencies only: build a dummy crate against the real manifest and
#    lockfile, so this layer is reused until Cargo.toml/Cargo.lock change.
#    Cargo.toml declares the bench `hot_paths`: cargo refuses the manifest
#    unless benches/hot_paths.rs exists, though a release build never compiles
#    it, so an empty one stands in (and stays for step 2). .cargo/config.toml
#    holds the flags the bundled SQLite is compiled with.
COPY Cargo.toml Cargo.lock build.rs ./
COPY .cargo ./.cargo
RUN mkdir src benches \
    && echo 'fn main() {}' > src/main.rs \
    && : > src/lib.rs \
    && : > benches/hot_paths.rs \
    && cargo build --release --locked \
    && rm -rf src

# 2. The real sources; touched so cargo rebuilds the crate over the dummy one
#    (COPY keeps the files' original, possibly older, modification times).
#    migrations/ and seeds/ are compiled in (embed_migrations!, include_str!).
COPY src ./src
COPY migrations ./migrations
COPY seeds ./seeds
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked

# ---------------------------------------------------------------------------
# Runtime
# ---------------------------------------------------------------------------
FROM debian:bookworm-slim

# Versions not pinned, for the reason given in the builder.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 betadata \
    && useradd --system --no-log-init --uid 10001 --gid betadata \
        --home-dir /var/lib/betadata --no-create-home \
        --shell /usr/sbin/nologin betadata \
    && mkdir -p /var/lib/betadata \
    && chown betadata:betadata /var/lib/betadata

COPY --from=builder /usr/src/betadata/target/release/betadata /usr/local/bin/betadata

ENV BETADATA_BIND=0.0.0.0:8080 \
    DATABASE_URL=/var/lib/betadata/betadata.db \
    RUST_LOG=info

WORKDIR /var/lib/betadata
EXPOSE 8080
# Declared after the chown above so a fresh volume is owned by betadata.
VOLUME /var/lib/betadata

# No HEALTHCHECK: the image has no HTTP client (curl/wget) to probe with.
# Numeric, so that a runtime checking runAsNonRoot needs no /etc/passwd (betadata:betadata).
USER 10001:10001
ENTRYPOINT ["betadata"]
CMD ["serve"]
