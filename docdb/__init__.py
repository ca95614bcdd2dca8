"""docdb: a document database server that speaks the MongoDB wire protocol."""

__version__ = "0.1.0"
# The MongoDB release whose behaviour docdb follows and reports in buildInfo/hello.
MONGODB_VERSION = "7.0.0"
MAX_WIRE_VERSION = 21
