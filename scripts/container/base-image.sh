#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Create (once) a local docker.io/library/debian:bookworm-slim image in a private
# podman store, without any image registry: debootstrap from the Debian mirror
# configured in the host's apt sources, then `podman import`.
#
# Idempotent: installs podman/runc/debootstrap only if missing, rebuilds the
# base image only if it is not already in the store. Safe to run concurrently
# (flock). Afterwards:   . "$(dirname "$0")/podman-env.sh"; hp_podman build --pull=never ...
#
# Env: HP_CONTAINER_CACHE (cache/store dir), HP_STORAGE_DRIVER (vfs|overlay),
#      HP_DEBIAN_MIRROR (override the mirror), HP_BASE_REBUILD=1 (force re-create).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[base-image] %s\n' "$*" >&2; }

# 1. Tools --------------------------------------------------------------------
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ((${#missing[@]})); then
    sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
    log "installing: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. Config -------------------------------------------------------------------
# shellcheck source=podman-env.sh
. "$here/podman-env.sh"
mkdir -p "$HP_CONTAINER_CACHE"
exec 9>"$HP_CONTAINER_CACHE/.lock"
flock 9

# Container rlimits may not exceed this shell's hard limits (podman's default
# nofile=1048576 fails with "error setting rlimit type 7: operation not permitted").
# nproc is capped at 32768.
cap() { local v="$1" max="$2"; [[ "$v" == unlimited || "$v" -gt "$max" ]] && v="$max"; echo "$v"; }
nofile="$(cap "$(ulimit -Hn)" 1048576)"
nproc="$(cap "$(ulimit -Hu)" 32768)"
conf_new="$(cat <<EOF
# Written by base-image.sh. crun fails on cgroup v1+v2 hybrid hosts ("cgroups in hybrid mode not
# supported"); ulimits above the host's hard limits fail with "operation not permitted".
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]

[engine]
runtime = "runc"
EOF
)"
if [[ ! -f "$hp_podman_conf" ]] || [[ "$(cat "$hp_podman_conf")" != "$conf_new" ]]; then
    printf '%s\n' "$conf_new" >"$hp_podman_conf"
fi

# 3. Base image ---------------------------------------------------------------
if [[ "${HP_BASE_REBUILD:-0}" != 1 ]] && hp_podman image exists "$HP_BASE_IMAGE"; then
    log "$HP_BASE_IMAGE already present in $HP_CONTAINER_CACHE/storage"
else
    mirror="$("$here/debian-mirror.sh" bookworm)"
    rootfs="$HP_CONTAINER_CACHE/rootfs.tmp"
    rm -rf "$rootfs"
    log "debootstrap --variant=minbase bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$HP_CONTAINER_CACHE/debootstrap.log" 2>&1 || {
        tail -20 "$HP_CONTAINER_CACHE/debootstrap.log" >&2; exit 1; }
    # Make it behave like the official slim image: no apt caches/lists kept,
    # no docs/man pages installed by later apt-get installs.
    cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
    find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/groff/* "$rootfs"/usr/share/lintian/*
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log
    : >"$rootfs/etc/hostname"   # don't leak the build host's name
    log "importing as $HP_BASE_IMAGE"
    hp_podman rmi -f "$HP_BASE_IMAGE" >/dev/null 2>&1 || true
    tar --numeric-owner -C "$rootfs" -c . |
        hp_podman import -q --change 'CMD ["bash"]' - "$HP_BASE_IMAGE" >/dev/null
    rm -rf "$rootfs"
fi

# 4. Tell the caller how to use it ---------------------------------------------
cat <<EOF
# podman for houseprices: either
.  $here/podman-env.sh     # then: hp_podman build --pull=never ... / hp_podman run ...
# or the raw form:
$(hp_podman_flags)
EOF
