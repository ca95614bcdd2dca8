"""``python -m docdb`` runs the server, like ``docdb-server``."""

from docdb.cli import server_main

server_main()
