#!/usr/bin/env bash
# Runs a command against the local AWS emulator (moto server on 127.0.0.1, a free port), and stops everything
# afterwards, also on failure or Ctrl-C.
#
#   tests/harness/with-emulator.sh [--lambda-watch] -- COMMAND [ARGS...]
#
# Exports for COMMAND: AWS_ENDPOINT_URL, AWS_REGION, dummy credentials, SWB_RUN_DIR (logs, outside the tree),
# SWB_FAULT_PROXY_URL (tests/harness/fault_proxy.py in front of the emulator: passes everything through until a test
# adds fault rules), and with --lambda-watch SWB_LAMBDA_INVOKE_PORT: `cargo lambda watch` serving this workspace's
# Lambda binaries, configured to call the emulator through the fault proxy.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/.venv"
watch=0
while [ $# -gt 0 ]; do
  case "$1" in
    --lambda-watch) watch=1; shift ;;
    --) shift; break ;;
    *) echo "with-emulator.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: with-emulator.sh [--lambda-watch] -- COMMAND..." >&2; exit 2; }
[ -x "$venv/bin/moto_server" ] || { echo "with-emulator.sh: $venv is missing; run 'make setup'" >&2; exit 2; }

# Logs live outside the source tree: `cargo lambda watch` would rebuild on any change inside it.
run_dir="$(mktemp -d "${TMPDIR:-/tmp}/superwerker-backup.XXXXXX")"
export SWB_RUN_DIR="$run_dir"
pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do
    # Each service was started in its own process group: end the whole group (cargo lambda watch has children).
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$status" -ne 0 ]; then
    echo "with-emulator.sh: exit $status; emulator and watch logs are in $run_dir" >&2
  elif [ -z "${SWB_KEEP_LOGS:-}" ]; then
    rm -rf "$run_dir"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_http() { # url seconds name
  "$venv/bin/python" - "$1" "$2" "$3" <<'PY'
import sys, time, urllib.request, urllib.error
url, limit, name = sys.argv[1], float(sys.argv[2]), sys.argv[3]
end = time.time() + limit
while time.time() < end:
    try:
        urllib.request.urlopen(url, timeout=1)
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)  # it answered
    except Exception:
        time.sleep(0.1)
print(f"with-emulator.sh: {name} did not answer at {url} within {limit:.0f}s", file=sys.stderr)
sys.exit(1)
PY
}

port="$(free_port)"
# moto keeps one automated snapshot per DB instance and refuses more than MOTO_RDS_SNAPSHOT_LIMIT (1,000) in all:
# raised so that benchmarks can create thousands of DB instances.
MOTO_RDS_SNAPSHOT_LIMIT="${MOTO_RDS_SNAPSHOT_LIMIT:-100000}" \
  setsid "$venv/bin/python" "$root/tests/harness/moto_server.py" -H 127.0.0.1 -p "$port" >"$run_dir/moto.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$port/moto-api/" 30 "moto_server"

export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
proxy_port="$(free_port)"
setsid "$venv/bin/python" "$root/tests/harness/fault_proxy.py" --port "$proxy_port" --upstream "$AWS_ENDPOINT_URL" \
  >"$run_dir/fault_proxy.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$proxy_port/__faults__/log" 30 "fault proxy"
export SWB_FAULT_PROXY_URL="http://127.0.0.1:$proxy_port"
export AWS_REGION="${AWS_REGION:-eu-central-1}"
export AWS_DEFAULT_REGION="$AWS_REGION"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
# moto's accounts: every resource lives in 123456789012.
export SWB_EMULATOR_ACCOUNT=123456789012

if [ "$watch" = 1 ]; then
  invoke_port="$(free_port)"
  cat >"$run_dir/lambda.env" <<ENV
AWS_ENDPOINT_URL=$SWB_FAULT_PROXY_URL
AWS_REGION=$AWS_REGION
AWS_DEFAULT_REGION=$AWS_REGION
AWS_ACCESS_KEY_ID=testing
AWS_SECRET_ACCESS_KEY=testing
AWS_SESSION_TOKEN=testing
AWS_EC2_METADATA_DISABLED=true
AWS_LAMBDA_LOG_FORMAT=JSON
SUPERWERKER_BACKUP_VISIBILITY_DELAY_MS=50
RUST_LOG=info
ENV
  # exec: the background pid is the session (and process group) leader that cleanup() kills with its children.
  (cd "$root" && PATH="$venv/bin:$PATH" exec setsid "$venv/bin/cargo-lambda" lambda watch --ignore-changes \
      -A 127.0.0.1 -P "$invoke_port" --env-file "$run_dir/lambda.env" >"$run_dir/watch.log" 2>&1) &
  pids+=($!)
  wait_http "http://127.0.0.1:$invoke_port/" 60 "cargo lambda watch"
  export SWB_LAMBDA_INVOKE_PORT="$invoke_port"
  export SWB_LAMBDA_WATCH_LOG="$run_dir/watch.log"
fi

"$@"
