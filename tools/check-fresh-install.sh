#!/usr/bin/env bash
# Fresh-clone install check: `npm ci` prints no warning and runs no dependency install script (so nothing
# but registry packages is downloaded), `npx defect-studio --help` prints only the usage, and esbuild (tsx,
# vite build) and onnxruntime-node (CPU) work. Usage: tools/check-fresh-install.sh [git-ref] (default HEAD).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
ref="${1:-HEAD}"
work="$(mktemp -d "${TMPDIR:-/tmp}/ds-fresh-XXXXXX")"
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/clone"
cd "$work/clone"
git checkout -q "$ref"
# A user's shell: no npm_* variables from an enclosing npm process.
for v in $(env | grep -io '^npm_[a-z0-9_]*' || true); do unset "$v"; done
fail() { echo "FAIL: $*" >&2; exit 1; }

npm ci --no-audit --no-fund >"$work/ci.out" 2>"$work/ci.err" || { cat "$work/ci.err"; fail "npm ci"; }
if grep -qi 'warn' "$work/ci.out" "$work/ci.err"; then cat "$work/ci.out" "$work/ci.err"; fail "npm ci printed a warning"; fi
# No lockfile entry resolves outside the registry (git, tarball URLs).
if grep -E '"resolved": "' package-lock.json | grep -vq 'registry.npmjs.org'; then fail "a dependency outside the npm registry"; fi
# No install script ran: esbuild's launcher is still the JS one, no CUDA provider was fetched.
head -c 2 node_modules/esbuild/bin/esbuild | grep -q '#!' || fail "esbuild's postinstall ran"
ls node_modules/onnxruntime-node/bin/napi-v6/linux/x64/ | grep -q cuda && fail "onnxruntime-node downloaded CUDA binaries"

npx defect-studio --help >"$work/help.out" 2>"$work/help.err" || fail "npx defect-studio --help"
[ -s "$work/help.err" ] && { cat "$work/help.err"; fail "npx defect-studio --help wrote to stderr"; }
grep -q '^usage: defect-studio' "$work/help.out" || fail "no usage"

nice -n 10 npx vite build >"$work/build.out" 2>&1 || { tail "$work/build.out"; fail "vite build"; }
cat >"$work/inputs.mts" <<TS
import { writeFileSync } from 'node:fs';
import { encodePngRGBA } from '$work/clone/src/core/png.ts';
import { encodeTrimapPng } from '$work/clone/src/core/trimap/png.ts';
import { makeImage, makeTrimap } from '$work/clone/tests/helpers.ts';
writeFileSync('$work/image.png', encodePngRGBA(makeImage(64, 48)));
writeFileSync('$work/trimap.png', encodeTrimapPng(makeTrimap(64, 48, 30, 20, 6, 4)));
TS
npx tsx "$work/inputs.mts" || fail "test inputs"
npx defect-studio generate --model tests/fixtures/packs/tiny-sd --image "$work/image.png" --trimap "$work/trimap.png" \
  --prompt "a scratch" --steps 2 --out "$work/out" >"$work/gen.out" 2>"$work/gen.err" || { cat "$work/gen.err"; fail "generate"; }
[ -s "$work/gen.err" ] && { cat "$work/gen.err"; fail "generate wrote to stderr"; }
echo "OK: npm ci silent, no install script, npx --help silent, vite build, native generate ($(cat "$work/gen.out"))"
