#!/usr/bin/env bash
# Try the multi-host layout of docs/deploy.md on one machine, with the files in deploy/.
#
#   deploy/try-local.sh            (KEEP=1 keeps the temporary directory for a look)
#
# Needs: the project's .venv, PostgreSQL on 127.0.0.1:5432 that `postgres` may use without a
# password (PG_ADMIN_URL to change), redis-server, nginx (Debian: apt-get install nginx; only
# this trial needs it, CI does not), openssl and curl.
#
# Two "hosts" A and B (each its own VAR_DIR, one shared UPLOAD_DIR), each running one
# `qiyun serve` and one `qiyun worker`, all in QIYUN_ENV=production with the settings in an
# env file (0600) as systemd's EnvironmentFile would pass them; one PostgreSQL database; a
# Redis started from deploy/redis/qiyun.conf (AOF) on a spare port; nginx started from
# deploy/nginx/qiyun.conf with a self-signed certificate on spare ports; the WeChat
# simulator playing WeChat, its API behind TLS too (production requires https). Then:
#   1. /readyz through the proxy                 2. requests spread over both servers
#   3. the client's address reaches the app      4. a follower's message through the proxy
#   5. /metrics (when the build has METRICS_TOKEN) 6. a rolling restart drops no request
#   7. Redis killed and restarted: AOF keeps a queued job, the workers run it
#   8. backup with deploy/postgresql/qiyun-pg-backup.sh, restore into a second database,
#      every table's row count compared
# and stops everything, drops both databases. Exit 0 only if every check passed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
QIYUN="$VENV/bin/qiyun"
PY="$VENV/bin/python"
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432}
DB=${TRY_DB:-qiyun_deploy_try}
DB_RESTORE="${DB}_restore"
REDIS_SERVER=${REDIS_SERVER:-$(command -v redis-server || echo "$VENV/bin/redis-server")}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

for tool in "$QIYUN" "$REDIS_SERVER" "$NGINX"; do
    [ -x "$tool" ] || { echo "try-local: $tool not found (see the header of this script)" >&2; exit 2; }
done
for tool in psql pg_dump pg_restore openssl curl; do
    command -v "$tool" > /dev/null || { echo "try-local: $tool not found" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/qiyun-try.XXXXXX)
chmod 711 "$WORK"   # nginx's worker (nobody) must reach its temp directory below
PIDS=()             # process-group leaders to stop
FAILED=0
RESULTS=()

