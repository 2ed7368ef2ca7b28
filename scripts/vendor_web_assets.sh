#!/usr/bin/env bash
# Vendor the review app's front-end assets from npm, pinned, into the package, so that
# `eventcoder serve` works offline and from a PyPI install with no npm at all.
#
#   bash scripts/vendor_web_assets.sh      # needs npm and the registry; run it only to change a pin
#
# Each package is fetched with `npm pack` at an exact version, checked against the registry's
# sha512 integrity pinned below, and only the files the app serves are extracted (with each
# package's LICENSE) into src/eventcoder/web/static/vendor/<package>/. VERSIONS.txt records the
# versions, the tarballs' integrity and the SHA-256 of every vendored file; the output is committed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENDOR=src/eventcoder/web/static/vendor

# package version integrity (sha512 from `npm view PKG@VERSION dist.integrity`) files...
PACKAGES=(
    "leaflet 1.9.4 sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA== dist/leaflet.js dist/leaflet.css dist/images/layers.png dist/images/layers-2x.png dist/images/marker-icon.png dist/images/marker-icon-2x.png dist/images/marker-shadow.png LICENSE"
    "topojson-client 3.1.0 sha512-605uxS6bcYxGXw9qi62XyrV6Q3xwbndjachmNxu8HWTtVPxZfEJN9fd/SZS1Q54Sn2y0TMyMxFj/cJINqGHrKw== dist/topojson-client.min.js LICENSE"
    "world-atlas 2.0.2 sha512-IXfV0qwlKXpckz1FhwXVwKRjiIhOnWttOskm5CtxMsjgE/MXAYRHWJqgXOpM8IkcPBoXnyTU5lFHcYa5ChG0LQ== countries-110m.json LICENSE"
)

log() { printf 'vendor_web_assets: %s\n' "$*" >&2; }
command -v npm >/dev/null || { log "npm not found: install Node.js (npm) to re-vendor; the vendored files are committed"; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# the tarball's integrity as npm writes it: sha512-<base64>
integrity() { printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }

rm -rf "$VENDOR"
mkdir -p "$VENDOR"
{
    echo "# Front-end assets vendored by scripts/vendor_web_assets.sh from the npm registry (npm pack)."
    echo "# Do not edit by hand: change the pins in the script and rerun it."
    echo "#"
    echo "# package@version  tarball integrity"
} >"$WORK/versions.head"
: >"$WORK/versions.files"

for entry in "${PACKAGES[@]}"; do
    read -r name version expected files <<<"$entry"
    log "$name@$version"
    tarball=$(cd "$WORK" && npm pack --silent "$name@$version")
    actual=$(integrity "$WORK/$tarball")
    if [ "$actual" != "$expected" ]; then
        log "$name@$version: integrity $actual does not match the pinned $expected"
        exit 1
    fi
    echo "$name@$version  $actual" >>"$WORK/versions.head"
    mkdir -p "$WORK/$name"
    tar -xzf "$WORK/$tarball" -C "$WORK/$name"
    for file in $files; do
        src="$WORK/$name/package/$file"
        [ -f "$src" ] || { log "$name@$version has no $file"; exit 1; }
        dest="$name/${file#dist/}"   # dist/leaflet.js -> leaflet/leaflet.js, dist/images/x -> leaflet/images/x
        mkdir -p "$VENDOR/$(dirname "$dest")"
        cp "$src" "$VENDOR/$dest"
        chmod 644 "$VENDOR/$dest"
    done
done

(cd "$VENDOR" && find . -type f ! -name VERSIONS.txt | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum) >"$WORK/versions.files"
{
    cat "$WORK/versions.head"
    echo
    echo "# sha256  path (relative to this folder)"
    cat "$WORK/versions.files"
} >"$VENDOR/VERSIONS.txt"
log "wrote $VENDOR ($(wc -l <"$WORK/versions.files") files) and $VENDOR/VERSIONS.txt"
