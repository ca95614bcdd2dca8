#!/bin/sh
# Container entrypoint: exec the server so that it is PID 1 and receives `docker stop`'s SIGTERM itself
# (it stops gracefully and exits 0). Arguments starting with "-" are extra server options
# (`docker run docdb --log-level debug`); any other command runs instead (`docker run docdb docdb verify
# /data/db.mdb`).
#
# The `mongo` image's start-up variables work the same way here:
#   MONGO_INITDB_ROOT_USERNAME / MONGO_INITDB_ROOT_PASSWORD (or *_FILE: read from that file) -- on the
#   first start (no data file yet) a temporary server on 127.0.0.1 creates that user in `admin` with the
#   `root` role; the server then runs with --auth, on this and every later start while they are set.
#   MONGO_INITDB_DATABASE -- exported to the init scripts (default "test").
#   /docker-entrypoint-initdb.d/*.sh -- run on the first start, in name order, against the temporary
#   server (executable ones are run, others sourced). *.js files are skipped with a log line: the image
#   has no mongosh (a .sh script can use python3 and pymongo, both in the image).
set -e
# Where the image keeps the helpers and the init scripts (overridable so tests can run this script on a
# host without building the image).
helpers="${DOCDB_HELPERS_DIR:-/opt/docdb}"
initdb_dir="${DOCDB_INITDB_DIR:-/docker-entrypoint-initdb.d}"

# file_env VAR: VAR from VAR_FILE's contents when that is set (exclusive with VAR itself).
file_env() {
  var="$1"
  file_var="${var}_FILE"
  eval "value=\${$var:-}"
  eval "file_value=\${$file_var:-}"
  if [ -n "$value" ] && [ -n "$file_value" ]; then
    echo "docdb-entrypoint: error: both $var and $file_var are set (but are exclusive)" >&2
    exit 1
  fi
  if [ -n "$file_value" ]; then
    value="$(cat "$file_value")"
  fi
  export "$var=$value"
  unset "$file_var"
}

wait_ready() {
  tries=0
  until python "$helpers/healthcheck.py" 2>/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -ge 100 ]; then
      echo "docdb-entrypoint: error: the temporary server did not start" >&2
      exit 1
    fi
    sleep 0.2
  done
}

first_start() {
  auth_args=""
  if [ -n "$MONGO_INITDB_ROOT_USERNAME" ]; then
    auth_args="--auth"
  fi
  echo "docdb-entrypoint: first start: initialising $DOCDB_FILE" >&2
  # shellcheck disable=SC2086  # auth_args is one word or none
  docdb-server --file "$DOCDB_FILE" --bind 127.0.0.1 --port "$DOCDB_PORT" \
    --log-level "$DOCDB_LOG_LEVEL" $auth_args &
  pid=$!
  wait_ready
  if [ -n "$MONGO_INITDB_ROOT_USERNAME" ]; then
    python "$helpers/initdb.py"
  fi
  export MONGO_INITDB_DATABASE="${MONGO_INITDB_DATABASE:-test}"
  for f in "$initdb_dir"/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then
          echo "docdb-entrypoint: running $f" >&2
          "$f"
        else
          echo "docdb-entrypoint: sourcing $f" >&2
          . "$f"
        fi
        ;;
      *.js) echo "docdb-entrypoint: ignoring $f: this image has no mongosh to run .js files" >&2 ;;
      *) echo "docdb-entrypoint: ignoring $f" >&2 ;;
    esac
  done
  kill -TERM "$pid"
  wait "$pid"
  echo "docdb-entrypoint: initialisation done; starting the server" >&2
}

if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  file_env MONGO_INITDB_ROOT_USERNAME
  file_env MONGO_INITDB_ROOT_PASSWORD
  if { [ -n "$MONGO_INITDB_ROOT_USERNAME" ] && [ -z "$MONGO_INITDB_ROOT_PASSWORD" ]; } \
    || { [ -z "$MONGO_INITDB_ROOT_USERNAME" ] && [ -n "$MONGO_INITDB_ROOT_PASSWORD" ]; }; then
    echo "docdb-entrypoint: error: missing MONGO_INITDB_ROOT_USERNAME or MONGO_INITDB_ROOT_PASSWORD;" \
      "both must be specified for a user to be created" >&2
    exit 1
  fi
  if [ ! -e "$DOCDB_FILE" ]; then
    has_scripts=""
    for f in "$initdb_dir"/*; do
      [ -e "$f" ] && has_scripts=1
    done
    if [ -n "$MONGO_INITDB_ROOT_USERNAME" ] || [ -n "$has_scripts" ]; then
      first_start
    fi
  fi
  if [ -n "$MONGO_INITDB_ROOT_USERNAME" ]; then
    set -- --auth "$@"
  fi
  unset MONGO_INITDB_ROOT_PASSWORD
  exec docdb-server --file "$DOCDB_FILE" --bind "$DOCDB_BIND" --port "$DOCDB_PORT" \
    --log-level "$DOCDB_LOG_LEVEL" "$@"
fi
exec "$@"