say() { printf '%s try-local: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
pass() { RESULTS+=("PASS  $1"); say "PASS  $1"; }
fail() { RESULTS+=("FAIL  $1"); say "FAIL  $1"; FAILED=1; }
psql_db() { psql "$PG_ADMIN_URL/$1" -v ON_ERROR_STOP=1 -qAt -c "$2"; }

read -r P_A P_B P_SIM P_SIM_TLS P_HTTPS P_HTTP P_REDIS < <("$PY" - <<'EOF'
import socket
socks = [socket.socket() for _ in range(7)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
EOF
)
PROXY="https://127.0.0.1:$P_HTTPS"
CURL=(curl -sS --max-time 10 --cacert "$WORK/tls/cert.pem")

# -- stopping -------------------------------------------------------------------------

stop_group() {  # like systemd's KillMode=mixed, TimeoutStopSec=20: SIGTERM the main process,
    # then SIGKILL whatever is left in its group after 20 s (docs/known-issues.md)
    local pgid=$1 i
    kill -TERM "$pgid" 2> /dev/null || { kill -KILL -- "-$pgid" 2> /dev/null; return 0; }
    for i in $(seq 1 40); do
        kill -0 -- "-$pgid" 2> /dev/null || return 0
        sleep 0.5
    done
    say "process group $pgid ignored SIGTERM for 20 s; killing it"
    kill -KILL -- "-$pgid" 2> /dev/null || true
}

cleanup() {
    local code=$?
    set +e
    [ -f "$WORK/nginx/nginx.pid" ] && "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" -s quit 2> /dev/null
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_group "${PIDS[i]}"; done   # Redis last
    psql_db postgres "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
    psql_db postgres "DROP DATABASE IF EXISTS $DB_RESTORE WITH (FORCE)"
    if [ "${KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
    echo
    echo "== try-local summary ($(date -u +%Y-%m-%dT%H:%M:%SZ)) =="
    printf '%s\n' "${RESULTS[@]}"
    if [ "$FAILED" = 0 ] && [ "$code" = 0 ]; then echo "ALL PASSED"; else echo "FAILED (exit $code)"; fi
}
trap cleanup EXIT

start() {  # start NAME ARGS...: a process in its own group (setsid), output to $WORK/logs/NAME.log
    local name=$1; shift
    setsid "$@" >> "$WORK/logs/$name.log" 2>&1 < /dev/null &
    PIDS+=("$!")
    eval "PID_${name//-/_}=$!"
}

wait_http() {  # wait_http URL SECONDS [curl options]
    local url=$1 seconds=$2 i; shift 2
    for i in $(seq 1 $((seconds * 2))); do
        if curl -sf --max-time 2 "$@" "$url" > /dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    return 1
}

wait_log() {  # wait_log FILE PATTERN SECONDS
    local i
    for i in $(seq 1 $(($3 * 2))); do
        grep -q "$2" "$1" 2> /dev/null && return 0
        sleep 0.5
    done
    return 1
}

start_server() {  # start_server NAME HOST PORT: `qiyun serve` until /readyz answers, restarted
    # on failure as systemd's Restart=on-failure would
    local name=$1 host=$2 port=$3 attempt i pid
    for attempt in 1 2 3; do
        start "$name" env -i $(host_env "$host") "$QIYUN" serve --host 127.0.0.1 --port "$port"
        pid=$!
        for i in $(seq 1 360); do
            curl -sf --max-time 2 "http://127.0.0.1:$port/readyz" > /dev/null 2>&1 && return 0
            kill -0 "$pid" 2> /dev/null || break
            sleep 0.5
        done
        stop_group "$pid"
        RESULTS+=("NOTE  $name: start $attempt failed: $(grep -o 'Not all workers acknowledged a successful startup\|Error[^"]*' "$WORK/logs/$name.log" | tail -1); restarted")
        say "${RESULTS[-1]}"
        sleep 2
    done
    return 1
}

mkdir -p "$WORK/logs" "$WORK/tls" "$WORK/nginx/tmp" "$WORK/redis" "$WORK/hostA" "$WORK/hostB" \
    "$WORK/shared-uploads" "$WORK/backups"
chmod 1777 "$WORK/nginx/tmp"

# -- PostgreSQL: a fresh database -----------------------------------------------------

psql_db postgres "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
psql_db postgres "DROP DATABASE IF EXISTS $DB_RESTORE WITH (FORCE)"
psql_db postgres "CREATE DATABASE $DB"
say "database $DB created"

# -- Redis from deploy/redis/qiyun.conf ---------------------------------------------------

REDIS_PASSWORD=$(openssl rand -hex 24)
{
    sed -e "s/^bind .*/bind 127.0.0.1/" -e "s/^requirepass .*/requirepass $REDIS_PASSWORD/" \
        -e "s/^maxmemory [0-9].*/maxmemory 256mb/" "$ROOT/deploy/redis/qiyun.conf"
    printf 'port %s\ndir %s\npidfile %s\nlogfile %s\ndaemonize no\n' \
        "$P_REDIS" "$WORK/redis" "$WORK/redis/redis.pid" "$WORK/logs/redis-server.log"
} > "$WORK/redis/redis.conf"
chmod 600 "$WORK/redis/redis.conf"
start redis "$REDIS_SERVER" "$WORK/redis/redis.conf"
redis_cli() { REDISCLI_AUTH=$REDIS_PASSWORD "$VENV/bin/redis-cli" -p "$P_REDIS" --no-auth-warning "$@"; }
for _ in $(seq 1 40); do redis_cli ping > /dev/null 2>&1 && break; sleep 0.25; done
[ "$(redis_cli config get appendonly | tail -1)" = yes ] && [ "$(redis_cli config get maxmemory-policy | tail -1)" = noeviction ] \
    && pass "redis from deploy/redis/qiyun.conf: appendonly yes, noeviction (port $P_REDIS)" \
    || fail "redis settings from deploy/redis/qiyun.conf"

# -- TLS and the env file ---------------------------------------------------------------

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" 2> /dev/null

ENV_FILE="$WORK/qiyun.env"
(umask 077; "$PY" - > "$ENV_FILE" <<EOF
import secrets, string
alphabet = string.ascii_letters + string.digits
aes = lambda: "".join(secrets.choice(alphabet) for _ in range(43))
values = {
    "QIYUN_ENV": "production",
    "DATABASE_URL": "$PG_ADMIN_URL/$DB",
    "REDIS_URL": "redis://:$REDIS_PASSWORD@127.0.0.1:$P_REDIS/0",
    "SECRET_KEY": secrets.token_urlsafe(48),
    "PUBLIC_BASE_URL": "$PROXY",
    "PROXIES_COUNT": "1",
    "WECHAT_API_BASE": "https://127.0.0.1:$P_SIM_TLS",
    "WECHAT_APPID": "wx" + secrets.token_hex(8),
    "WECHAT_SECRET": secrets.token_hex(16),
    "WECHAT_TOKEN": secrets.token_hex(8),
    "WECHAT_AES_KEY": aes(),
    "MINIPROGRAM_APPID": "wx" + secrets.token_hex(8),
    "MINIPROGRAM_SECRET": secrets.token_hex(16),
    "MINIPROGRAM_TOKEN": secrets.token_hex(8),
    "MINIPROGRAM_AES_KEY": aes(),
    "METRICS_TOKEN": secrets.token_urlsafe(32),
    "UPLOAD_DIR": "$WORK/shared-uploads",
    "LOG_FORMAT": "json",
    # the self-signed certificate stands in for a real CA (WeChat's and our proxy's)
    "SSL_CERT_FILE": "$WORK/tls/cert.pem",
}
for name, value in values.items():
    print(f"{name}={value}")
EOF
)
say "env file $ENV_FILE ($(stat -c %a "$ENV_FILE"))"

host_env() {  # host_env HOST: the environment systemd would give a process on host A or B
    echo "PATH=$PATH HOME=$WORK/home$1 LANG=C.UTF-8 TMPDIR=$WORK/home$1 $(cat "$ENV_FILE") VAR_DIR=$WORK/host$1"
}
qiyun() {  # qiyun HOST ARGS...
    local host=$1; shift
    env -i $(host_env "$host") "$QIYUN" "$@"
}
mkdir -p "$WORK/homeA" "$WORK/homeB" "$WORK/shared-reports"
# VAR_DIR/reports on the shared volume, as docs/deploy.md asks (reports written by a worker
# on one host are downloaded through a server on another)
ln -s "$WORK/shared-reports" "$WORK/hostA/reports"
ln -s "$WORK/shared-reports" "$WORK/hostB/reports"
cd "$WORK"   # no stray .env from the checkout

# -- migrate once, some data ------------------------------------------------------------

qiyun A migrate > "$WORK/logs/migrate.log" 2>&1 && pass "qiyun migrate (production settings from the env file)" \
    || { fail "qiyun migrate"; tail -20 "$WORK/logs/migrate.log" >&2; exit 1; }
"$QIYUN" generate-register "$WORK/register.csv" --count 300 > /dev/null 2>&1
qiyun A import-enterprises "$WORK/register.csv" > "$WORK/logs/import.log" 2>&1 \
    || { fail "import-enterprises"; tail -20 "$WORK/logs/import.log" >&2; exit 1; }

# -- the processes ------------------------------------------------------------------------

start simulator env -i $(host_env A) VAR_DIR="$WORK/sim" "$QIYUN" simulator --host 127.0.0.1 --port "$P_SIM"
start_server serve-A A "$P_A" || { fail "server A ready"; tail -n 30 "$WORK/logs/serve-A.log" >&2; exit 1; }
start_server serve-B B "$P_B" || { fail "server B ready"; tail -n 30 "$WORK/logs/serve-B.log" >&2; exit 1; }
start worker-A env -i $(host_env A) "$QIYUN" worker
start worker-B env -i $(host_env B) "$QIYUN" worker

# nginx: deploy/nginx/qiyun.conf with this trial's ports, certificate and log paths
"$PY" - "$ROOT/deploy/nginx/qiyun.conf" > "$WORK/nginx/qiyun.conf" <<EOF
import re, sys
conf = open(sys.argv[1]).read()
backends = "    server 127.0.0.1:$P_A max_fails=3 fail_timeout=10s;\n    server 127.0.0.1:$P_B max_fails=3 fail_timeout=10s;\n"
conf, n = re.subn(r"(# BEGIN backends[^\n]*\n).*?(\s*# END backends)", lambda m: m.group(1) + backends + m.group(2).lstrip("\n"), conf, flags=re.S)
assert n == 1, "backends block"
for old, new in [
    ("listen 80;", "listen 127.0.0.1:$P_HTTP;"),
    ("listen 443 ssl http2;", "listen 127.0.0.1:$P_HTTPS ssl http2;"),
    ("/etc/nginx/tls/qiyun.fullchain.pem", "$WORK/tls/cert.pem"),
    ("/etc/nginx/tls/qiyun.key.pem", "$WORK/tls/key.pem"),
    ("/var/log/nginx/", "$WORK/logs/nginx-"),
]:
    assert old in conf, old
    conf = conf.replace(old, new)
print(conf)
EOF
cat > "$WORK/nginx/nginx.conf" <<EOF
pid $WORK/nginx/nginx.pid;
error_log $WORK/logs/nginx-error.log warn;
worker_processes 2;
events { worker_connections 512; }
http {
    default_type application/octet-stream;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    include $WORK/nginx/qiyun.conf;
    # "WeChat's API" (the simulator) over TLS, as production requires an https WECHAT_API_BASE
    server {
        listen 127.0.0.1:$P_SIM_TLS ssl;
        ssl_certificate $WORK/tls/cert.pem;
        ssl_certificate_key $WORK/tls/key.pem;
        access_log $WORK/logs/nginx-simulator.access.log;
        location / { proxy_pass http://127.0.0.1:$P_SIM; }
    }
}
EOF
"$NGINX" -t -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/logs/nginx-error.log" > "$WORK/logs/nginx-t.log" 2>&1 \
    && pass "nginx -t accepts deploy/nginx/qiyun.conf (nginx $("$NGINX" -v 2>&1 | sed 's#.*/##'))" \
    || { fail "nginx -t"; cat "$WORK/logs/nginx-t.log" >&2; exit 1; }
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/logs/nginx-error.log"

wait_http "http://127.0.0.1:$P_SIM/" 30 || { fail "simulator up"; exit 1; }
for host in A B; do
    wait_log "$WORK/logs/worker-$host.log" "job worker ready" 120 || { fail "worker $host started"; tail -n 30 "$WORK/logs/worker-$host.log" >&2; exit 1; }
done
say "servers on $P_A and $P_B, workers A and B, simulator on $P_SIM, nginx on https $P_HTTPS"

# -- 1. readiness through the proxy ---------------------------------------------------------

ready=$("${CURL[@]}" "$PROXY/readyz")
echo "$ready" | grep -q '"status":"ok"' && pass "GET /readyz through nginx (TLS): $ready" || fail "GET /readyz through nginx: $ready"
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$P_HTTP/readyz")
[[ $code == "301 https://"* ]] && pass "plain HTTP redirects to https ($code)" || fail "plain HTTP redirect: $code"

# -- 2. requests spread over both servers ---------------------------------------------------

for _ in $(seq 1 20); do "${CURL[@]}" -o /dev/null "$PROXY/healthz"; done
rid=$("${CURL[@]}" -D - -o /dev/null "$PROXY/healthz" | tr -d '\r' | awk 'tolower($1)=="x-request-id:" {print $2}' || true)
sleep 0.5
by_nginx=$(grep '"uri":"/healthz"' "$WORK/logs/nginx-qiyun.access.log" | grep -o '"upstream_addr":"[^"]*"' | sort | uniq -c | tr -s ' ' | paste -sd, -)
in_a=$(grep -c '"path": "/healthz"' "$WORK/logs/serve-A.log" || true)
in_b=$(grep -c '"path": "/healthz"' "$WORK/logs/serve-B.log" || true)
if [ "$in_a" -gt 0 ] && [ "$in_b" -gt 0 ] && [ "$((in_a + in_b))" -eq 21 ]; then
    pass "21 requests spread: server A logged $in_a, server B $in_b; nginx upstream_addr:$by_nginx"
else
    fail "spread over both servers: A $in_a, B $in_b, nginx:$by_nginx"
fi
if [ -n "$rid" ] && grep -q "\"request_id\":\"$rid\"" "$WORK/logs/nginx-qiyun.access.log" \
    && cat "$WORK"/logs/serve-?.log | grep -q "\"request_id\": \"$rid\""; then
    pass "one request id ($rid) in the response, nginx's log line and the server's log line"
else
    fail "request id $rid not joined across nginx and the server logs"
fi

# -- 3. the client's address reaches the application (PROXIES_COUNT=1) -----------------------

jar="$WORK/cookies.txt"
form=$("${CURL[@]}" --interface 127.0.0.2 -c "$jar" "$PROXY/admin/login" || true)
csrf=$(printf '%s' "$form" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
code=$("${CURL[@]}" --interface 127.0.0.2 -b "$jar" -o /dev/null -w '%{http_code}' \
    -H "X-Forwarded-For: 203.0.113.9" -H "Origin: $PROXY" -H "Referer: $PROXY/admin/login" \
    --data-urlencode "csrf_token=$csrf" --data-urlencode "username=try-local-nobody" \
    --data-urlencode "password=wrong-password-1" "$PROXY/admin/login" || true)
ip=$(psql_db "$DB" "SELECT ip FROM audit_log WHERE username = 'try-local-nobody' ORDER BY id DESC LIMIT 1" 2> /dev/null || true)
[ "$ip" = 127.0.0.2 ] && pass "failed sign-in from 127.0.0.2 with a forged X-Forwarded-For: audit_log.ip = $ip (HTTP $code)" \
    || fail "client address behind the proxy: audit_log.ip = '$ip' (HTTP $code)"

# -- 4. a follower's message: simulator -> nginx -> a server -> reply -------------------------

openid=oTryLocalFollower$RANDOM
reply=$(curl -sS --max-time 15 -H 'Content-Type: application/json' \
    -d "{\"openid\": \"$openid\", \"type\": \"text\", \"content\": \"你好\"}" "http://127.0.0.1:$P_SIM/_sim/push" || true)
status=$(printf '%s' "$reply" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], d["mode"], bool(d["reply"]), d["reply_error"])' || true)
logged=$(psql_db "$DB" "SELECT count(*) FROM message_log WHERE openid = '$openid' AND direction = 'inbound'")
via_nginx=$(grep -c '"uri":"/wechat/callback?' "$WORK/logs/nginx-qiyun.access.log" || true)
if [[ $status == "200 "*" True None" ]] && [ "$logged" -ge 1 ] && [ "$via_nginx" -ge 1 ]; then
    pass "follower message through nginx: HTTP/mode/replied/error = $status; message_log rows in: $logged"
else
    fail "follower message: $status; message_log in: $logged; callback lines in nginx log: $via_nginx"
fi

# -- 5. metrics (METRICS_TOKEN, when this build has it) --------------------------------------

if grep -q "metrics_token" "$ROOT/app/config.py"; then
    token=$(grep '^METRICS_TOKEN=' "$ENV_FILE" | cut -d= -f2-)
    with=$(curl -s -o "$WORK/metrics.txt" -w '%{http_code}' -H "Authorization: Bearer $token" "http://127.0.0.1:$P_A/metrics")
    without=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_A/metrics")
    public=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$PROXY/metrics")
    [ "$with" = 200 ] && [ "$without" != 200 ] && [ "$public" = 404 ] \
        && pass "/metrics on a server: $with with the token ($(grep -vc '^#' "$WORK/metrics.txt") samples), $without without; $public through nginx" \
        || fail "/metrics: with token $with, without $without, through nginx $public"
else
    RESULTS+=("SKIP  /metrics: this build has no METRICS_TOKEN setting yet")
fi

# -- 6. a rolling restart of server A while requests flow ------------------------------------
# As docs/deploy.md says: take the instance out of nginx's upstream (`down`, reload), restart
# it, wait for /readyz, put it back. (Without the drain, requests sent to the new process
# while it starts wait for it: its port accepts connections before it can answer.)

backend() {  # backend PORT down|up: mark one upstream server in the rendered config, reload nginx
    sed -i -E "s#^( *server 127\.0\.0\.1:$1 [^;]*[^ ;])( down)?;#\1$([ "$2" = down ] && echo ' down');#" "$WORK/nginx/qiyun.conf"
    "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/logs/nginx-error.log" -s reload
    sleep 1   # the old nginx workers finish their requests, new ones take the new list
}

: > "$WORK/rolling.txt"
(for _ in $(seq 1 300); do  # code, seconds, curl's error (a slow request is not a failure below 30 s)
    curl -sS --max-time 30 --cacert "$WORK/tls/cert.pem" -o /dev/null -w '%{http_code} %{time_total} %{errormsg}\n' \
        "$PROXY/healthz" >> "$WORK/rolling.txt" 2> /dev/null || true
    sleep 0.05
done) &
loop=$!
sleep 1
backend "$P_A" down
stop_group "$PID_serve_A"
start_server serve-A2 A "$P_A" || fail "server A back after restart"
backend "$P_A" up
wait "$loop"
total=$(wc -l < "$WORK/rolling.txt"); bad=$(grep -vc '^200 ' "$WORK/rolling.txt" || true)
slowest=$(sort -k2 -n -r "$WORK/rolling.txt" | head -1 | cut -d' ' -f2)
[ "$bad" = 0 ] && pass "rolling restart of server A (drained in nginx, restarted, back): $total requests through nginx, $bad failed (slowest ${slowest}s)" \
    || fail "rolling restart: $bad of $total requests failed: $(grep -v '^200 ' "$WORK/rolling.txt" | sort | uniq -c | tr -s ' ' | paste -sd, -)"

# -- 7. Redis killed (no shutdown save) and restarted: AOF keeps a queued job ------------------

job=try-local-aof-$RANDOM
env -i PATH="$PATH" $(cat "$ENV_FILE") "$PY" - "$job" <<'EOF'
import asyncio, os, sys
from arq import create_pool
from arq.connections import RedisSettings
async def main():
    pool = await create_pool(RedisSettings.from_dsn(os.environ["REDIS_URL"]))
    job = await pool.enqueue_job("outbox_sweep", _job_id=sys.argv[1], _defer_by=20)
    assert job is not None
    await pool.aclose()
asyncio.run(main())
EOF
sleep 2   # appendfsync everysec: on disk within a second
kill -KILL "$(cat "$WORK/redis/redis.pid")"
sleep 1
redis_cli ping > /dev/null 2>&1 && fail "redis still answering after SIGKILL"
start redis2 "$REDIS_SERVER" "$WORK/redis/redis.conf"
for _ in $(seq 1 40); do redis_cli ping > /dev/null 2>&1 && break; sleep 0.25; done
queued=$(redis_cli zscore arq:queue "$job")
[ -n "$queued" ] && pass "redis SIGKILLed and restarted: deferred job $job still queued (from the AOF)" \
    || fail "queued job lost across the Redis restart"
sleep 5
for host in A B; do  # a worker whose Redis went away exits; systemd's Restart=always starts it again
    pgid=$(eval echo "\$PID_worker_$host")
    if kill -0 "$pgid" 2> /dev/null; then
        RESULTS+=("NOTE  worker $host survived the Redis restart")
    else
        RESULTS+=("NOTE  worker $host exited when Redis went away ($(grep -o 'redis.exceptions.[A-Za-z]*' "$WORK/logs/worker-$host.log" | tail -1)); restarted as Restart=always would")
        start "worker-$host" env -i $(host_env "$host") "$QIYUN" worker
    fi
done
for _ in $(seq 1 180); do [ "$(redis_cli exists "arq:result:$job")" = 1 ] && break; sleep 0.5; done
if [ "$(redis_cli exists "arq:result:$job")" = 1 ]; then
    pass "a worker ran $job after the restart (arq:result:$job written)"
else
    fail "job $job not run within 90 s of the restart"
fi
wait_http "$PROXY/readyz" 30 --cacert "$WORK/tls/cert.pem" && pass "GET /readyz through nginx ok again after the Redis restart" \
    || fail "/readyz after the Redis restart: $("${CURL[@]}" "$PROXY/readyz")"

# -- 8. backup, restore into a second database, compare row counts --------------------------

# Quiesce the writers (the workers' crons) so both counts describe one state.
stop_group "$PID_worker_A"; stop_group "$PID_worker_B"
BACKUP_DATABASE_URL="$PG_ADMIN_URL/$DB" KEEP_DAYS=14 "$ROOT/deploy/postgresql/qiyun-pg-backup.sh" "$WORK/backups" \
    > "$WORK/logs/backup.log" 2>&1 || { fail "backup script"; cat "$WORK/logs/backup.log" >&2; exit 1; }
dump=$(ls "$WORK"/backups/qiyun-*.dump)
psql_db postgres "CREATE DATABASE $DB_RESTORE"
pg_restore --no-owner --exit-on-error --single-transaction --dbname="$PG_ADMIN_URL/$DB_RESTORE" "$dump" \
    > "$WORK/logs/restore.log" 2>&1 || { fail "pg_restore"; cat "$WORK/logs/restore.log" >&2; exit 1; }
count_rows() {
    local tables t
    tables=$(psql_db "$1" "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    for t in $tables; do echo "$t $(psql_db "$1" "SELECT count(*) FROM \"$t\"")"; done
}
count_rows "$DB" > "$WORK/counts-live.txt"
count_rows "$DB_RESTORE" > "$WORK/counts-restored.txt"
tables=$(wc -l < "$WORK/counts-live.txt")
rows=$(awk '{s += $2} END {print s}' "$WORK/counts-live.txt")
if diff "$WORK/counts-live.txt" "$WORK/counts-restored.txt" > "$WORK/counts.diff"; then
    pass "backup $(basename "$dump") ($(wc -c < "$dump") bytes) restored: $tables tables, $rows rows, every count equal (enterprise: $(awk '$1=="enterprise"{print $2}' "$WORK/counts-live.txt"), message_log: $(awk '$1=="message_log"{print $2}' "$WORK/counts-live.txt"))"
else
    fail "row counts differ after restore: $(cat "$WORK/counts.diff")"
fi
ready=$(env -i PATH="$PATH" $(grep -v '^DATABASE_URL=' "$ENV_FILE") DATABASE_URL="$PG_ADMIN_URL/$DB_RESTORE" \
    VAR_DIR="$WORK/hostA" "$PY" -c '
import asyncio
from app import db
async def main():
    await db.open_database(db_url)
    print(len(await db.pending_migrations()))
    await db.close_database()
import os; db_url = os.environ["DATABASE_URL"]; asyncio.run(main())' 2>&1 | tail -1)
[ "$ready" = 0 ] && pass "the restored database has every migration applied (0 pending)" || fail "restored database: pending migrations: $ready"

exit "$FAILED"
