#!/usr/bin/env bash
# Build a local stand-in for node:24-bookworm-slim, tagged localhost/kv-node24-base:latest,
# without pulling anything from a container registry:
#   debootstrap --variant=minbase bookworm (from the Debian mirror apt is configured with)
#   + Node 24 (binary + headers from node-linux-<arch>@24, the package that npm's node@24
#     installs) + npm (npm pack npm@11) in /usr/local
#   + user/group node (1000:1000, /home/node) + this machine's CA bundle
#   -> tar | podman import.
# Usage: scripts/container/make-base-image.sh [--force]
# Env overrides: KV_BASE_IMAGE, KV_NODE_VERSION (24), KV_NPM_SPEC (npm@11), KV_BASE_CACHE,
#   KV_NO_UPGRADE=1 (skip apt-get upgrade of -updates/-security in the rootfs).
# Needs root. Installs debootstrap/podman with apt-get if they are missing.
set -euo pipefail

IMAGE="${KV_BASE_IMAGE:-localhost/kv-node24-base:latest}"
NODE_RANGE="${KV_NODE_VERSION:-24}"
NPM_SPEC="${KV_NPM_SPEC:-npm@11}"
SUITE=bookworm
CACHE_DIR="${KV_BASE_CACHE:-/var/cache/kv-node24-base}"
HOST_CA=/etc/ssl/certs/ca-certificates.crt
IMG_CA=/usr/local/share/kv-build/ca-certificates.crt

log() { printf '[make-base-image] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

FORCE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) die "unknown argument: $arg" ;;
  esac
done

[[ $EUID -eq 0 ]] || die "must run as root (debootstrap, chroot, podman import)"

if [[ $FORCE -eq 0 ]] && command -v podman >/dev/null && podman image exists "$IMAGE"; then
  log "$IMAGE already exists; nothing to do (use --force to rebuild)"
  exit 0
fi

# --- tools -------------------------------------------------------------------
missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v podman >/dev/null || missing+=(podman)
if ((${#missing[@]})); then
  log "installing missing tools: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
command -v npm >/dev/null || die "npm is required on the host"
[[ -f $HOST_CA ]] || die "host CA bundle $HOST_CA not found"

# --- Debian mirror, read from apt's own configuration ----------------------------
# apt-get indextargets lists what 'apt-get update' fetches, for one-line and deb822 sources alike.
# shellcheck disable=SC2016  # $(...) are apt's format fields, not shell
targets="$(apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 'Created-By: Packages' 2>/dev/null | sort -u || true)"
repo_for() { awk -v s="$1" '$1 == s { sub(/\/+$/, "", $2); print $2; exit }' <<<"$targets"; }
MIRROR="$(repo_for "$SUITE")"
UPDATES_MIRROR="$(repo_for "$SUITE-updates")"
SECURITY_MIRROR="$(repo_for "$SUITE-security")"
[[ -n $MIRROR ]] || die "no '$SUITE' source found in apt's configuration (apt-get indextargets)"
log "Debian mirror: $MIRROR (updates: ${UPDATES_MIRROR:-none}, security: ${SECURITY_MIRROR:-none})"

# Pass apt's proxy settings, if any, on to debootstrap.
eval "$(apt-config shell APT_HTTP_PROXY Acquire::http::Proxy APT_HTTPS_PROXY Acquire::https::Proxy)"
if [[ -n ${APT_HTTP_PROXY:-} && ${APT_HTTP_PROXY} != DIRECT && -z ${http_proxy:-} ]]; then export http_proxy="$APT_HTTP_PROXY"; fi
if [[ -n ${APT_HTTPS_PROXY:-} && ${APT_HTTPS_PROXY} != DIRECT && -z ${https_proxy:-} ]]; then export https_proxy="$APT_HTTPS_PROXY"; fi
eval "$(apt-config shell APT_CHECK_VALID_UNTIL Acquire::Check-Valid-Until APT_CHECK_DATE Acquire::Check-Date)"

KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
keyring_opt=()
[[ -f $KEYRING ]] && keyring_opt=(--keyring="$KEYRING")

# --- work dir ------------------------------------------------------------------
mkdir -p "$CACHE_DIR/debs" "$CACHE_DIR/npm"
WORK="$(mktemp -d /var/tmp/kv-node24-base.XXXXXX)"
ROOTFS="$WORK/rootfs"
cleanup() {
  # debootstrap or chroot may leave mounts behind on failure: unmount before deleting.
  if command -v findmnt >/dev/null; then
    { findmnt -R -n -l -o TARGET "$ROOTFS" 2>/dev/null || true; } | sort -r \
      | while read -r m; do umount -l "$m" || true; done
  fi
  rm -rf --one-file-system "$WORK" || true
}
trap cleanup EXIT

# --- Node 24 --------------------------------------------------------------------------
# The npm package node@24 only carries a preinstall script that installs node-linux-<arch>@<ver>
# (bin/node + include/node); take that package directly with npm pack: no scripts, and unlike
# the npx cache (which a later `npm exec` prunes, headers included) it is a stable tarball.
case "$(uname -m)" in
  x86_64) NODE_ARCH=x64 ;; aarch64) NODE_ARCH=arm64 ;; ppc64le) NODE_ARCH=ppc64 ;; s390x) NODE_ARCH=s390x ;;
  *) die "unsupported architecture $(uname -m)" ;;
