#!/usr/bin/env bash
# Benchmarks axgen's database commands against the tools they replace, on the same machine and
# the same data:
#   - seeding ROWS CSV rows: `axgen seed` vs `sqlite3 .import` (SQLite) and psql `\copy` (PostgreSQL),
#     into the table `axgen gen schema` writes (a user's CSV without ids, with the timestamps
#     columns the generated table has; every value checked against the app's Rust types), and
#     into a hand-written table whose CSV gives ids and no timestamps to fill (today's shape)
#   - MIGRATIONS migrations: `axgen migrate` / `rollback --all` vs `sqlx migrate run` / `revert`
# Each figure is the best of several runs, each on a fresh database; the two tools' runs
# alternate, so a busy disk or CPU slows both alike.
#
# Usage: bench/db.sh [ROWS] [MIGRATIONS]        (defaults: 1000000 200; MIGRATIONS=0 times
#                                                seeding only, without sqlx-cli)
# Env:   AXGEN_BENCH_POSTGRES_URL  server URL (default: $AXGEN_TEST_POSTGRES_URL, else
#                                  postgres://postgres@127.0.0.1:5432/postgres); databases named
#                                  axgen_bench_* are created on it and dropped again
#        RUNS                      runs per seeding figure (default 5)
#        MIGRATION_RUNS            runs per migration figure (default 15; fsync times vary a lot)
# Needs: sqlite3 (installed with apt-get if missing), psql, awk; sqlx-cli is built into
#        target/bench-tools with `cargo install` if missing.
set -euo pipefail

