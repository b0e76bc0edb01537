#!/usr/bin/env bash
# fetch-chdb.sh installs libchdb.so (embedded ClickHouse) into the user cache.
#
# It downloads the npm package @chdb/lib-linux-x64-gnu at a pinned version with
# `npm pack`, checks the tarball against the pinned sha512 integrity, and
# extracts package/libchdb.so to
#   ${XDG_CACHE_HOME:-$HOME/.cache}/omnistream/chdb/<version>/libchdb.so
# through a temporary file and a rename, so a partly written library is never
# seen at the final path. When the library is already there it does nothing.
#
# Needs: npm (Node.js), tar, gzip, sed and coreutils (sha512sum, base64).
# Env:   CHDB_TARBALL=path  use this already downloaded tarball instead of
#                           `npm pack` (it is still verified).
set -euo pipefail

CHDB_PKG="@chdb/lib-linux-x64-gnu"
CHDB_VERSION="26.5.3"
CHDB_INTEGRITY="sha512-fPrLmRt5Moor9yGz4mazbrNje4t7X9KB2mTGkXFWRxRBs2iKy8yh6jx11xsa0Qr3iDFMU/yHqd+bVdYJXu3QaQ=="

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}"
dest_dir="$cache_root/omnistream/chdb/$CHDB_VERSION"
dest="$dest_dir/libchdb.so"

log() { printf 'fetch-chdb: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ -s "$dest" ]]; then
	log "libchdb.so $CHDB_VERSION already at $dest"
	exit 0
fi

for tool in tar gzip sed base64 sha512sum; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found in PATH"
done

mkdir -p "$dest_dir"
work="$(mktemp -d "$dest_dir/.fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [[ -n "${CHDB_TARBALL:-}" ]]; then
	log "using tarball $CHDB_TARBALL"
	tarball="$CHDB_TARBALL"
else
	command -v npm >/dev/null 2>&1 || die "npm not found in PATH (install Node.js/npm)"
	log "downloading $CHDB_PKG@$CHDB_VERSION with npm pack (about 170 MB)"
	(cd "$work" && npm pack --silent --pack-destination "$work" "$CHDB_PKG@$CHDB_VERSION" >"$work/pack.out") ||
		die "npm pack $CHDB_PKG@$CHDB_VERSION failed"
	tarball="$work/$(tail -n 1 "$work/pack.out")"
	[[ -f "$tarball" ]] || die "npm pack did not produce a tarball (got: $(cat "$work/pack.out"))"
fi

log "verifying sha512 integrity"
want="${CHDB_INTEGRITY#sha512-}"
# npm's integrity is the base64 of the raw digest: turn sha512sum's hex into
# bytes with printf escapes, then encode.
hex="$(sha512sum "$tarball" | cut -d' ' -f1)"
got="$(printf '%b' "$(printf '%s' "$hex" | sed 's/../\\x&/g')" | base64 -w0)"
[[ "$got" == "$want" ]] || die "integrity mismatch for $tarball: got sha512-$got, want $CHDB_INTEGRITY"

log "extracting package/libchdb.so (about 560 MB)"
tar -xzf "$tarball" -C "$work" package/libchdb.so || die "extract libchdb.so from $tarball"
chmod 0755 "$work/package/libchdb.so"
mv -f "$work/package/libchdb.so" "$dest"
log "installed $dest"
