# docdb: a MongoDB-wire-compatible document database in one append-only .mdb file.
#   docker build -t docdb .
#   docker run -d -p 27017:27017 -v docdb-data:/data docdb
# Classic Dockerfile syntax only (no BuildKit features), so `podman build --format docker` builds it too.
#
# Two stages keep the image lean: the build stage has pip and the build tools; the final stage gets only
# the Python interpreter, Debian's numpy (38 MB with its BLAS/LAPACK, against 73 MB for the PyPI wheel;
# the venv sees it through --system-site-packages) and the finished venv without pip or setuptools, its
# native extensions stripped of symbols (uvloop's loop.so: 13.6 MB -> 1.6 MB). Parts of Python and numpy
# that a server never imports (test suites, f2py, distutils, C headers, GUI and packaging modules) go too;
# wsgiref stays: prometheus_client (--metrics-port) imports it. PyICU (collations) has no wheels: it is
# compiled against Debian's ICU in the build stage, and the final stage carries only the ICU runtime
# (libicu72) and the stripped module, never the compiler or the headers.
FROM debian:bookworm-slim AS build

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv python3-numpy binutils python3-dev g++ pkg-config libicu-dev \
 && python3 -m venv --system-site-packages /opt/docdb

ENV PATH=/opt/docdb/bin:$PATH \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Dependencies first, from pyproject.toml alone: a source change does not re-install them.
COPY pyproject.toml docker/pyproject_deps.py /build/
RUN python /build/pyproject_deps.py /build/pyproject.toml > /build/requirements.txt \
 && pip install -r /build/requirements.txt

COPY . /build/
RUN pip install --no-deps /build \
 && pip uninstall -y pip setuptools \
 && find /opt/docdb -name tests -type d -prune -exec rm -rf {} + \
 && rm -rf /opt/docdb/share /opt/docdb/bin/Activate.ps1 \
 && find /opt/docdb -name '*.so' -exec strip --strip-unneeded {} +

FROM debian:bookworm-slim

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-numpy libicu72 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log \
      /usr/share/doc/* /usr/share/man/* /usr/share/locale/* \
      /usr/lib/python3/dist-packages/numpy/*/tests /usr/lib/python3/dist-packages/numpy/tests \
      /usr/lib/python3/dist-packages/numpy/doc /usr/lib/python3/dist-packages/numpy/f2py \
      /usr/lib/python3/dist-packages/numpy/distutils /usr/lib/python3/dist-packages/numpy/core/include \
      /usr/lib/python3/dist-packages/pkg_resources \
      /usr/lib/python3.11/test /usr/lib/python3.11/ensurepip /usr/lib/python3.11/lib2to3 \
      /usr/lib/python3.11/pydoc_data /usr/lib/python3.11/idlelib /usr/lib/python3.11/tkinter \
      /usr/lib/python3.11/turtledemo /usr/lib/python3.11/unittest /usr/lib/python3.11/distutils \
      /usr/lib/python3.11/xmlrpc /usr/lib/python3.11/curses \
      /usr/lib/python3.11/dbm /usr/lib/python3.11/sqlite3 /usr/lib/python3.11/venv \
 && groupadd --system --gid 999 docdb \
 && useradd --system --uid 999 --gid docdb --home-dir /data --no-create-home --shell /usr/sbin/nologin docdb \
 && mkdir -p /data /docker-entrypoint-initdb.d \
 && chown docdb:docdb /data

COPY --from=build /opt/docdb /opt/docdb
COPY docker/entrypoint.sh /usr/local/bin/docdb-entrypoint
COPY docker/healthcheck.py /opt/docdb/healthcheck.py
COPY docker/initdb.py /opt/docdb/initdb.py

ENV PATH=/opt/docdb/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DOCDB_FILE=/data/db.mdb \
    DOCDB_BIND=0.0.0.0 \
    DOCDB_PORT=27017 \
    DOCDB_LOG_LEVEL=info

USER docdb
WORKDIR /data
VOLUME /data
EXPOSE 27017
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["python", "/opt/docdb/healthcheck.py"]
ENTRYPOINT ["docdb-entrypoint"]
