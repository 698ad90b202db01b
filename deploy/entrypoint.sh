#!/bin/sh
# The image's entrypoint. `agent ARGS` runs a probe agent for another site,
# `migrate ARGS` applies the PostgreSQL schema (or copies a KV file's history
# into PostgreSQL); anything else runs as given (the CMD: the service). The
# permissions are the tasks' in deno.json, narrowed to the container's paths.
set -eu
case "${1:-}" in
  agent)
    shift
    exec deno run --cached-only \
      --allow-ffi=/app/probe/native/libpla_icmp.so --allow-read=/app \
      --allow-write=/data --allow-net --allow-env --allow-sys=hostname \
      /app/agent/agent_cli.ts "$@"
    ;;
  migrate)
    shift
    exec deno run --cached-only --allow-net --allow-env \
      --allow-read=/app,/data --allow-write=/data \
      /app/server/store/pg/migrate_cli.ts "$@"
    ;;
esac
exec "$@"
