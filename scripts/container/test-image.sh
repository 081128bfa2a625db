#!/usr/bin/env bash
# Builds the kv-server image here (no Docker engine: podman with chroot isolation, on a
# locally made Node 24 base image) and smoke-tests it: the image's user is node (uid
# 1000), its CLI builds and inspects a snapshot (node dist/cli.js), it serves
# /health/ready and a key from a mounted data file, and SIGTERM stops it with exit code 0. Run as `npm run test:container` (root; about 2 minutes cold).
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGE=localhost/kv-server:test
BASE=localhost/kv-node24-base:latest
PORT="${KV_CONTAINER_TEST_PORT:-18765}"
KEY=a00087fb-f747-4cb8-adfe-747d23673f27
log() { printf '[test-image] %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; [[ -f "${LOG:-}" ]] && sed 's/^/  | /' "$LOG" >&2; exit 1; }

if ! command -v podman >/dev/null || ! command -v buildah >/dev/null; then
  log 'installing podman and buildah'
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah debootstrap >/dev/null
fi
scripts/container/make-base-image.sh

log "building $IMAGE"
start=$SECONDS
podman build --quiet --isolation=chroot --network=host --build-arg NODE_IMAGE="$BASE" -t "$IMAGE" . >/dev/null
log "built in $((SECONDS - start)) s"

# `podman run` cannot create containers in this sandbox; buildah's chroot isolation runs
# the image's filesystem, user, workdir and environment with the host's network.
CONTAINER=$(buildah from --pull-never "$IMAGE")
LOG=$(mktemp)
SNAPSHOTS=$(mktemp -d)
cleanup() {
  # tini gives node a process group of its own: kill it by pid, then buildah's group.
  [[ -n "${APP:-}" ]] && kill -KILL "$APP" 2>/dev/null || true
  [[ -n "${RUNNER:-}" ]] && kill -KILL -- -"$RUNNER" 2>/dev/null || true
  buildah rm "$CONTAINER" >/dev/null 2>&1 || true
  rm -f "$LOG"
  rm -rf "$SNAPSHOTS"
}
trap cleanup EXIT

[[ "$(buildah run --isolation chroot "$CONTAINER" -- id -u)" == 1000 ]] || fail 'the image does not run as uid 1000'
[[ -z "$(buildah run --isolation chroot "$CONTAINER" -- ls data)" ]] || fail 'data is baked into the image without BUNDLE_EXAMPLE_DATA'
buildah run --isolation chroot "$CONTAINER" -- test ! -d node_modules/typescript || fail 'dev dependencies in the image'
# The compile cache made at build time serves the image's user: a start reads it (no miss).
buildah run --isolation chroot -e NODE_DEBUG_NATIVE=COMPILE_CACHE -e PORT=check "$CONTAINER" -- node dist/main.js >"$LOG" 2>&1 || true
grep -q 'for ESM file:///app/dist/server.js.*success' "$LOG" || fail 'the compile cache made at build time is not read'
log 'the compile cache made at build time is read by the image user'

# The image can build a snapshot (issue 13): the CLI, run as the image's user, into a
# writable mount, then verified by the image's own inspect.
chmod 0777 "$SNAPSHOTS"
buildah run --isolation chroot -v "$PWD/data:/data:ro" -v "$SNAPSHOTS:/snapshots" "$CONTAINER" -- \
  node dist/cli.js build /data/example.data --output /snapshots/example.kvs --no-progress >"$LOG" 2>&1 ||
  fail 'node dist/cli.js build failed in the image'
grep -q '^  keys                   10012$' "$LOG" || fail 'the snapshot build did not report 10012 keys'
buildah run --isolation chroot -v "$SNAPSHOTS:/snapshots:ro" "$CONTAINER" -- \
  node dist/cli.js inspect /snapshots/example.kvs --no-progress >"$LOG" 2>&1 || fail 'node dist/cli.js inspect failed in the image'
grep -q '^  checksums              ok' "$LOG" || fail 'inspect did not verify the snapshot'
log 'built and inspected a snapshot with node dist/cli.js'

curl -fsS -o /dev/null "127.0.0.1:$PORT/" 2>/dev/null && fail "port $PORT is already taken on 127.0.0.1"

# buildah ignores ENTRYPOINT/CMD, so the command is spelled out (tini -s: not PID 1 here).
setsid buildah run --isolation chroot --network host -e PORT="$PORT" -e HOST=127.0.0.1 \
  -v "$PWD/data:/data:ro" -e KV_DATA_FILE_PATH=/data/example.data \
  "$CONTAINER" -- tini -s -- node dist/main.js >"$LOG" 2>&1 </dev/null &
RUNNER=$!

for _ in $(seq 1 100); do
  TINI=$(pgrep -g "$RUNNER" -x tini || true)
  [[ -n "$TINI" ]] && APP=$(pgrep -P "$TINI" || true)
  curl -fsS -o /dev/null "127.0.0.1:$PORT/health/ready" 2>/dev/null && break
  sleep 0.1
done
[[ -n "${APP:-}" ]] || fail 'cannot find tini and the node process it started'

curl -fsS "127.0.0.1:$PORT/health/ready" | grep -q '"status":"ok"' || fail '/health/ready is not 200 ok'
body=$(curl -fsS "127.0.0.1:$PORT/keys/$KEY") || fail "GET /keys/$KEY failed"
[[ "$body" == "{\"$KEY\":\"delta uniform\"}" ]] || fail "unexpected body: $body"
curl -fsS -o /dev/null "127.0.0.1:$PORT/docs/openapi.json" || fail '/docs/openapi.json is not served (a production dependency missing?)'
log "served /health/ready, /keys/$KEY and /docs/openapi.json"

# SIGTERM to the init process, as `docker stop` sends it (buildah itself forwards nothing);
# tini passes it on to node.
kill -TERM "$TINI"
status=0
wait "$RUNNER" || status=$?
RUNNER=
APP=
[[ $status -eq 0 ]] || fail "exit status $status after SIGTERM"
grep -q '"msg":"Stopped"' "$LOG" || fail 'no graceful stop in the log'
log 'stopped with exit code 0 after SIGTERM'
log 'PASS'
