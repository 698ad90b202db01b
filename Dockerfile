# syntax=docker/dockerfile:1
# packet-loss-analyzer in one container: `docker compose up -d` (see README).
# Stage 1 compiles the C shim and bundles the page; stage 2 runs on the
# official Deno image as a non-root user, with every dependency cached at
# build time so the container needs no network to start.
ARG DENO_VERSION=2.9.6

FROM denoland/deno:debian-${DENO_VERSION} AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends gcc libc6-dev \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first, so a source change does not refetch them.
COPY deno.json deno.lock ./
RUN deno install --frozen
COPY . .
RUN deno task build \
  && deno cache --frozen server/main.ts agent/agent_cli.ts \
    server/store/pg/migrate_cli.ts

FROM denoland/deno:debian-${DENO_VERSION}
WORKDIR /app
COPY --from=build /deno-dir /deno-dir
COPY --from=build /app /app
RUN mkdir -p /data /config \
  && chown deno:deno /data \
  && chown -R deno:deno /deno-dir \
  && chmod -R a+rX /app
USER deno
# All interfaces: the port is published by the container runtime. The service
# then refuses to start unless the config requires sign-in or says `auth:
# {mode: open}` explicitly.
ENV HOST=0.0.0.0 \
  PORT=8080 \
  PLA_KV=/data/pla.kv
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["deno", "eval", "const r = await fetch(`http://127.0.0.1:${Deno.env.get('PORT') ?? 8080}/healthz`); Deno.exit(r.ok ? 0 : 1)"]
# The same permissions and V8 flags as `deno task start`, narrowed to the
# container's paths: FFI for the shim and for libdatachannel's prebuilt addon
# (device tests; without it POST /api/device-tests answers 503 naming it).
# Set PLA_CONFIG=/config/<file> (compose.yaml does) to use your own servers,
# PLA_DATABASE_URL=postgres://... to keep everything in PostgreSQL (replicas).
# `agent ...` and `migrate ...` as the command run the probe agent and the
# schema migration instead (deploy/entrypoint.sh).
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["deno", "run", "--cached-only", "--v8-flags=--max-semi-space-size=4", "--allow-ffi=/app/probe/native/libpla_icmp.so,/deno-dir/npm/registry.npmjs.org/@node-datachannel", "--allow-read=/app,/config,/data", "--allow-write=/data", "--allow-net", "--allow-env", "--allow-sys=hostname,networkInterfaces", "/app/server/main.ts"]
