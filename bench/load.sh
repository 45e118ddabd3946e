#!/usr/bin/env bash
# Load-tests a generated app against the limit of its stack, on SQLite and on PostgreSQL:
#   - generates `bench_app` with `gen html Blog Post posts …`, `gen json Shop Item items …` and
#     `gen html Blog Comment comments post_id:references:posts …` (each comment references a
#     post, labelled by its title), builds it in release mode, migrates its database
#     (`axgen db setup`) and seeds ROWS rows into each table (`axgen seed posts.csv items.csv
#     comments.csv`)
#   - starts its release binary on a free loopback port, and beside it bench/load/baseline, a
#     minimal hand-written axum + sqlx JSON API on the same database
#   - drives both with wrk on 127.0.0.1, one route at a time, generated and baseline in turn:
#     JSON show (random ids), JSON index (first page), JSON create, HTML index, and the HTML
#     index of the comments, which reads each comment's post title in the same query (a LEFT
#     JOIN) (the HTML routes: generated only);
#     the baseline's index binds LIMIT and OFFSET like the generated one, and beside it, for
#     information, a baseline route with LIMIT 20 written into its SQL (/fixed/items)
#   - prints req/s and p99 latency per route, and generated / baseline req/s (target >= 0.8x)
#   - with POOLERS, then drives the PostgreSQL app as generated through PgBouncer (Debian's
#     package, its defaults but for the port, pool_mode and trust for the local user) in each
#     pool mode, with DATABASE_POOLER=transaction in transaction mode, on the same routes, and
#     prints its req/s beside the app's straight to PostgreSQL
# Any socket error, timeout or response that is not 2xx/3xx fails the run (exit 1), after
# every figure has been printed.
#
# Usage: bench/load.sh
# Env:   DURATION     length of each wrk run (default 10s)
#        THREADS      wrk threads (default 2)
#        CONNECTIONS  wrk connections (default 32)
#        TIMEOUT      wrk's request timeout; a slower answer counts as an error (default 2s)
#        ROWS         rows seeded into each table (default 100000)
#        DATABASES    the adapters to measure (default "sqlite postgres")
#        POOLERS      PgBouncer pool modes to measure the PostgreSQL app through as well, e.g.
#                     "session transaction" (default: none)
#        AXGEN_BENCH_POSTGRES_URL  server URL (default: $AXGEN_TEST_POSTGRES_URL, else
#                     postgres://postgres@127.0.0.1:5432/postgres); a database named
#                     axgen_bench_load_<pid> is created on it and dropped again
#        AXGEN_APPS_TARGET_DIR  target folder shared by the app and baseline builds
#                     (default target/tmp/apps-target)
#        RUST_LOG     passed to the generated app; unset, its release build logs warnings and
#                     its own info lines, not a line per request (RUST_LOG=info adds them)
# Needs: wrk (installed with apt-get if missing), curl, python3, psql (for PostgreSQL),
#        pgbouncer (for POOLERS; installed with apt-get if missing).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
TIMEOUT=${TIMEOUT:-2s}
ROWS=${ROWS:-100000}
DATABASES=${DATABASES:-sqlite postgres}
POOLERS=${POOLERS:-}
PG_URL=${AXGEN_BENCH_POSTGRES_URL:-${AXGEN_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}}
PG_BASE=${PG_URL%/*}
PG_DB=axgen_bench_load_$$
export CARGO_TARGET_DIR=${AXGEN_APPS_TARGET_DIR:-$REPO/target/tmp/apps-target}
export PGOPTIONS="-c client_min_messages=warning"
LUA=$REPO/bench/load/wrk.lua
WORK=$(mktemp -d)
PIDS=()
PG_CREATED=

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ -n "$PG_CREATED" ]; then
        psql "$PG_URL" -qX -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '%s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

axgen() { "$REPO/target/release/axgen" --color=never "$@"; }

ensure_tools() {
    if ! command -v wrk >/dev/null; then
        say "installing wrk"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
    fi
    command -v curl >/dev/null || fail "curl is needed"
    command -v python3 >/dev/null || fail "python3 is needed"
    case " $DATABASES " in *" postgres "*) command -v psql >/dev/null || fail "psql is needed" ;; esac
    if [ -n "$POOLERS" ] && [ ! -x /usr/sbin/pgbouncer ]; then
        say "installing pgbouncer"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
    fi
    say "building axgen (release)"
    cargo build --release --quiet --bin axgen --manifest-path "$REPO/Cargo.toml" --target-dir "$REPO/target"
    say "building the baseline (release)"
    cargo build --release --quiet --manifest-path "$REPO/bench/load/baseline/Cargo.toml"
    cp "$CARGO_TARGET_DIR/release/axgen_load_baseline" "$WORK/baseline"
}

# ---------------------------------------------------------------- data

make_csvs() {
    say "writing $ROWS CSV rows per table"
    mkdir -p "$WORK/seeds"
    awk -v n="$ROWS" 'BEGIN {
        print "title,body,views,inserted_at,updated_at"
        for (i = 1; i <= n; i++)
            printf "Post %d,\"Body of post %d, with a comma and <b>markup</b>\",%d,2026-01-%02dT%02d:%02d:00+00:00,2026-01-%02dT%02d:%02d:00+00:00\n",
                i, i, i % 5000, 1 + i % 28, i % 24, i % 60, 1 + i % 28, i % 24, i % 60
    }' >"$WORK/seeds/posts.csv"
    awk -v n="$ROWS" 'BEGIN {
        print "name,price,inserted_at,updated_at"
        for (i = 1; i <= n; i++)
            printf "Item %d,%d,2026-01-%02dT%02d:%02d:00+00:00,2026-01-%02dT%02d:%02d:00+00:00\n",
                i, 100 + i % 10000, 1 + i % 28, i % 24, i % 60, 1 + i % 28, i % 24, i % 60
    }' >"$WORK/seeds/items.csv"
    awk -v n="$ROWS" 'BEGIN {
        print "post_id,body,inserted_at,updated_at"
        for (i = 1; i <= n; i++)
            printf "%d,Comment %d on post %d,2026-01-%02dT%02d:%02d:00+00:00,2026-01-%02dT%02d:%02d:00+00:00\n",
                1 + (i * 7919) % n, i, 1 + (i * 7919) % n, 1 + i % 28, i % 24, i % 60, 1 + i % 28, i % 24, i % 60
    }' >"$WORK/seeds/comments.csv"
}

# ---------------------------------------------------------------- the app

# prepare_app ADAPTER URL: generates, builds, migrates and seeds $WORK/ADAPTER/bench_app; its
# binary is copied to $WORK/bench_app-ADAPTER.
prepare_app() {
    local adapter=$1 url=$2 dir=$WORK/$1 routes
    say "[$adapter] generating the app"
    mkdir -p "$dir"
    (cd "$dir" && axgen new bench_app --database "$adapter" --quiet)
    local app=$dir/bench_app
    (cd "$app" && axgen gen html Blog Post posts title:string body:text views:integer --quiet &&
        axgen gen json Shop Item items name:string price:integer --quiet &&
        axgen gen html Blog Comment comments post_id:references:posts body:text --quiet)
    routes=$(cd "$app" && axgen routes)
    for route in 'GET /api/items' 'POST /api/items' 'GET /api/items/{id}' 'GET /posts' 'GET /comments'; do
        awk '{ print $1, $2 }' <<<"$routes" | grep -Fqx "$route" ||
            fail "[$adapter] the generated app has no route $route; axgen routes says:"$'\n'"$routes"
    done
    say "[$adapter] building the app (release)"
    (cd "$app" && cargo build --release --quiet)
    cp "$CARGO_TARGET_DIR/release/bench_app" "$WORK/bench_app-$adapter"
    say "[$adapter] creating, migrating and seeding the database"
    if [ "$adapter" = postgres ]; then PG_CREATED=1; fi
    (cd "$app" && DATABASE_URL=$url axgen db setup --quiet &&
        DATABASE_URL=$url axgen seed "$WORK/seeds/posts.csv" "$WORK/seeds/items.csv" "$WORK/seeds/comments.csv" --quiet)
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# status METHOD URL [BODY]: the HTTP status of one request (000: no answer).
status() {
    if [ $# -gt 2 ]; then
        curl -s -o /dev/null -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' --data "$3" "$2" || true
    else
        curl -s -o /dev/null -w '%{http_code}' -X "$1" "$2" || true
    fi
}

# start NAME BINARY DIR URL [VAR=VALUE...]: runs BINARY in DIR on a free port with
# DATABASE_URL=URL (and the VAR=VALUEs) and waits until it answers; sets PORT, and LOG to its
# output.
start() {
    local name=$1 binary=$2 dir=$3 url=$4 pid
    shift 4
    PORT=$(free_port)
    LOG=$WORK/$name.log
    # Without the PGOPTIONS psql runs with here: sqlx would send it as a startup parameter,
    # which PgBouncer refuses.
    (cd "$dir" && HOST=127.0.0.1 PORT=$PORT DATABASE_URL=$url exec env -u PGOPTIONS "$@" "$binary") >"$LOG" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 300); do
        kill -0 "$pid" 2>/dev/null || { cat "$WORK/$name.log" >&2; fail "$name exited"; }
        [ "$(status GET "http://127.0.0.1:$PORT/api/items/1")" = 000 ] || return 0
        sleep 0.1
    done
    fail "$name does not answer on port $PORT"
}

# check NAME PORT PROBE...: each PROBE ("METHOD PATH STATUS"), one valid request, must answer
# STATUS before the load starts; else the end of the log of the app started last (LOG).
check() {
    local name=$1 base=http://127.0.0.1:$2 probe method path want got
    shift 2
    for probe in "$@"; do
        read -r method path want <<<"$probe"
        if [ "$method" = POST ]; then
            got=$(status POST "$base$path" '{"item":{"name":"Check item","price":1}}')
        else
            got=$(status GET "$base$path")
        fi
        if [ "$got" != "$want" ]; then
            tail -n 20 "$LOG" >&2
            fail "$name: $method $path answered $got, not $want (its log's end above)"
        fi
    done
}

# ---------------------------------------------------------------- load

FAILURES=()

# drive LABEL PORT PATH MODE: one wrk run; sets RESULT to "req/s p99_ms" and records any
# failure in FAILURES.
# The routes each table measures: "label|path|mode" (see `drive`).
ROUTES=(
    "JSON show   GET /api/items/{id}|/api/items/1|show"
    "JSON index  GET /api/items|/api/items|get"
    "JSON create POST /api/items|/api/items|create"
    "HTML index  GET /posts|/posts|get"
    "HTML JOIN   GET /comments|/comments|get"
)

drive() {
    local label=$1 out=$WORK/wrk.txt line requests rps p99 bad errors first
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout "$TIMEOUT" -s "$LUA" "http://127.0.0.1:$2$3" -- "$4" "$ROWS" >"$out" 2>&1 ||
        { cat "$out" >&2; fail "$label: wrk failed"; }
    line=$(grep '^axgen-load:' "$out") || { cat "$out" >&2; fail "$label: no summary from wrk"; }
    read -r requests rps p99 bad errors first <<<"$(sed -E 's/^axgen-load: //; s/[a-z_0-9]+=//g' <<<"$line")"
    if [ "$requests" -eq 0 ] || [ "$bad" -ne 0 ] || [ "$errors" -ne 0 ]; then
        FAILURES+=("$label: $requests requests, $bad not 2xx/3xx (first: $first), $errors socket errors or timeouts")
        cat "$out" >&2
    fi
    RESULT="$rps $p99"
}

# row LABEL GEN_RPS GEN_P99 [BASE_RPS BASE_P99 [info]]: with "info", the ratio is printed
# without the target.
row() {
    L=$1 awk -v gr="$2" -v gp="$3" -v br="${4:-}" -v bp="${5:-}" -v info="${6:-}" 'BEGIN {
        printf "  %-34s %9.0f req/s  p99 %7.2f ms", ENVIRON["L"], gr, gp
        if (br == "") { printf "   (no baseline)\n"; exit }
        r = gr / br
        printf "  | %9.0f req/s  p99 %7.2f ms  | %5.2fx ", br, bp, r
        if (info != "") printf "(for information)\n"
        else printf "(target >= 0.8x: %s)\n", (r >= 0.8 ? "met" : "MISSED")
    }'
}

# bench ADAPTER: prepares, starts and drives the generated app and the baseline.
bench() {
    local adapter=$1 url gen_port base_port
    if [ "$adapter" = sqlite ]; then
        url=sqlite://$WORK/sqlite/bench_app/bench.db
    else
        url=$PG_BASE/$PG_DB
    fi
    prepare_app "$adapter" "$url"
    local app=$WORK/$adapter/bench_app
    start "generated-$adapter" "$WORK/bench_app-$adapter" "$app" "$url"
    gen_port=$PORT
    start "baseline-$adapter" "$WORK/baseline" "$app" "$url"
    base_port=$PORT
    local json=("GET /api/items/1 200" "GET /api/items/$ROWS 200" "GET /api/items 200" "POST /api/items 201")
    check "generated ($adapter)" "$gen_port" "${json[@]}" "GET /posts 200" "GET /comments 200" "GET /api/items/$((ROWS + 1000000)) 404"
    check "baseline ($adapter)" "$base_port" "${json[@]}" "GET /fixed/items 200"
    local page
    page=$(curl -s "http://127.0.0.1:$gen_port/api/items" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["data"]))')
    say "[$adapter] the generated JSON index answers $page items"
    # The comments' index links each comment to its post by the post's title.
    curl -s "http://127.0.0.1:$gen_port/comments" | grep -Eq '<a href="/posts/[0-9]+">Post [0-9]+</a>' ||
        fail "[$adapter] the comments' index does not show their posts' titles"

    say "[$adapter] warming up"
    DURATION=2s drive "$adapter generated warm-up" "$gen_port" /api/items/1 show
    DURATION=2s drive "$adapter baseline warm-up" "$base_port" /api/items/1 show

    local out=$WORK/table-$adapter g b
    {
        echo "$adapter, $ROWS rows per table (generated JSON index: $page items)"
        printf '  %-34s %-32s   %-32s   %s\n' "route" "generated" "baseline" "generated / baseline"
    } >"$out"
    for spec in "${ROUTES[@]}"; do
        IFS='|' read -r label path mode <<<"$spec"
        say "[$adapter] $label: generated"
        drive "$adapter generated $label" "$gen_port" "$path" "$mode"
        g=$RESULT
        GENERATED["$adapter $label"]=$g
        if [ "$path" = /posts ] || [ "$path" = /comments ]; then
            row "$label" $g >>"$out"
        else
            say "[$adapter] $label: baseline"
            drive "$adapter baseline $label" "$base_port" "$path" "$mode"
            b=$RESULT
            row "$label" $g $b >>"$out"
        fi
        if [ "$path" = /api/items ] && [ "$mode" = get ]; then
            # The same first page from a handler with LIMIT 20 written into its SQL: what
            # binding LIMIT and OFFSET as parameters costs (PostgreSQL plans such a
            # statement again at every execution).
            say "[$adapter] JSON index: baseline with LIMIT 20 in its SQL"
            drive "$adapter baseline fixed first page" "$base_port" /fixed/items get
            b=$RESULT
            row "  vs LIMIT 20 in the SQL" $g $b info >>"$out"
        fi
    done
    say "[$adapter] done"
}

declare -A GENERATED

# start_pgbouncer MODE: PgBouncer in front of the PostgreSQL server, with pool_mode = MODE, on a
# free port (BOUNCER_PORT); run as nobody when the script runs as root, as PgBouncer refuses root.
start_pgbouncer() {
    local mode=$1 dir=$WORK/pgbouncer-$1 server
    server=$(python3 -c 'import sys, urllib.parse as u; p = u.urlparse(sys.argv[1]); print(p.hostname, p.port or 5432, p.username or "postgres")' "$PG_URL")
    read -r PG_HOST PG_PORT PG_USER <<<"$server"
    BOUNCER_PORT=$(free_port)
    mkdir -p "$dir"
    printf '%s\n' "[databases]" "* = host=$PG_HOST port=$PG_PORT" "[pgbouncer]" \
        "listen_addr = 127.0.0.1" "listen_port = $BOUNCER_PORT" "unix_socket_dir =" \
        "auth_type = trust" "auth_file = $dir/userlist.txt" "pool_mode = $mode" \
        "logfile = $dir/pgbouncer.log" "pidfile = $dir/pgbouncer.pid" >"$dir/pgbouncer.ini"
    printf '"%s" ""\n' "$PG_USER" >"$dir/userlist.txt"
    local user=()
    if [ "$(id -u)" = 0 ]; then
        chown -R nobody "$dir"
        chmod 755 "$WORK"
        user=(-u nobody)
    fi
    /usr/sbin/pgbouncer "${user[@]}" "$dir/pgbouncer.ini" >"$dir/output.log" 2>&1 &
    PIDS+=("$!")
    for _ in $(seq 100); do
        (echo >"/dev/tcp/127.0.0.1/$BOUNCER_PORT") 2>/dev/null && return 0
        sleep 0.1
    done
    cat "$dir/output.log" "$dir/pgbouncer.log" >&2
    fail "PgBouncer does not listen on port $BOUNCER_PORT"
}

# bench_pooler MODE: the PostgreSQL app as generated, through PgBouncer in MODE pooling, on the
# routes of bench, beside its figures straight to PostgreSQL.
bench_pooler() {
    local mode=$1 app=$WORK/postgres/bench_app setting=() g
    start_pgbouncer "$mode"
    if [ "$mode" = transaction ]; then setting=(DATABASE_POOLER=transaction); fi
    start "generated-pgbouncer-$mode" "$WORK/bench_app-postgres" "$app" \
        "postgres://$PG_USER@127.0.0.1:$BOUNCER_PORT/$PG_DB" "${setting[@]}"
    check "generated (PgBouncer, $mode)" "$PORT" "GET /api/items/1 200" "POST /api/items 201" "GET /comments 200"
    DURATION=2s drive "pgbouncer $mode warm-up" "$PORT" /api/items/1 show
    local out=$WORK/table-pgbouncer-$mode
    {
        echo "postgres through PgBouncer, pool_mode = $mode${setting:+ (${setting[*]})}"
        printf '  %-34s %-32s   %-32s   %s\n' "route" "through PgBouncer" "straight to PostgreSQL" "PgBouncer / straight"
    } >"$out"
    for spec in "${ROUTES[@]}"; do
        IFS='|' read -r label path kind <<<"$spec"
        say "[pgbouncer $mode] $label"
        drive "pgbouncer $mode $label" "$PORT" "$path" "$kind"
        g=$RESULT
        # shellcheck disable=SC2086 # "req/s p99" splits into row's two arguments
        row "$label" $g ${GENERATED["postgres $label"]} info >>"$out"
    done
}

main() {
    ensure_tools
    make_csvs
    local adapter
    for adapter in $DATABASES; do
        bench "$adapter"
    done
    local mode
    if [ -n "$POOLERS" ]; then
        case " $DATABASES " in *" postgres "*) ;; *) fail "POOLERS needs postgres in DATABASES" ;; esac
        for mode in $POOLERS; do
            bench_pooler "$mode"
        done
    fi

    echo "axgen load benchmark: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --timeout $TIMEOUT on 127.0.0.1 (generated and baseline in turn)"
    echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)$(
        case " $DATABASES " in *" postgres "*) psql -qAtX "$PG_URL" -c 'SHOW server_version' | sed 's/^/; PostgreSQL /' ;; esac)"
    for adapter in $DATABASES; do
        echo
        cat "$WORK/table-$adapter"
    done
    for mode in $POOLERS; do
        echo
        cat "$WORK/table-pgbouncer-$mode"
    done
    if [ ${#FAILURES[@]} -gt 0 ]; then
        echo
        printf 'FAILED: %s\n' "${FAILURES[@]}"
        exit 1
    fi
}

main