esac
log "fetching node-linux-$NODE_ARCH@$NODE_RANGE with npm pack"
rm -f "$CACHE_DIR"/npm/node-linux-*.tgz
(cd "$WORK" && npm pack "node-linux-$NODE_ARCH@$NODE_RANGE" --pack-destination "$CACHE_DIR/npm" --silent >/dev/null)
tgzs=("$CACHE_DIR"/npm/node-linux-*.tgz); NODE_TGZ="${tgzs[0]}"
[[ -f $NODE_TGZ ]] || die "npm pack produced no node tarball"
mkdir -p "$WORK/node"
tar -xzf "$NODE_TGZ" -C "$WORK/node" --strip-components=1 --no-same-owner
NODE_BIN="$WORK/node/bin/node"
NODE_VERSION="$("$NODE_BIN" --version)"
if [[ $NODE_RANGE =~ ^[0-9]+ && $NODE_VERSION != "v${BASH_REMATCH[0]}."* ]]; then
  die "expected Node $NODE_RANGE, got $NODE_VERSION"
fi
log "node $NODE_VERSION"
NODE_HEADERS="$WORK/node/include/node"
[[ -d $NODE_HEADERS ]] || { log "warning: no headers in $NODE_TGZ"; NODE_HEADERS=""; }

log "fetching $NPM_SPEC with npm pack"
rm -f "$CACHE_DIR"/npm/npm-*.tgz
(cd "$WORK" && npm pack "$NPM_SPEC" --pack-destination "$CACHE_DIR/npm" --silent >/dev/null)
tgzs=("$CACHE_DIR"/npm/npm-*.tgz); NPM_TGZ="${tgzs[0]}"
[[ -f $NPM_TGZ ]] || die "npm pack produced no tarball"

# --- Debian rootfs -----------------------------------------------------------------
log "debootstrap --variant=minbase $SUITE $MIRROR"
debootstrap --variant=minbase --cache-dir="$CACHE_DIR/debs" "${keyring_opt[@]}" \
  "$SUITE" "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
  || { tail -n 30 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }

# apt sources as in the official image (deb822), same mirror hosts as this machine.
rm -f "$ROOTFS/etc/apt/sources.list"
{
  printf 'Types: deb\nURIs: %s\nSuites: %s%s\nComponents: main\nSigned-By: %s\n' \
    "$MIRROR" "$SUITE" "${UPDATES_MIRROR:+ $SUITE-updates}" "$KEYRING"
  if [[ -n $SECURITY_MIRROR ]]; then
    printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: %s\n' \
      "$SECURITY_MIRROR" "$SUITE" "$KEYRING"
  fi
} >"$ROOTFS/etc/apt/sources.list.d/debian.sources"
if [[ -n $UPDATES_MIRROR && $UPDATES_MIRROR != "$MIRROR" ]]; then
  log "warning: $SUITE-updates is on a different mirror ($UPDATES_MIRROR); using $MIRROR for it"
fi

# apt settings of the official slim image, plus trust for this machine's CA bundle and
# this machine's Valid-Until/Date policy (needed when the mirror serves a dated snapshot).
cat >"$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'EOF'
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Acquire::GzipIndexes "true";' >"$ROOTFS/etc/apt/apt.conf.d/docker-gzip-indexes"
echo 'Acquire::Languages "none";' >"$ROOTFS/etc/apt/apt.conf.d/docker-no-languages"
echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$ROOTFS/etc/apt/apt.conf.d/docker-autoremove-suggests"
{
  echo "Acquire::https::CaInfo \"$IMG_CA\";"
  [[ ${APT_CHECK_VALID_UNTIL:-} =~ ^(false|0|no)$ ]] && echo 'Acquire::Check-Valid-Until "false";'
  [[ ${APT_CHECK_DATE:-} =~ ^(false|0|no)$ ]] && echo 'Acquire::Check-Date "false";'
  if [[ -n ${APT_HTTP_PROXY:-} ]]; then echo "Acquire::http::Proxy \"$APT_HTTP_PROXY\";"; fi
  if [[ -n ${APT_HTTPS_PROXY:-} ]]; then echo "Acquire::https::Proxy \"$APT_HTTPS_PROXY\";"; fi
  true
} >"$ROOTFS/etc/apt/apt.conf.d/99kv-build"

