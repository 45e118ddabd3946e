#!/usr/bin/env bash
# Benchmarks generation speed: whole-process `axgen gen html` with 20 fields (into a fresh copy
# of a new app each run), with rustfmt installed and without rustfmt on PATH, and the
# incremental `cargo build` of that app right after it (its dependencies already built, as on
# a developer's machine).
#
# Usage: bench/gen.sh
# Env:   RUNS        runs of each gen html figure (default 30)
#        BUILD_RUNS  runs of the incremental build figure (default 5; 0 leaves it out)
#        AXGEN       the axgen binary to measure (default: this checkout, built in release)
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

if [ -z "${AXGEN:-}" ]; then
    echo "building axgen (release)" >&2
    cargo build --release --quiet --manifest-path "$REPO/Cargo.toml" --target-dir "$REPO/target"
    AXGEN=$REPO/target/release/axgen
fi
# A PATH without rustfmt: a folder linking every command of PATH but rustfmt.
NO_RUSTFMT=$WORK/no-rustfmt-bin
mkdir "$NO_RUSTFMT"
IFS=: read -ra dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
    for cmd in "$dir"/*; do
        name=$(basename "$cmd")
        if [ "$name" != rustfmt ] && [ -x "$cmd" ] && [ ! -e "$NO_RUSTFMT/$name" ]; then
            ln -s "$cmd" "$NO_RUSTFMT/$name"
        fi
    done
done

FIELDS="title:string body:text:optional views:integer score:bigint rating:float
price:decimal published:boolean published_on:date starts_at:time
seen_at:naive_datetime stamped_at:utc_datetime token:uuid payload:binary:optional
meta:map tags:array:string status:enum:draft:published:archived
slug:string:unique category:string:index secret:string:redact summary:string:optional"
FIELDS=$(echo $FIELDS)

cd "$WORK"
"$AXGEN" new bench_app --quiet
if [ "$BUILD_RUNS" -gt 0 ]; then
    echo "building the fresh app once, so only the incremental build is measured" >&2
    (cd bench_app && cargo build --quiet)
fi
cp -a bench_app pristine
reset="rm -rf $WORK/bench_app && cp -a $WORK/pristine $WORK/bench_app"
gen="$AXGEN gen html Blog Post posts $FIELDS --quiet"

hyperfine --style basic --warmup 3 --runs "$RUNS" --prepare "$reset" \
    --export-json "$WORK/gen.json" -n "axgen gen html (20 fields)" "cd $WORK/bench_app && $gen"
hyperfine --style basic --warmup 3 --runs "$RUNS" --prepare "$reset" \
    --export-json "$WORK/gen-no-rustfmt.json" -n "axgen gen html (20 fields), no rustfmt on PATH" \
    "cd $WORK/bench_app && PATH=$NO_RUSTFMT $gen"
results=("$WORK/gen.json" "$WORK/gen-no-rustfmt.json")
report() {
    python3 - "$@" <<'PY'
import json, sys
for path in sys.argv[1:]:
    r = json.load(open(path))["results"][0]
    print(f"{r['command']}: median {r['median']*1000:.1f} ms, mean {r['mean']*1000:.1f} ms, min {r['min']*1000:.1f} ms, max {r['max']*1000:.1f} ms ({len(r['times'])} runs)")
PY
}
if [ "$BUILD_RUNS" -eq 0 ]; then
    report "${results[@]}"
    exit 0
fi
# Each build run generates a resource under a new name: code rustc's incremental cache has
# already seen would build unrealistically fast.
echo 0 >"$WORK/n"
fresh_gen="n=\$((\$(cat $WORK/n) + 1)); echo \$n >$WORK/n; cd $WORK/bench_app && $AXGEN gen html Blog Post\$n posts\$n $FIELDS --quiet"
hyperfine --style basic --warmup 1 --runs "$BUILD_RUNS" --prepare "$reset && $fresh_gen" \
    --export-json "$WORK/build.json" -n "cargo build after gen html" "cd $WORK/bench_app && cargo build --quiet"

report "${results[@]}" "$WORK/build.json"
