"""The lean image (podman, as test_docker_image): what its layers add on top of debian:bookworm-slim stays
within 100 MB, and its ICU, whose data is cut down to collation alone (docker/icu_data.py), collates
exactly as the full ICU data does: for every installed collation locale, a set of variant, alias and
invalid locale names, and a dozen option sets, the normalized collation or the error, and the sort key of
every probe word (equal sort keys: equal order, equality and grouping). The full data is the host's ICU,
so the comparison needs the host's ICU to be the image's version (both are Debian bookworm's 72.1 here);
it is skipped otherwise."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.container.collation_probe import EXTRA_LOCALES, OPTIONS, WORDS, installed_locales, probe
from tests.container.test_docker_image import image, podman  # noqa: F401

pytestmark = pytest.mark.container

HERE = Path(__file__).resolve().parent
BASE = "docker.io/library/debian:bookworm-slim"
ADDED_LIMIT = 100_000_000


def test_layers_add_at_most_100_mb(image: str):  # noqa: F811
    size = int(podman("image", "inspect", "--format", "{{.Size}}", image).stdout)
    base = int(podman("image", "inspect", "--format", "{{.Size}}", BASE).stdout)
    assert size - base <= ADDED_LIMIT, f"the image adds {size - base} bytes to {BASE}"


def test_collations_equal_the_full_icu_data(image: str):  # noqa: F811
    icu = pytest.importorskip("icu")
    locales = installed_locales() + EXTRA_LOCALES
    request = json.dumps({"locales": locales, "words": WORDS, "options": OPTIONS})
    proc = subprocess.run(
        ["podman", "run", "--rm", "-i", "-v", f"{HERE}:/probe:ro", "--entrypoint", "python", image,
         "/probe/collation_probe.py"],
        input=request, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    if found["icu"] != icu.ICU_VERSION:
        pytest.skip(f"the host has ICU {icu.ICU_VERSION}, the image {found['icu']}: nothing to compare with")
    assert found["installed"] == installed_locales()
    expected = json.loads(json.dumps(probe(locales, WORDS, OPTIONS)))
    assert len(found["results"]) == len(expected) > 2000
    for got, want in zip(found["results"], expected, strict=True):
        assert got == want