ROWS=${1:-1000000}
MIGRATIONS=${2:-200}
RUNS=${RUNS:-5}
MIGRATION_RUNS=${MIGRATION_RUNS:-15}
REPO=$(cd "$(dirname "$0")/.." && pwd)
PG_URL=${AXGEN_BENCH_POSTGRES_URL:-${AXGEN_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}}
TOOLS=$REPO/target/bench-tools
WORK=$(mktemp -d)
PG_BASE=${PG_URL%/*}
export PGOPTIONS="-c client_min_messages=warning"

cleanup() {
    for db in axgen_bench_seed axgen_bench_copy axgen_bench_gseed axgen_bench_gcopy \
        axgen_bench_migrate axgen_bench_sqlx; do
        psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '%s\n' "$*" >&2; }

ensure_tools() {
    if ! command -v sqlite3 >/dev/null; then
        say "installing sqlite3"
        apt-get install -y sqlite3 >/dev/null
    fi
    command -v psql >/dev/null || { say "psql is needed"; exit 2; }
    if [ "$MIGRATIONS" -gt 0 ] && [ ! -x "$TOOLS/bin/sqlx" ]; then
        say "installing sqlx-cli into $TOOLS (once)"
        cargo install sqlx-cli --version 0.9.0 --locked --no-default-features \
            --features sqlite,postgres --root "$TOOLS" >/dev/null
    fi
    say "building axgen (release)"
    (cd "$REPO" && cargo build --release --bin axgen --quiet)
}

# seconds CMD...: runs CMD with its output discarded and prints how long it took.
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}

min() { printf '%s\n' "$@" | sort -g | head -n 1; }

# pair SETUP_A RUN_A SETUP_B RUN_B: the best times of RUNS alternating runs of A and B, each
# run after its SETUP.
pair() {
    local a=() b=()
    for _ in $(seq "$RUNS"); do
        "$1"
        a+=("$(seconds "$2")")
        "$3"
        b+=("$(seconds "$4")")
    done
    echo "$(min "${a[@]}") $(min "${b[@]}")"
}

pg() { psql "$PG_URL" -qX -v ON_ERROR_STOP=1 "$@" >/dev/null; }
pg_fresh() { pg -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"; }

# app DIR URL: an axgen app in DIR using URL.
app() {
    mkdir -p "$1/migrations"
    printf '[app]\nname = "bench"\n\n[database]\nadapter = "%s"\nurl = "%s"\n' \
        "${2%%:*}" "$2" >"$1/axgen.toml"
}

axgen() { "$REPO/target/release/axgen" --color=never "$@"; }

# ---------------------------------------------------------------- data

SQLITE_ITEMS='CREATE TABLE items (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL,
  age INTEGER NOT NULL, score REAL NOT NULL, active INTEGER NOT NULL, inserted_at TEXT NOT NULL);'
PG_ITEMS='CREATE TABLE items (id BIGINT PRIMARY KEY, email VARCHAR(255) NOT NULL,
  name VARCHAR(255) NOT NULL, age INTEGER NOT NULL, score DOUBLE PRECISION NOT NULL,
  active BOOLEAN NOT NULL, inserted_at TIMESTAMP NOT NULL);'

make_csv() {
    say "writing $ROWS CSV rows"
    awk -v n="$ROWS" 'BEGIN {
        print "id,email,name,age,score,active,inserted_at"
        for (i = 1; i <= n; i++)
            printf "%d,user%d@example.com,\"Name %d, Jr\",%d,%.2f,%d,2026-01-%02d %02d:%02d:00\n",
                i, i, i, 18 + i % 70, (i % 1000) / 7, i % 2, 1 + i % 28, i % 24, i % 60
    }' >"$WORK/items.csv"
}

# ---------------------------------------------------------------- seeding

sqlite_axgen_setup() {
    rm -rf "$WORK/s1"
    app "$WORK/s1" "sqlite:bench.db"
    printf '%s\n' "$SQLITE_ITEMS" >"$WORK/s1/migrations/20260101000000_create_items.up.sql"
    (cd "$WORK/s1" && axgen db create && axgen migrate) >/dev/null
}
sqlite_axgen_seed() { (cd "$WORK/s1" && axgen seed "$WORK/items.csv"); }

sqlite_import_setup() {
    rm -f "$WORK/import.db"
    sqlite3 "$WORK/import.db" "$SQLITE_ITEMS"
}
sqlite_import() { sqlite3 "$WORK/import.db" ".import --csv --skip 1 $WORK/items.csv items"; }

pg_axgen_setup() {
    pg -c "DROP DATABASE IF EXISTS axgen_bench_seed"
    rm -rf "$WORK/p1"
    app "$WORK/p1" "$PG_BASE/axgen_bench_seed"
    printf '%s\n' "$PG_ITEMS" >"$WORK/p1/migrations/20260101000000_create_items.up.sql"
    (cd "$WORK/p1" && axgen db create && axgen migrate) >/dev/null
}
pg_axgen_seed() { (cd "$WORK/p1" && axgen seed "$WORK/items.csv"); }

pg_copy_setup() {
    pg_fresh axgen_bench_copy
    psql "$PG_BASE/axgen_bench_copy" -qX -c "$PG_ITEMS" >/dev/null
}
pg_copy() {
    psql "$PG_BASE/axgen_bench_copy" -qX -v ON_ERROR_STOP=1 \
        -c "\\copy items FROM '$WORK/items.csv' WITH (FORMAT csv, HEADER true)"
}

count_sqlite() { sqlite3 "$1" "SELECT COUNT(*) FROM ${2:-items}"; }
count_pg() { psql "$PG_BASE/$1" -qAtX -c "SELECT COUNT(*) FROM ${2:-items}"; }

# ---------------------------------------------------------------- the generated schema

# The fields of the generated table, and a user's CSV of it: no ids, the timestamps given.
GEN_FIELDS="email:string name:string age:integer score:float active:boolean"
GEN_COLUMNS="email,name,age,score,active,inserted_at,updated_at"

make_gen_csv() {
    awk -v n="$ROWS" -v cols="$GEN_COLUMNS" 'BEGIN {
        print cols
        for (i = 1; i <= n; i++)
            printf "user%d@example.com,\"Name %d, Jr\",%d,%.2f,%s,2026-01-%02dT%02d:%02d:00Z,2026-02-%02dT%02d:%02d:00Z\n",
                i, i, 18 + i % 70, (i % 1000) / 7, (i % 2 ? "true" : "false"),
                1 + i % 28, i % 24, i % 60, 1 + i % 28, i % 24, i % 60
    }' >"$WORK/users.csv"
}

# gen_app DIR ADAPTER URL: an app made by `axgen new`, its users table written by
# `axgen gen schema` and migrated.
gen_app() {
    rm -rf "$1"
    axgen new bench --path "$1" --database "$2" -q
    rm -f "$1/.env"
    printf '[app]\nname = "bench"\n\n[database]\nadapter = "%s"\nurl = "%s"\n' "$2" "$3" >"$1/axgen.toml"
    # shellcheck disable=SC2086
    (cd "$1" && axgen gen schema Accounts.User users $GEN_FIELDS -q && axgen db create && axgen migrate) >/dev/null
}

sqlite_gen_setup() { gen_app "$WORK/g1" sqlite "sqlite:bench.db"; }
sqlite_gen_seed() { (cd "$WORK/g1" && axgen seed "$WORK/users.csv"); }

# sqlite3 cannot name the columns it imports, so it gets the generated table's columns
# without the id (its cheapest way to load these rows; axgen also fills the AUTOINCREMENT id).
sqlite_gen_import_setup() {
    rm -f "$WORK/gimport.db"
    sqlite3 "$WORK/gimport.db" "$(sqlite3 "$WORK/g1/bench.db" "SELECT sql FROM sqlite_master WHERE name = 'users'" |
        sed -e '/^ *id INTEGER/d')"
}
sqlite_gen_import() { sqlite3 "$WORK/gimport.db" ".import --csv --skip 1 $WORK/users.csv users"; }

pg_gen_setup() {
    pg -c "DROP DATABASE IF EXISTS axgen_bench_gseed"
    gen_app "$WORK/g2" postgres "$PG_BASE/axgen_bench_gseed"
}
pg_gen_seed() { (cd "$WORK/g2" && axgen seed "$WORK/users.csv"); }

pg_gen_copy_setup() {
    pg -c "DROP DATABASE IF EXISTS axgen_bench_gcopy"
    gen_app "$WORK/g3" postgres "$PG_BASE/axgen_bench_gcopy"
}
pg_gen_copy() {
    psql "$PG_BASE/axgen_bench_gcopy" -qX -v ON_ERROR_STOP=1 \
        -c "\\copy users ($GEN_COLUMNS) FROM '$WORK/users.csv' WITH (FORMAT csv, HEADER true)"
}

# ---------------------------------------------------------------- migrations

make_migrations() {
    mkdir -p "$WORK/migrations"
    for i in $(seq "$MIGRATIONS"); do
        local v=$((20260101000000 + i))
        printf 'CREATE TABLE t_%d (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nCREATE INDEX t_%d_name ON t_%d (name);\n' \
            "$i" "$i" "$i" >"$WORK/migrations/${v}_create_t_$i.up.sql"
        printf 'DROP TABLE t_%d;\n' "$i" >"$WORK/migrations/${v}_create_t_$i.down.sql"
    done
}

# migration_figures ENGINE URL_AXGEN URL_SQLX: prints "axgen_up axgen_down sqlx_up sqlx_down".
migration_figures() {
    local engine=$1 axgen_url=$2 sqlx_url=$3 times_au=() times_ad=() times_su=() times_sd=()
    rm -rf "$WORK/m"
    app "$WORK/m" "$axgen_url"
    cp "$WORK"/migrations/*.sql "$WORK/m/migrations/"
    for _ in $(seq "$MIGRATION_RUNS"); do
        fresh_migration_dbs "$engine"
        times_au+=("$(seconds axgen_in_m migrate)")
        times_ad+=("$(seconds axgen_in_m rollback --all)")
        times_su+=("$(seconds "$TOOLS/bin/sqlx" migrate run --no-dotenv --source "$WORK/migrations" --database-url "$sqlx_url")")
        times_sd+=("$(seconds "$TOOLS/bin/sqlx" migrate revert --no-dotenv --target-version 0 --source "$WORK/migrations" --database-url "$sqlx_url")")
    done
    echo "$(min "${times_au[@]}") $(min "${times_ad[@]}") $(min "${times_su[@]}") $(min "${times_sd[@]}")"
}

axgen_in_m() { (cd "$WORK/m" && axgen "$@"); }

fresh_migration_dbs() {
    if [ "$1" = sqlite ]; then
        rm -f "$WORK/m/migrate.db" "$WORK/sqlx.db"
        sqlite3 "$WORK/m/migrate.db" "VACUUM"
        sqlite3 "$WORK/sqlx.db" "VACUUM"
    else
        pg_fresh axgen_bench_migrate
        pg_fresh axgen_bench_sqlx
    fi
}

# ---------------------------------------------------------------- report

# row LABEL SECONDS [ROWS]: one line of the table.
row() {
    L=$1 awk -v s="$2" -v n="${3:-0}" 'BEGIN {
        if (n > 0) printf "  %-34s %8.3fs %12.0f rows/s\n", ENVIRON["L"], s, n / s
        else printf "  %-34s %8.3fs\n", ENVIRON["L"], s
    }'
}

# ratio LABEL OTHER AXGEN TARGET: how many times faster axgen is than OTHER (>1 = faster).
ratio() {
    L=$1 awk -v o="$2" -v a="$3" -v t="$4" 'BEGIN {
        r = o / a
        printf "  %-34s %8.2fx   (target >= %sx: %s)\n", ENVIRON["L"], r, t, (r >= t ? "met" : "MISSED")
    }'
}

# report_seeding: the seeding figures, headline first (the generated schema).
report_seeding() {
    echo "axgen db benchmark: $ROWS CSV rows (best of $RUNS runs)"
    echo "$(nproc) cores; $(sqlite3 --version | cut -d' ' -f1-2 | sed 's/^/sqlite3 /'); $(psql -qAtX "$PG_URL" -c 'SHOW server_version' | sed 's/^/PostgreSQL /')"
    echo
    echo "Seeding $ROWS CSV rows into the table \`axgen gen schema\` writes ($GEN_COLUMNS; no ids)"
    row "SQLite  axgen seed" "$g_axgen" "$ROWS"
    row "SQLite  sqlite3 .import" "$g_import" "$ROWS"
    ratio "SQLite  axgen vs sqlite3 .import" "$g_import" "$g_axgen" 1.2
    row "PostgreSQL  axgen seed (COPY)" "$gp_axgen" "$ROWS"
    row "PostgreSQL  psql \\copy" "$gp_copy" "$ROWS"
    ratio "PostgreSQL  axgen vs psql \\copy" "$gp_copy" "$gp_axgen" 1.1
    echo
    echo "Seeding $ROWS CSV rows into a hand-written table (7 columns, ids given, no timestamps to fill)"
    row "SQLite  axgen seed" "$s_axgen" "$ROWS"
    row "SQLite  sqlite3 .import" "$s_import" "$ROWS"
    ratio "SQLite  axgen vs sqlite3 .import" "$s_import" "$s_axgen" 1.0
    row "PostgreSQL  axgen seed (COPY)" "$p_axgen" "$ROWS"
    row "PostgreSQL  psql \\copy" "$p_copy" "$ROWS"
    ratio "PostgreSQL  axgen vs psql \\copy" "$p_copy" "$p_axgen" 0.8
}

main() {
    ensure_tools
    make_csv
    make_gen_csv
    make_migrations
    say "timing"

    read -r g_axgen g_import <<<"$(pair sqlite_gen_setup sqlite_gen_seed sqlite_gen_import_setup sqlite_gen_import)"
    [ "$(count_sqlite "$WORK/g1/bench.db" users)" = "$ROWS" ] || { say "axgen seeded a wrong number of rows"; exit 1; }
    [ "$(count_sqlite "$WORK/gimport.db" users)" = "$ROWS" ] || { say "sqlite3 imported a wrong number of rows"; exit 1; }
    read -r gp_axgen gp_copy <<<"$(pair pg_gen_setup pg_gen_seed pg_gen_copy_setup pg_gen_copy)"
    [ "$(count_pg axgen_bench_gseed users)" = "$ROWS" ] || { say "axgen seeded a wrong number of rows"; exit 1; }
    [ "$(count_pg axgen_bench_gcopy users)" = "$ROWS" ] || { say "psql copied a wrong number of rows"; exit 1; }
    read -r s_axgen s_import <<<"$(pair sqlite_axgen_setup sqlite_axgen_seed sqlite_import_setup sqlite_import)"
    [ "$(count_sqlite "$WORK/s1/bench.db")" = "$ROWS" ] || { say "axgen seeded a wrong number of rows"; exit 1; }
    [ "$(count_sqlite "$WORK/import.db")" = "$ROWS" ] || { say "sqlite3 imported a wrong number of rows"; exit 1; }
    read -r p_axgen p_copy <<<"$(pair pg_axgen_setup pg_axgen_seed pg_copy_setup pg_copy)"
    [ "$(count_pg axgen_bench_seed)" = "$ROWS" ] || { say "axgen seeded a wrong number of rows"; exit 1; }
    [ "$(count_pg axgen_bench_copy)" = "$ROWS" ] || { say "psql copied a wrong number of rows"; exit 1; }

    if [ "$MIGRATIONS" -eq 0 ]; then
        report_seeding
        return
    fi
    local sqlite_m pg_m
    sqlite_m=$(migration_figures sqlite "sqlite:migrate.db" "sqlite://$WORK/sqlx.db")
    pg_m=$(migration_figures postgres "$PG_BASE/axgen_bench_migrate" "$PG_BASE/axgen_bench_sqlx")
    read -r sau sad ssu ssd <<<"$sqlite_m"
    read -r pau pad psu psd <<<"$pg_m"

    report_seeding
    echo "sqlx-cli: $("$TOOLS/bin/sqlx" --version); $MIGRATIONS migrations best of $MIGRATION_RUNS runs"
    echo
    echo "$MIGRATIONS migrations (CREATE TABLE + CREATE INDEX each)"
    row "SQLite  axgen migrate" "$sau"
    row "SQLite  sqlx migrate run" "$ssu"
    ratio "SQLite  migrate vs sqlx-cli" "$ssu" "$sau" 1.0
    row "SQLite  axgen rollback --all" "$sad"
    row "SQLite  sqlx migrate revert" "$ssd"
    ratio "SQLite  rollback vs sqlx-cli" "$ssd" "$sad" 1.0
    row "PostgreSQL  axgen migrate" "$pau"
    row "PostgreSQL  sqlx migrate run" "$psu"
    ratio "PostgreSQL  migrate vs sqlx-cli" "$psu" "$pau" 1.0
    row "PostgreSQL  axgen rollback --all" "$pad"
    row "PostgreSQL  sqlx migrate revert" "$psd"
    ratio "PostgreSQL  rollback vs sqlx-cli" "$psd" "$pad" 1.0
}

main
