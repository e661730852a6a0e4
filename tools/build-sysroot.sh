#!/usr/bin/env bash
# Builds the static user-space sysroot: Debian's musl + LLVM libc++/libc++abi/libunwind 19 built
# from Debian's llvm-toolchain-19 source against it (TOOLCHAIN.md has the measured recipe and its
# pitfalls), and mbedTLS (TLS for the management API, SHA-256 for its images) built from Debian's
# mbedtls source. The result is cached under ~/.cache/rootstock keyed by the musl, LLVM and mbedTLS
# versions and by this script's own hash, so a changed recipe builds a new sysroot instead of
# reusing a stale one.
#
# Usage: build-sysroot.sh            prints the sysroot path, building it first if needed
set -euo pipefail

cache=${ROOTSTOCK_CACHE:-$HOME/.cache/rootstock}
musl_ver=$(dpkg-query -W -f='${Version}' musl-dev)
llvm_ver=$(dpkg-query -W -f='${source:Version}' clang-19)
# The mbedtls source version apt offers (deb-src, tools/setup-host.sh), newest first.
mbedtls_ver=$(apt-cache showsrc mbedtls 2>/dev/null | awk '/^Version:/ {print $2}' | sort -rV | head -n1)
[[ -n $mbedtls_ver ]] || { echo "build-sysroot: no mbedtls source in the apt sources (run ./rootstock setup)" >&2; exit 1; }
recipe=$(sha256sum "$0" | cut -c1-12)
key="musl-${musl_ver}_llvm-${llvm_ver}_mbedtls-${mbedtls_ver}_${recipe}"
key=${key//[:~+]/_}
sysroot="$cache/sysroot-$key"

if [[ -f $sysroot/.complete ]]; then
  echo "$sysroot"
  exit 0
fi

log() { echo "build-sysroot: $*" >&2; }
unset LIBRARY_PATH # set on these machines to a CUDA stub folder; leaks -L into every link
mkdir -p "$cache"
work=$(mktemp -d "$cache/.sysroot-work.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage="$work/sysroot"

log "building $sysroot (once; ~3 minutes)"
# 1. musl: headers and static libs from Debian's musl-dev.
mkdir -p "$stage/usr/include" "$stage/usr/lib"
cp -a /usr/include/x86_64-linux-musl/. "$stage/usr/include/"
cp -a /usr/lib/x86_64-linux-musl/. "$stage/usr/lib/"
ln -s usr/lib "$stage/lib"
# Linux UAPI headers (libc++'s atomic.cpp includes <linux/futex.h>) without overwriting musl's;
# the asm links are relative and dangle unless dereferenced.
cp -an /usr/include/linux /usr/include/asm-generic "$stage/usr/include/"
cp -rL /usr/include/x86_64-linux-gnu/asm "$stage/usr/include/asm"

# orig_tarball PACKAGE VERSION: the path of the source package's upstream tarball, downloaded
# once (apt-get source, deb-src from tools/setup-host.sh) and kept in the cache.
orig_tarball() {
  local package=$1 version=$2 upstream=${2#*:}
  upstream=${upstream%%-*}
  local kept
  kept=$(find "$cache" -maxdepth 1 -name "${package}_${upstream}.orig.tar.*" | head -n1)
  if [[ -z $kept ]]; then
    log "downloading the $package source"
    (cd "$work" && apt-get source --download-only -q "$package=$version" >&2)
    local found
    found=$(find "$work" -maxdepth 1 -name "${package}_*.orig.tar.*" | head -n1)
    [[ -n $found ]] || { log "apt-get source gave no $package orig tarball"; exit 1; }
    mv "$found" "$cache/"
    kept="$cache/$(basename "$found")"
  fi
  echo "$kept"
}

# 2. The LLVM runtimes' source from Debian's llvm-toolchain-19 (matches clang-19).
orig=$(orig_tarball llvm-toolchain-19 "$llvm_ver")
top=$(tar -tf "$orig" 2>/dev/null | head -n1 | cut -d/ -f1 || true)
log "extracting runtimes from $(basename "$orig")"
tar -xf "$orig" -C "$work" \
  --exclude='*/test' --exclude='*/benchmarks' --exclude='*/docs' \
  "$top/cmake" "$top/runtimes" "$top/libcxx" "$top/libcxxabi" "$top/libunwind" "$top/llvm/cmake"

# 3. Static-only runtimes, libc++abi and libunwind folded into libc++.a. The work folder's name
# is random and libc++abi's assertions carry __FILE__: mapped away, so that every sysroot of this
# recipe gives the same bytes to the programs linked against it (a reproducible image).
cmake -G Ninja -S "$work/$top/runtimes" -B "$work/build" -Wno-dev \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_FLAGS="-ffile-prefix-map=$work/=" -DCMAKE_CXX_FLAGS="-ffile-prefix-map=$work/=" \
  -DCMAKE_INSTALL_PREFIX="$stage/usr" \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 -DCMAKE_ASM_COMPILER=clang-19 \
  -DCMAKE_C_COMPILER_TARGET=x86_64-linux-musl -DCMAKE_CXX_COMPILER_TARGET=x86_64-linux-musl \
  -DCMAKE_ASM_COMPILER_TARGET=x86_64-linux-musl \
  -DCMAKE_SYSROOT="$stage" \
  -DCMAKE_AR=/usr/bin/llvm-ar-19 -DCMAKE_RANLIB=/usr/bin/llvm-ranlib-19 -DCMAKE_NM=/usr/bin/llvm-nm-19 \
  -DCMAKE_C_COMPILER_WORKS=ON -DCMAKE_CXX_COMPILER_WORKS=ON -DCMAKE_ASM_COMPILER_WORKS=ON \
  -DCMAKE_EXE_LINKER_FLAGS="-fuse-ld=lld -rtlib=compiler-rt --unwindlib=none -static" \
  -DLLVM_ENABLE_RUNTIMES="libcxx;libcxxabi;libunwind" \
  -DLIBCXX_HAS_MUSL_LIBC=ON -DLIBCXX_CXX_ABI=libcxxabi \
  -DLIBCXX_ENABLE_SHARED=OFF -DLIBCXXABI_ENABLE_SHARED=OFF -DLIBUNWIND_ENABLE_SHARED=OFF \
  -DLIBCXX_ENABLE_STATIC_ABI_LIBRARY=ON \
  -DLIBCXXABI_USE_LLVM_UNWINDER=ON -DLIBCXXABI_ENABLE_STATIC_UNWINDER=ON \
  -DLIBCXX_USE_COMPILER_RT=ON -DLIBCXXABI_USE_COMPILER_RT=ON -DLIBUNWIND_USE_COMPILER_RT=ON \
  -DLIBCXX_INCLUDE_TESTS=OFF -DLIBCXXABI_INCLUDE_TESTS=OFF -DLIBUNWIND_INCLUDE_TESTS=OFF \
  -DLIBCXX_INCLUDE_BENCHMARKS=OFF -DLIBCXX_INCLUDE_DOCS=OFF -DLLVM_INCLUDE_DOCS=OFF \
  -DLIBCXX_INSTALL_MODULES=OFF -DLLVM_INCLUDE_TESTS=OFF >&2
ninja -C "$work/build" install >&2

# 4. mbedTLS, static, C only: its libraries and headers into the sysroot. Programs, tests and the
# shared libraries are off; the work folder's name is mapped away as for the runtimes.
mbed_orig=$(orig_tarball mbedtls "$mbedtls_ver")
mkdir -p "$work/mbedtls"
tar -xf "$mbed_orig" -C "$work/mbedtls" --strip-components=1
cmake -G Ninja -S "$work/mbedtls" -B "$work/mbedtls-build" -Wno-dev \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_FLAGS="-ffile-prefix-map=$work/=" \
  -DCMAKE_INSTALL_PREFIX="$stage/usr" \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_C_COMPILER_TARGET=x86_64-linux-musl \
  -DCMAKE_SYSROOT="$stage" -DCMAKE_C_COMPILER_WORKS=ON \
  -DCMAKE_AR=/usr/bin/llvm-ar-19 -DCMAKE_RANLIB=/usr/bin/llvm-ranlib-19 \
  -DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF \
  -DUSE_STATIC_MBEDTLS_LIBRARY=ON -DUSE_SHARED_MBEDTLS_LIBRARY=OFF \
  -DMBEDTLS_FATAL_WARNINGS=OFF >&2
ninja -C "$work/mbedtls-build" install >&2

# 5. Publish atomically: a killed build never leaves a half sysroot behind a valid key.
touch "$stage/.complete"
rm -rf "$sysroot"
mv "$stage" "$sysroot"
log "done: $sysroot"
echo "$sysroot"
