#!/usr/bin/env bash
# check-image-reproducible.sh SOURCE_DIR BUILD_OUT: builds the same sources a second time, from
# a clean clone at another path into a build folder outside it, and checks that every artifact of
# tools/artifacts.list and build/manifest.json come out bit-identical to BUILD_OUT's (README
# "Reproducible builds"). The second build is whole: user space, the hvroot driver, hv and the
# images (rootstock.img through the host part's disk image step), and the manifest; the kernel
# and the musl + libc++ sysroot come from the cache, which is keyed by their versions. The rest
# of the host part (tests) is not built.
#
# A work tree with uncommitted changes is built as it is: the clone gets the same changes and
# untracked files, so a check during development compares like with like.
# ROOTSTOCK_KEEP_REPRO=1 keeps the second checkout and build for a closer look (diffoscope).
set -euo pipefail
src=$(realpath "$1") out=$(realpath "$2")
say() { echo "check-image-reproducible: $*" >&2; }
[[ -f $out/manifest.json ]] || { say "no $out/manifest.json: build first (./rootstock build)"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/rootstock-repro.XXXXXX")
if [[ ${ROOTSTOCK_KEEP_REPRO:-} == 1 ]]; then
  trap 'say "kept $work"' EXIT
else
  trap 'rm -rf "$work"' EXIT
fi
# A longer path than most checkouts, and the build folder outside the source tree (the default
# build/ is inside): neither may show in an artifact.
clone="$work/second-checkout-at-another-path/rootstock"
second="$work/second-build"

git clone -q --no-hardlinks "$src" "$clone"
git -C "$clone" checkout -q --detach "$(git -C "$src" rev-parse HEAD)"
if [[ -n $(git -C "$src" status --porcelain --untracked-files=normal) ]]; then
  say "the work tree has uncommitted changes: the clone gets them too"
  git -C "$src" diff HEAD --binary | git -C "$clone" apply --binary --allow-empty
  git -C "$src" ls-files --others --exclude-standard -z |
    (cd "$src" && xargs -0 --no-run-if-empty cp --parents -t "$clone")
fi

# The same cache (kernel, sysroot) and the same kernel pin as the first build.
cache=$(sed -n 's/^ROOTSTOCK_CACHE:PATH=//p' "$out/CMakeCache.txt")
pinned=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["kernel"]["pinned"] or "")' \
  <"$out/manifest.json")
env_args=(-u ROOTSTOCK_KERNEL_VERSION)
[[ -n $pinned ]] && env_args=(ROOTSTOCK_KERNEL_VERSION="$pinned")

say "building $clone into $second"
start=$SECONDS
log="$work/build.log"
if ! env "${env_args[@]}" cmake -G Ninja -S "$clone" -B "$second" -DROOTSTOCK_CACHE="$cache" \
     >"$log" 2>&1 ||
   ! env "${env_args[@]}" cmake --build "$second" --target manifest >>"$log" 2>&1; then
  tail -n 40 "$log" >&2
  say "the second build failed (the last lines of its log are above)"
  exit 1
fi
say "second build: $((SECONDS - start)) s; comparing with $out"
if ! python3 "$src/tools/compare-builds.py" "$out" "$second"; then
  say "the two builds differ (above: which artifact, and where)"
  exit 1
fi
say "two builds at different paths give the same artifacts"
