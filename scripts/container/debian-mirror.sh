#!/usr/bin/env bash
# Print the Debian mirror URL that serves suite "bookworm" component "main",
# as configured in the host's apt sources. No host name is hard-coded:
# it is read from /etc/apt/sources.list and /etc/apt/sources.list.d/*.list|*.sources
# (one-line "deb [opts] URL suite comp..." and deb822 "URIs:/Suites:/Components:").
# Usage: debian-mirror.sh [SUITE]   (default bookworm); override with HP_DEBIAN_MIRROR.
set -euo pipefail
suite="${1:-bookworm}"
if [[ -n "${HP_DEBIAN_MIRROR:-}" ]]; then echo "$HP_DEBIAN_MIRROR"; exit 0; fi
apt_dir="${HP_APT_DIR:-/etc/apt}"

files=()
[[ -f "$apt_dir/sources.list" ]] && files+=("$apt_dir/sources.list")
shopt -s nullglob
for f in "$apt_dir"/sources.list.d/*.list "$apt_dir"/sources.list.d/*.sources; do files+=("$f"); done

candidates() {
    local f
    for f in "${files[@]}"; do
        case "$f" in
        *.sources)
            # deb822: blank-line separated stanzas; keys case-insensitive; "Enabled: no" skips.
            awk -v want="$suite" '
                function flush() {
                    if (types ~ /(^| )deb( |$)/ && enabled != "no" && comps ~ /(^| )main( |$)/) {
                        n = split(suites, s, " ")
                        for (i = 1; i <= n; i++) if (s[i] == want) {
                            m = split(uris, u, " "); for (j = 1; j <= m; j++) print u[j]
                        }
                    }
                    types = suites = comps = uris = ""; enabled = "yes"; key = ""
                }
                BEGIN { enabled = "yes" }
                /^[ \t]*#/ { next }
                /^[ \t]*$/ { flush(); next }
                /^[ \t]/ { val = $0; sub(/^[ \t]+/, "", val)      # continuation line
                           if (key == "uris") uris = uris " " val; next }
                {
                    k = tolower($0); sub(/:.*/, "", k); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
                    key = k
                    if (k == "types") types = val
                    else if (k == "uris") uris = val
                    else if (k == "suites") suites = val
                    else if (k == "components") comps = val
                    else if (k == "enabled") enabled = tolower(val)
                }
                END { flush() }' "$f"
            ;;
        *)
            # one-line: deb [opt=val ...] URL suite comp...
            awk -v want="$suite" '
                /^[ \t]*#/ || NF < 3 { next }
                $1 != "deb" { next }
                {
                    i = 2
                    if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                    url = $i; s = $(i + 1); main = 0
                    for (j = i + 2; j <= NF; j++) if ($j == "main") main = 1
                    if (s == want && main) print url
                }' "$f"
            ;;
        esac
    done
}

# Keep only Debian archives: prefer URLs whose path looks like a Debian archive
# (ends in /debian), excluding security; otherwise first exact-suite match.
mapfile -t urls < <(candidates | sed 's:/*$::' | grep -v -- '-security' || true)
for u in "${urls[@]}"; do
    if [[ "$u" =~ /debian$ ]]; then echo "$u"; exit 0; fi
done
if ((${#urls[@]})); then echo "${urls[0]}"; exit 0; fi
echo "debian-mirror.sh: no apt source serves '$suite main' in $apt_dir" >&2
exit 1
