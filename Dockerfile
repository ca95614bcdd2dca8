# docdb: a MongoDB-wire-compatible document database in one append-only .mdb file.
#   docker build -t docdb .
#   docker run -d -p 27017:27017 -v docdb-data:/data docdb
# Classic Dockerfile syntax only (no BuildKit features), so `podman build --format docker` builds it too.
#
# Two stages keep the image lean: the build stage has pip, the compilers and ICU's tools; the final stage
# gets Debian's python3, three ICU libraries and the finished venv (no pip or setuptools; native extensions
# stripped of symbols: uvloop's loop.so 13.6 MB -> 1.6 MB). It adds 93.2 MB to debian:bookworm-slim
# (podman image inspect; it was 152 MB with Debian's numpy, the whole ICU data and source files):
# - numpy is compiled from source without BLAS/LAPACK (numpy's own fallback routines; docdb's columns never
#   call linalg): 20 MB, against 29 MB for Debian's python3-numpy with reference BLAS/LAPACK/gfortran and
#   73 MB for the PyPI wheel with OpenBLAS. It is pinned here so that its slow build stays a cached layer.
# - ICU: PyICU (collations) has no wheels, so it is compiled against Debian's ICU in the build stage; the
#   final stage takes only libicuuc, libicui18n and a libicudata rebuilt by docker/icu_data.py with the
#   collation data alone (5.3 MB of ICU's 31 MB; the rest is locale display data, converters, dictionaries):
#   10.7 MB instead of libicu72's 36 MB. tests/container/test_docker_lean.py checks that every collation
#   gives the same sort keys as the full data.
# - Python's standard library and the third-party packages are shipped as compiled .pyc files without their
#   .py sources (about 18 MB; tracebacks through them name the file and line but cannot quote it, so they
#   are compiled without column tables, -X no_debug_ranges, another few MB); docdb's own package keeps its
#   sources beside its .pyc. Either way nothing is compiled at start-up.
# - Parts of Python and numpy that a server never imports (test suites and test extension modules, typing
#   stubs, C and Cython sources, C headers and static libraries, f2py, distutils, GUI, database and
#   packaging modules) go; wsgiref stays: prometheus_client (--metrics-port) imports it.
FROM debian:bookworm-slim AS build

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv python3-dev binutils g++ pkg-config libicu-dev icu-devtools \
 && python3 -m venv /opt/docdb

ENV PATH=/opt/docdb/bin:$PATH \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# numpy first and on its own (minutes of compiling): no BLAS, no LAPACK, no SIMD test module. (Debian's
# pip 23.0 keeps only the last of repeated -C options: a current pip builds it; neither stays.)
ARG NUMPY_VERSION=2.4.6
RUN pip install --upgrade pip \
 && pip install --no-binary numpy \
      -Csetup-args=-Dblas=none -Csetup-args=-Dlapack=none -Csetup-args=-Dallow-noblas=true \
      -Csetup-args=-Dtest-simd=[] -Ccompile-args=-j2 "numpy==$NUMPY_VERSION"

# Dependencies next, from pyproject.toml alone: a source change does not re-install them.
COPY pyproject.toml docker/pyproject_deps.py /build/
RUN python /build/pyproject_deps.py /build/pyproject.toml > /build/requirements.txt \
 && pip install -r /build/requirements.txt

# ICU's runtime with the collation data only (see docker/icu_data.py), for any architecture.
COPY docker/icu_data.py /build/
RUN lib=/usr/lib/$(gcc -print-multiarch) \
 && mkdir -p /opt/icu \
 && python3 /build/icu_data.py $lib/libicudata.so.72 /opt/icu \
 && cp -L $lib/libicuuc.so.72 $lib/libicui18n.so.72 /opt/icu/

COPY . /build/
RUN pip install --no-deps /build \
 && pip uninstall -y pip setuptools \
 && site=/opt/docdb/lib/python3.11/site-packages \
 && find /opt/docdb -name tests -type d -prune -exec rm -rf {} + \
 && find /opt/docdb \( -name '*.pyi' -o -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.c' \
      -o -name '*.cpp' \) -delete \
 && rm -rf /opt/docdb/share /opt/docdb/bin/Activate.ps1 /opt/docdb/include \
      $site/numpy/_core/include $site/numpy/_core/lib $site/numpy/random/lib $site/numpy/random/_examples \
      $site/numpy/f2py $site/numpy/distutils $site/numpy/_pyinstaller $site/numpy/typing/mypy_plugin.py \
      $site/numpy/_core/_*_tests.*.so $site/numpy/_core/_simd.*.so \
 && find /opt/docdb -name '*.so' -exec strip --strip-unneeded {} + \
 && cd $site \
 && for entry in *; do \
      case "$entry" in \
        docdb|*.dist-info|__pycache__) ;; \
        *) python -X no_debug_ranges -m compileall -q -b "$entry" ;; \
      esac; \
    done \
 && find . -path ./docdb -prune -o -name '*.py' -type f -exec rm -f {} + \
 && find . -path ./docdb -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

FROM debian:bookworm-slim

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log \
      /usr/share/doc/* /usr/share/man/* /usr/share/locale/* \
      /usr/lib/python3.11/test /usr/lib/python3.11/ensurepip /usr/lib/python3.11/lib2to3 \
      /usr/lib/python3.11/pydoc_data /usr/lib/python3.11/idlelib /usr/lib/python3.11/tkinter \
      /usr/lib/python3.11/turtledemo /usr/lib/python3.11/unittest /usr/lib/python3.11/distutils \
      /usr/lib/python3.11/xmlrpc /usr/lib/python3.11/curses \
      /usr/lib/python3.11/dbm /usr/lib/python3.11/sqlite3 /usr/lib/python3.11/venv \
      /usr/lib/python3.11/turtle.py /usr/lib/python3.11/__pycache__/turtle.* \
      /usr/lib/python3.11/lib-dynload/_test* /usr/lib/python3.11/lib-dynload/_xxtestfuzz* \
      /usr/lib/python3.11/lib-dynload/_ctypes_test* /usr/lib/python3.11/lib-dynload/xxlimited* \
      /usr/lib/python3.11/lib-dynload/_sqlite3* /usr/lib/python3.11/lib-dynload/_curses* \
      /usr/lib/python3.11/lib-dynload/_dbm* /usr/lib/python3.11/lib-dynload/_gdbm* \
 && python3 -X no_debug_ranges -m compileall -q -b /usr/lib/python3.11 \
 && find /usr/lib/python3.11 -name '*.py' -exec rm -f {} + \
 && find /usr/lib/python3.11 -name __pycache__ -type d -prune -exec rm -rf {} + \
 && groupadd --system --gid 999 docdb \
 && useradd --system --uid 999 --gid docdb --home-dir /data --no-create-home --shell /usr/sbin/nologin docdb \
 && mkdir -p /data /docker-entrypoint-initdb.d \
 && chown docdb:docdb /data

COPY --from=build /opt/icu/ /usr/local/lib/
RUN ldconfig
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
