# shellcheck shell=bash
# Source this file (bash): `. podman-env.sh`, then use `hp_podman ...` exactly like `podman ...`.
# It points podman at a private store in the houseprices cache dir and at a
# containers.conf that works on cgroup v1+v2 hybrid hosts (runc, ulimits within the hard limits).
#
# Overridable:
#   HP_CONTAINER_CACHE   cache dir (default ${XDG_CACHE_HOME:-$HOME/.cache}/houseprices/container)
#   HP_STORAGE_DRIVER    podman storage driver (default overlay; vfs works too but is ~3x slower to build and 4s slower per `run`, see NOTES.md)

HP_CONTAINER_CACHE="${HP_CONTAINER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/houseprices/container}"
HP_STORAGE_DRIVER="${HP_STORAGE_DRIVER:-overlay}"
HP_BASE_IMAGE="${HP_BASE_IMAGE:-docker.io/library/debian:bookworm-slim}"
export HP_CONTAINER_CACHE HP_STORAGE_DRIVER HP_BASE_IMAGE

hp_podman_conf="$HP_CONTAINER_CACHE/containers.conf"

hp_podman() {
    CONTAINERS_CONF="$hp_podman_conf" podman \
        --root "$HP_CONTAINER_CACHE/storage" \
        --runroot "$HP_CONTAINER_CACHE/run" \
        --storage-driver "$HP_STORAGE_DRIVER" \
        "$@"
}

# Print the equivalent raw flags (for people not using bash functions).
hp_podman_flags() {
    printf 'CONTAINERS_CONF=%q podman --root %q --runroot %q --storage-driver %q\n' \
        "$hp_podman_conf" "$HP_CONTAINER_CACHE/storage" "$HP_CONTAINER_CACHE/run" "$HP_STORAGE_DRIVER"
}

# hp_build [podman build args...] CONTEXT
# = podman build --pull=never --format docker (keeps HEALTHCHECK; OCI format drops it)
#   + the host CA bundle as build secret "pip-ca" (for HTTPS egress through a TLS-intercepting proxy;
#   the Dockerfile uses it via RUN --mount=type=secret,id=pip-ca, never stored in a layer).
hp_build() {
    local ca="${HP_BUILD_CA:-${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}}"
    local secret=()
    [[ -s "$ca" ]] && secret=(--secret "id=pip-ca,src=$ca")
    hp_podman build --pull=never --format docker "${secret[@]}" "$@"
}
