"""The query language: filter compilation split by operator family; ``docdb.engine.matcher`` is the API."""
