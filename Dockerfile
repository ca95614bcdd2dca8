# docdb: a MongoDB-wire-compatible document database in one append-only .mdb file.
#   docker build -t docdb .
#   docker run -d -p 27017:27017 -v docdb-data:/data docdb
# Classic Dockerfile syntax only (no BuildKit features), so `podman build --format docker` builds it too.

# PyICU (collations) has no wheels on PyPI: build it against Debian's ICU in a throw-away stage and copy
# only the stripped module and its dist-info, so the image carries the ICU runtime (libicu72), never the
# compiler, the headers or a wheel file.
FROM debian:bookworm-slim AS icu-build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv python3-dev g++ pkg-config libicu-dev ca-certificates \
 && python3 -m venv /opt/build \
 && /opt/build/bin/pip install --no-cache-dir "PyICU>=2.10" \
 && mkdir /icu-package \
 && mv /opt/build/lib/python3.11/site-packages/icu /opt/build/lib/python3.11/site-packages/pyicu-*.dist-info \
      /icu-package/ \
 && strip --strip-unneeded /icu-package/icu/*.so

FROM debian:bookworm-slim

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv ca-certificates libicu72 \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/docdb \
 && groupadd --system --gid 999 docdb \
 && useradd --system --uid 999 --gid docdb --home-dir /data --no-create-home --shell /usr/sbin/nologin docdb \
 && mkdir -p /data \
 && chown docdb:docdb /data

ENV PATH=/opt/docdb/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Dependencies first, from pyproject.toml alone: a source change does not re-download them.
COPY --from=icu-build /icu-package/ /opt/docdb/lib/python3.11/site-packages/
COPY pyproject.toml docker/pyproject_deps.py /build/
RUN python /build/pyproject_deps.py /build/pyproject.toml > /build/requirements.txt \
 && pip install -r /build/requirements.txt

COPY . /build/
RUN pip install --no-deps /build \
 && install -m 0755 /build/docker/entrypoint.sh /usr/local/bin/docdb-entrypoint \
 && install -m 0644 /build/docker/healthcheck.py /opt/docdb/healthcheck.py \
 && install -m 0644 /build/docker/initdb.py /opt/docdb/initdb.py \
 && mkdir -p /docker-entrypoint-initdb.d \
 && rm -rf /build

ENV DOCDB_FILE=/data/db.mdb \
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
