# Several `ply serve` processes on one database, for failover scenarios (Scripts/chaos
# --failover, Scripts/bench-failover). The caller sets $ply, $url, $work and $failover
# (--failover-seconds).

# ha_serve NAME PORT HTTP_PORT [serve arguments...]: starts a server in the background,
# logging to $work/NAME.log; its pid goes to $ha_pid_NAME.
ha_serve() {
    local name="$1" port="$2" http="$3"
    shift 3
    "$ply" serve --port "$port" --http-port "$http" --database-url "$url" --failover-seconds "$failover" \
        --log-level notice "$@" >>"$work/$name.log" 2>&1 &
    printf -v "ha_pid_$name" '%s' "$!"
}

# ha_health HTTP_PORT: what /healthz answers ('' when nothing does).
ha_health() {
    python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1).read().decode().strip())
except urllib.error.HTTPError as e:
    print(e.read().decode().strip())
except Exception:
    print("")
PY
}

# ha_wait_ok HTTP_PORT SINCE LIMIT: waits until /healthz answers ok, polling every 10 ms,
# and prints the seconds from SINCE (a `date +%s.%N` time) to the first ok; fails after
# LIMIT seconds.
ha_wait_ok() {
    python3 - "$1" "$2" "$3" <<'PY'
import sys, time, urllib.request
port, since, limit = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
while time.time() - since < limit:
    try:
        if urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=0.5).read().strip() == b"ok":
            print(f"{time.time() - since:.3f}")
            sys.exit(0)
    except Exception:
        pass
    time.sleep(0.01)
print(f"no takeover within {limit} s", file=sys.stderr)
sys.exit(1)
PY
}

# ha_wait_health HTTP_PORT WORD: waits (up to 30 s) until /healthz answers WORD.
ha_wait_health() {
    local _
    for _ in $(seq 300); do
        [ "$(ha_health "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    echo "error: /healthz on $1 never answered $2" >&2
    return 1
}
