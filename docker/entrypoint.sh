#!/bin/sh
# Container entrypoint: exec the server so that it is PID 1 and receives `docker stop`'s SIGTERM itself
# (it stops gracefully and exits 0). Arguments starting with "-" are extra server options
# (`docker run docdb --log-level debug`); any other command runs instead (`docker run docdb docdb verify
# /data/db.mdb`).
set -e
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  exec docdb-server --file "$DOCDB_FILE" --bind "$DOCDB_BIND" --port "$DOCDB_PORT" \
    --log-level "$DOCDB_LOG_LEVEL" "$@"
fi
exec "$@"
