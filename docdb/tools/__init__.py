"""Offline tools over a ``.mdb`` file: ``verify`` (read-only report), ``repair`` (salvage into a new
file), ``compact`` (rewrite the live state, optionally encrypting or decrypting). The CLI in
``docdb/cli.py`` wraps them; each takes a ``progress(bytes_or_docs)`` callback for its progress bar."""
