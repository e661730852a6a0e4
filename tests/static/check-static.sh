#!/usr/bin/env bash
# check-static.sh RUNNER FAKE: both binaries are static ELF executables (no PT_INTERP, no
# dynamic section), and RUNNER runs FAKE to completion inside an empty root holding only them.
set -euo pipefail
runner=$1 fake=$2
fail() { echo "check-static: FAIL: $*" >&2; exit 1; }

for bin in "$runner" "$fake"; do
  file "$bin"
  readelf -lW "$bin" | grep -q 'INTERP' && fail "$bin has a program interpreter"
  readelf -dW "$bin" | grep -q 'Dynamic section' && fail "$bin has a dynamic section"
  ldd_says=$(ldd "$bin" 2>&1 || true)
  echo "ldd: $ldd_says"
  [[ $ldd_says == *'not a dynamic executable'* ]] || fail "ldd does not call $bin static"
done

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
cp "$runner" "$root/boottest"
cp "$fake" "$root/fake"
echo "empty root holds: $(cd "$root" && echo *)"
# In the root: the runner (threads: its console reader) starts the fake (4 printing threads),
# types into it, waits for markers and its exit status, and writes its log into the root.
unshare --mount --fork chroot "$root" /boottest --name empty-root --log-dir / --keep-log \
  --text 'line 199' --text 'login:' --type 'rootstock\n' --text 'got: rootstock' --exit 7 \
  -- /fake burst:200 print:login: echo exit:7
grep -q 'got: rootstock' "$root/empty-root.log" || fail "no log written in the empty root"
echo "check-static: static binaries ran in an empty root"
