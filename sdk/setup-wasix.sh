#!/usr/bin/env bash
# Installs the POSIX (WASIX) guest toolchain used by `occlum-cc --posix`:
#   1. Debian's clang + lld + compiler-rt builtins for wasm32, from this machine's Debian release
#      (apt-get, needs root; skipped when already installed);
#   2. Debian's wasix-libc sysroot (only in testing "forky"/sid), fetched from the configured Debian
#      mirror's forky index, pinned by sha256, extracted with dpkg-deb into .cache/wasix-libc/root.
# Idempotent: a second run only checks what is there (well under a second).
# Env: OCCLUM_LLVM_VERSION=19|22 picks the compiler version (default: newest available of 22, 19).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache/wasix-libc"
WASIX_PKG=wasix-libc
WASIX_VERSION="2025.12.24.1+ds-1"
WASIX_SHA256=f16b844194b248fbd402e48b38cfc3fe37fd6093d15e3a8b8692bd3e53c2b890
LLVM_VERSIONS="${OCCLUM_LLVM_VERSION:-22 19}"

say() { printf 'setup-wasix: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

# The builtins archive is where libclang-rt-N-dev-wasm32 puts it; clang looks there for wasm32-wasi.
have_llvm() {
  local n=$1
  command -v "clang-$n" >/dev/null && command -v "wasm-ld-$n" >/dev/null &&
    compgen -G "/usr/lib/llvm-$n/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a" >/dev/null
}

apt_updated=0
apt_update() {
  if [ "$apt_updated" = 0 ]; then
    say "apt-get update"
    apt-get update -qq >&2
    apt_updated=1
  fi
}

candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }'; }

install_llvm() {
  for n in $LLVM_VERSIONS; do
    if have_llvm "$n"; then say "clang-$n, wasm-ld-$n and wasm32 builtins already installed"; return; fi
  done
  is_root || die "clang/lld/libclang-rt wasm32 missing; run as root: sudo $0"
  apt_update
  for n in $LLVM_VERSIONS; do
    local pkgs="clang-$n lld-$n libclang-rt-$n-dev-wasm32" ok=1
    for p in $pkgs; do
      c="$(candidate "$p")"
      if [ -z "$c" ] || [ "$c" = "(none)" ]; then ok=0; fi
    done
    if [ "$ok" = 1 ]; then
      say "apt-get install $pkgs ($(candidate "clang-$n"))"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >&2
      have_llvm "$n" || die "installed $pkgs but clang-$n/wasm-ld-$n/builtins still not found"
      return
    fi
  done
  die "none of LLVM $LLVM_VERSIONS has clang, lld and libclang-rt-N-dev-wasm32 in this machine's apt sources"
}

# First Debian archive URI of the machine's apt configuration (deb822 .sources or one-line lists),
# skipping the security archive, which has no forky suite.
debian_mirror() {
  local uri
  uri="$({
    cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk 'tolower($1)=="uris:" { for (i=2;i<=NF;i++) print $i }'
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '$1=="deb" { for (i=2;i<=NF;i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; break } }'
  } | grep -v -- '-security' | grep -i 'debian' | head -n 1)"
  printf '%s' "${uri:-http://deb.debian.org/debian}" | sed 's:/*$::'
}

fetch() { # url dest
  if command -v curl >/dev/null; then curl -fsSL --retry 3 -o "$2" "$1"
  elif command -v wget >/dev/null; then wget -q -O "$2" "$1"
  else die "need curl or wget to download $1"; fi
}

install_wasix_libc() {
  if [ -f "$CACHE/root/.sha256" ] && [ "$(cat "$CACHE/root/.sha256")" = "$WASIX_SHA256" ]; then
    say "$WASIX_PKG $WASIX_VERSION already in $CACHE/root"
    return
  fi
  command -v dpkg-deb >/dev/null || die "dpkg-deb not found (Debian's dpkg package)"
  local tools=""
  command -v xz >/dev/null || tools="xz-utils"
  command -v curl >/dev/null || command -v wget >/dev/null || tools="$tools curl ca-certificates"
  if [ -n "$tools" ]; then
    is_root || die "missing $tools; run as root: sudo $0"
    apt_update
    say "apt-get install $tools"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $tools >&2
  fi
  mkdir -p "$CACHE"
  local tmp mirror index filename version
  tmp="$(mktemp -d "$CACHE/tmp.XXXXXX")"
  trap 'rm -rf "${tmp:-}"; trap - RETURN' RETURN
  mirror="$(debian_mirror)"
  say "reading $mirror/dists/forky/main/binary-amd64/Packages.xz"
  fetch "$mirror/dists/forky/main/binary-amd64/Packages.xz" "$tmp/Packages.xz"
  index="$(xz -dc "$tmp/Packages.xz" | awk -v pkg="$WASIX_PKG" '
    /^Package: / { hit = ($2 == pkg) }
    hit && /^(Version|Filename|SHA256): / { print $1, $2 }')"
  filename="$(printf '%s\n' "$index" | awk '$1=="Filename:" { print $2; exit }')"
  version="$(printf '%s\n' "$index" | awk '$1=="Version:" { print $2; exit }')"
  if [ -z "$filename" ]; then
    die "$WASIX_PKG not in forky's index at $mirror"
  fi
  if [ "$version" != "$WASIX_VERSION" ]; then
    # The pool keeps a file only while an index names it; try the pinned name anyway.
    say "forky now has $WASIX_PKG $version; trying the pinned $WASIX_VERSION"
    filename="pool/main/w/$WASIX_PKG/${WASIX_PKG}_${WASIX_VERSION}_amd64.deb"
  fi
  say "downloading $mirror/$filename"
  fetch "$mirror/${filename//+/%2B}" "$tmp/pkg.deb"
  local got
  got="$(sha256sum "$tmp/pkg.deb" | awk '{ print $1 }')"
  [ "$got" = "$WASIX_SHA256" ] || die "sha256 mismatch for $filename: got $got, want $WASIX_SHA256"
  dpkg-deb -x "$tmp/pkg.deb" "$tmp/root"
  [ -f "$tmp/root/usr/lib/wasm32-wasi/libc.a" ] || die "unexpected layout in $filename (no usr/lib/wasm32-wasi/libc.a)"
  printf '%s' "$WASIX_SHA256" >"$tmp/root/.sha256"
  printf '%s' "$WASIX_VERSION" >"$tmp/root/.version"
  rm -rf "$CACHE/root"
  mv "$tmp/root" "$CACHE/root"
  say "$WASIX_PKG $WASIX_VERSION extracted to $CACHE/root"
}

# The sysroot's folders are named for the old wasm32-wasi triple; clang >= 19 calls it wasm32-wasip1
# and warns on the old name, so give the sysroot both names.
link_triple() {
  local d
  for d in include lib; do
    [ -e "$CACHE/root/usr/$d/wasm32-wasip1" ] || ln -s wasm32-wasi "$CACHE/root/usr/$d/wasm32-wasip1"
  done
}

install_llvm
# Two setups at once (e.g. a developer and a test run) must not interleave the extraction.
exec 9>"$(mkdir -p "$CACHE" && echo "$CACHE/.lock")"
flock 9
install_wasix_libc
link_triple