# dpkg path excludes of the official slim image.
mkdir -p "$ROOTFS/etc/dpkg/dpkg.cfg.d"
cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
find "$ROOTFS/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete 2>/dev/null || true
find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$ROOTFS"/usr/share/{groff,info,linda,lintian/overrides,locale,man}/* 2>/dev/null || true

# debootstrap installs from "$SUITE" only; take the -updates/-security fixes, as the official image has.
if [[ ${KV_NO_UPGRADE:-0} != 1 ]]; then
  log "apt-get upgrade inside the rootfs"
  [[ -s $ROOTFS/etc/resolv.conf ]] || cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"; chmod 0755 "$ROOTFS/usr/sbin/policy-rc.d"
  mount -t proc proc "$ROOTFS/proc"
  chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get update -q && apt-get -y -q -o Dpkg::Options::=--force-confold upgrade' >"$WORK/upgrade.log" 2>&1 \
    || { umount "$ROOTFS/proc"; tail -n 30 "$WORK/upgrade.log" >&2; die "apt-get upgrade in the rootfs failed"; }
  umount "$ROOTFS/proc"
  rm -f "$ROOTFS/usr/sbin/policy-rc.d"
  log "$(grep -E '^[0-9]+ upgraded' "$WORK/upgrade.log" || true)"
fi

# --- Node, npm, npx ----------------------------------------------------------------
install -m 0755 "$NODE_BIN" "$ROOTFS/usr/local/bin/node"
if [[ -n $NODE_HEADERS ]]; then
  mkdir -p "$ROOTFS/usr/local/include"
  cp -a "$NODE_HEADERS" "$ROOTFS/usr/local/include/node"
fi
mkdir -p "$ROOTFS/usr/local/lib/node_modules/npm"
tar -xzf "$NPM_TGZ" -C "$ROOTFS/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
chmod 0755 "$ROOTFS"/usr/local/lib/node_modules/npm/bin/{npm-cli.js,npx-cli.js}
ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
ln -sfn ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
# No internet but the npm registry: let node-gyp use the headers above instead of downloading them.
if [[ -n $NODE_HEADERS ]]; then
  mkdir -p "$ROOTFS/usr/local/etc"
  echo 'nodedir=/usr/local' >"$ROOTFS/usr/local/etc/npmrc"
fi
# The official image's entrypoint: runs `node ARGS` when ARGS is not a command.
cat >"$ROOTFS/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOF
chmod 0755 "$ROOTFS/usr/local/bin/docker-entrypoint.sh"

# --- user node, CA bundle, cleanup ---------------------------------------------------
chroot "$ROOTFS" groupadd --gid 1000 node
chroot "$ROOTFS" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
install -D -m 0644 "$HOST_CA" "$ROOTFS$IMG_CA"

rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin \
       "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/cache/apt/archives/partial/* \
       "$ROOTFS"/var/log/apt/* "$ROOTFS/var/log/bootstrap.log" "$ROOTFS"/tmp/* "$ROOTFS"/root/.npm
rm -f "$ROOTFS/etc/resolv.conf" "$ROOTFS/etc/hostname"
echo localhost >"$ROOTFS/etc/hostname"

# Smoke test before import.
[[ "$(chroot "$ROOTFS" /usr/local/bin/node --version)" == "$NODE_VERSION" ]] \
  || die "node does not run in the rootfs"
chroot "$ROOTFS" /usr/bin/env PATH=/usr/local/bin:/usr/bin:/bin npm --version >/dev/null \
  || die "npm does not run in the rootfs"

# --- import ---------------------------------------------------------------------------
log "importing as $IMAGE"
OLD_ID="$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
tar -C "$ROOTFS" --numeric-owner -c . | podman import --quiet \
  --change "ENV NODE_VERSION=${NODE_VERSION#v}" \
  --change "ENV NODE_EXTRA_CA_CERTS=$IMG_CA" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  --change 'CMD ["node"]' \
  --message "kv-node24-base: debootstrap $SUITE minbase + node $NODE_VERSION + $(basename "$NPM_TGZ" .tgz)" \
  - "$IMAGE" >/dev/null
if [[ -n $OLD_ID ]]; then
  # The old image lost its tag; drop it unless something still builds on it.
  podman rmi "$OLD_ID" >/dev/null 2>&1 || log "previous image ${OLD_ID:0:12} kept (still in use)"
fi
log "done: $IMAGE (node $NODE_VERSION, $(basename "$NPM_TGZ" .tgz))"
podman image ls "$IMAGE"
