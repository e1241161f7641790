# Shared by Scripts/serve, Scripts/test and friends: find the tools, run a private
# PostgreSQL cluster. Source it; it defines functions only.

ply_root() { cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd; }

ply_find_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
            [ -x "$d/swift" ] && PATH="$PATH:$d" && break
        done
    fi
    command -v swift >/dev/null 2>&1 || {
        echo "error: the Swift toolchain (swift 6.x) is not on PATH; install it from swift.org" >&2
        exit 1
    }
}

# Prints the directory holding initdb and pg_ctl, installing Debian's postgresql when
# we are root on a Debian-like machine and it is missing.
ply_find_pg_bin() {
    local d
    for d in "${PLY_PG_BIN:-}" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) /usr/local/pgsql/bin /opt/homebrew/bin /usr/local/bin /usr/bin; do
        if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
    done
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "PostgreSQL server binaries not found; installing Debian's postgresql package..." >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2 || true
        for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
            if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
        done
    fi
    cat >&2 <<'MSG'
error: PostgreSQL server binaries (initdb, pg_ctl) were not found.
  Install PostgreSQL 14 or newer (Debian/Ubuntu: apt-get install postgresql;
  macOS: brew install postgresql), or set PLY_PG_BIN to the folder holding initdb,
  or point PLY_DATABASE_URL at a database you already run.
MSG
    return 1
}

# ply_pg_start DIR PORT: creates (once) and starts a cluster in DIR listening on
# 127.0.0.1:PORT with a superuser "ply" and trust auth on loopback only; creates
# database "ply". initdb refuses root, so as root the cluster belongs to "postgres".
# Sets PLY_PG_STARTED to 1 when it started the server, 0 when it was running already.
ply_pg_start() {
    local dir="$1" port="$2" bin
    bin="$(ply_find_pg_bin)" || return 1
    PLY_PG_BIN_FOUND="$bin"
    local as=()
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
        as=(runuser -u postgres --)
    fi
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir" && chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        # A cluster without fsync (tests) need not flush its new files either.
        local sync=()
        [ "${PLY_PG_FSYNC:-on}" = off ] && sync=(--no-sync)
        "${as[@]}" "$bin/initdb" -D "$dir/data" -U ply --auth=trust -E UTF8 --no-locale ${sync[@]+"${sync[@]}"} >"$dir/initdb.log" 2>&1 || {
            echo "error: initdb failed; see $dir/initdb.log" >&2
            tail -5 "$dir/initdb.log" >&2
            return 1
        }
    fi
    mkdir -p "$dir/socket"
    [ "$(id -u)" = 0 ] && chown postgres "$dir/socket"
    PLY_PG_STARTED=0
    if ! "${as[@]}" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        PLY_PG_STARTED=1
        "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
            -o "-p $port -k $dir/socket -c listen_addresses=127.0.0.1 -c max_connections=500 -c fsync=${PLY_PG_FSYNC:-on}" \
            start >/dev/null || {
            echo "error: PostgreSQL did not start; see $dir/postgres.log" >&2
            tail -5 "$dir/postgres.log" >&2
            return 1
        }
    fi
    "$bin/psql" -h 127.0.0.1 -p "$port" -U ply -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='ply'" | grep -q 1 ||
        "$bin/psql" -h 127.0.0.1 -p "$port" -U ply -d postgres -qc "CREATE DATABASE ply" >/dev/null
}

# Prints a TCP port on 127.0.0.1 that is free right now.
ply_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
        echo $((20000 + RANDOM % 20000))
}

# ply_accepts HOST PORT: succeeds when something accepts a TCP connection on HOST:PORT now.
# bash's /dev/tcp needs no nc, which not every machine has.
ply_accepts() {
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# ply_descendants PID: prints the pids below PID (its children, their children, ...), each
# parent before its children. `pgrep -P` works on Linux and macOS alike.
ply_descendants() {
    local child
    for child in $(pgrep -P "$1" 2>/dev/null); do
        echo "$child"
        ply_descendants "$child"
    done
}

ply_pg_stop() {
    local dir="$1" bin="${PLY_PG_BIN_FOUND:-$(ply_find_pg_bin)}"
    local as=()
    [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# ply_browser_tests ROOT: Scripts/test's browser step. Installs Debian's chromium and
# chromium-driver when missing (as root, with apt-get) and selenium into ROOT/.ply/venv,
# makes a database of its own in the test cluster (PLY_TEST_DATABASE_URL), and runs
# Tests/Browser/run.py, which starts and stops the server. Screenshots: ROOT/.ply/screenshots.
ply_browser_tests() {
    local root="$1" venv="$1/.ply/venv" out
    export PLY_CHROMIUM="${PLY_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
    export PLY_CHROMEDRIVER="${PLY_CHROMEDRIVER:-$(command -v chromedriver || true)}"
    if [ -z "$PLY_CHROMIUM" ] || [ -z "$PLY_CHROMEDRIVER" ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "The browser tests need Chromium; installing Debian's chromium and chromium-driver (apt-get)..."
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
            PLY_CHROMIUM="$(command -v chromium)" PLY_CHROMEDRIVER="$(command -v chromedriver)"
        else
            echo "error: the browser tests need chromium and chromedriver (Debian: apt-get install chromium" \
                "chromium-driver, as root); set PLY_CHROMIUM and PLY_CHROMEDRIVER, or PLY_SKIP_BROWSER=1 to skip them" >&2
            return 1
        fi
    fi
    if [ ! -x "$venv/bin/python" ] && ! out="$(python3 -m venv "$venv" 2>&1)"; then
        rm -rf "$venv"
        echo "error: the browser tests need a Python virtual environment: python3 -m venv .ply/venv said:" \
            "$(echo "$out" | tail -n 1)" >&2
        return 1
    fi
    if ! "$venv/bin/python" -c 'import selenium' >/dev/null 2>&1; then
        echo "installing selenium into .ply/venv for the browser tests"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check selenium || {
            echo "error: pip could not install selenium into .ply/venv" >&2
            return 1
        }
    fi
    local bin psql database base
    bin="$(swift build --show-bin-path)/ply"
    swift build --product ply >/dev/null
    psql="${PLY_TEST_PG_BIN:+$PLY_TEST_PG_BIN/}psql"
    database="ply_browser_$$"
    base="${PLY_TEST_DATABASE_URL%/*}"
    "$psql" "$base/postgres" -qc "CREATE DATABASE $database" >/dev/null
    echo "Browser tests: headless Chromium against ply serve (database $database)..."
    local status=0
    timeout --kill-after=10 "${PLY_BROWSER_TIME_LIMIT_SECONDS:-900}" "$venv/bin/python" "$root/Tests/Browser/run.py" \
        --ply "$bin" --database-url "$base/$database" --psql "$psql" --screenshots "$root/.ply/screenshots" || status=$?
    "$psql" "$base/postgres" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null || true
    [ "$status" = 124 ] && echo "error: the browser tests did not finish within ${PLY_BROWSER_TIME_LIMIT_SECONDS:-900} s" >&2
    return "$status"
}
