#!/usr/bin/env bash
# Benchmarks generation speed: whole-process `axgen gen html` with 20 fields (into a fresh copy
# of a new app each run), and the incremental `cargo build` of that app right after it (its
# dependencies already built, as on a developer's machine).
#
# Usage: bench/gen.sh
# Env:   RUNS        runs of the gen html figure (default 30)
#        BUILD_RUNS  runs of the incremental build figure (default 5)
#        AXGEN_APPS_TARGET_DIR  target folder for the app (default target/tmp/apps-target)
# Needs: hyperfine (installed with apt-get if missing).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-30}
BUILD_RUNS=${BUILD_RUNS:-5}
export CARGO_TARGET_DIR=${AXGEN_APPS_TARGET_DIR:-$REPO/target/tmp/apps-target}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if ! command -v hyperfine >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null
fi

echo "building axgen (release)" >&2
cargo build --release --quiet --manifest-path "$REPO/Cargo.toml" --target-dir "$REPO/target"
AXGEN=$REPO/target/release/axgen

FIELDS="title:string body:text:optional views:integer score:bigint rating:float
price:decimal published:boolean published_on:date starts_at:time
seen_at:naive_datetime stamped_at:utc_datetime token:uuid payload:binary:optional
meta:map tags:array:string status:enum:draft:published:archived
slug:string:unique category:string:index secret:string:redact summary:string:optional"
FIELDS=$(echo $FIELDS)

cd "$WORK"
"$AXGEN" new bench_app --quiet
echo "building the fresh app once, so only the incremental build is measured" >&2
(cd bench_app && cargo build --quiet)
cp -a bench_app pristine
reset="rm -rf $WORK/bench_app && cp -a $WORK/pristine $WORK/bench_app"
gen="$AXGEN gen html Blog Post posts $FIELDS --quiet"

hyperfine --style basic --warmup 3 --runs "$RUNS" --prepare "$reset" \
    --export-json "$WORK/gen.json" -n "axgen gen html (20 fields)" "cd $WORK/bench_app && $gen"
# Each build run generates a resource under a new name: code rustc's incremental cache has
# already seen would build unrealistically fast.
echo 0 >"$WORK/n"
fresh_gen="n=\$((\$(cat $WORK/n) + 1)); echo \$n >$WORK/n; cd $WORK/bench_app && $AXGEN gen html Blog Post\$n posts\$n $FIELDS --quiet"
hyperfine --style basic --warmup 1 --runs "$BUILD_RUNS" --prepare "$reset && $fresh_gen" \
    --export-json "$WORK/build.json" -n "cargo build after gen html" "cd $WORK/bench_app && cargo build --quiet"

python3 - "$WORK/gen.json" "$WORK/build.json" <<'PY'
import json, sys
for path in sys.argv[1:]:
    r = json.load(open(path))["results"][0]
    print(f"{r['command']}: mean {r['mean']*1000:.1f} ms, min {r['min']*1000:.1f} ms, max {r['max']*1000:.1f} ms ({len(r['times'])} runs)")
PY
