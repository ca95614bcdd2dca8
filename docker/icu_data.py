"""Build a lean ``libicudata.so.NN`` for the image: ICU's common data with only what collation reads.

docdb uses ICU for collation only (``docdb/engine/collation.py``). Debian's libicudata carries all of
ICU's data (31 MB for ICU 72): locale display names, currencies, units, time zones, break-iterator
dictionaries, transliterators, charset converters -- none of which a collator opens. This script, run in
the image's build stage, takes the data package out of Debian's library (the ``icudtNN_dat`` symbol), drops
those trees with ``icupkg``, and links what is left back into a library of the same name and symbol with
``genccode`` and ``gcc``, so libicuuc finds it exactly as before.

What stays: the whole ``coll/`` tree (every tailoring, the root collation and ``res_index``), the
locale-independent resources at the top (``likelySubtags``, ``keyTypeData``, ``supplementalData``,
``metadata``, ``root``, ``pool``, ...) and the small ``.icu``/``.nrm``/``.spp``/``.cfu`` files.
``tests/container/test_docker_collation.py`` checks that the image collates exactly as the full data.

    python3 icu_data.py /usr/lib/x86_64-linux-gnu/libicudata.so.72 OUTDIR
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

# Trees of locale data that collation never opens.
DROPPED_TREES = ("brkitr/", "curr/", "lang/", "rbnf/", "region/", "translit/", "unit/", "zone/")
# Top-level resources that are not one locale's data (those are named by a locale ID: "de_AT.res").
KEPT_TOP_RESOURCES = {"res_index.res", "root.res", "pool.res"}
LOCALE_RESOURCE = re.compile(r"[a-z]{2,3}(_[A-Za-z0-9_]+)?\.res")


def dropped(item: str) -> bool:
    """Whether ``item`` (a path inside the data package, without the package prefix) can go."""
    if item.startswith(DROPPED_TREES):
        return True
    if "/" in item:
        return False  # coll/...
    if item.endswith(".cnv"):  # charset converters; UTF-8/16/32, ASCII and Latin-1 are built into libicuuc
        return True
    return item not in KEPT_TOP_RESOURCES and LOCALE_RESOURCE.fullmatch(item) is not None


def extract_package(library: Path, outdir: Path) -> Path:
    """Write the data package the library holds in its ``icudtNN_dat`` symbol to ``outdir``; its path
    (``icudtNNl.dat``: icupkg wants the file named as the package its items are prefixed with)."""
    symbols = subprocess.run(["readelf", "-sW", str(library)], check=True, capture_output=True, text=True)
    found = re.search(
        r"\s([0-9a-f]+)\s+(0x[0-9a-f]+|\d+)\s+OBJECT\s+GLOBAL\s+\S+\s+(\d+)\s+(icudt\d+_dat)\b",
        symbols.stdout,
    )
    if found is None:
        raise SystemExit(f"{library}: no icudtNN_dat symbol")
    address, size, section, name = int(found[1], 16), int(found[2], 0), int(found[3]), found[4]
    sections = subprocess.run(["readelf", "-SW", str(library)], check=True, capture_output=True, text=True)
    header = re.search(rf"\[\s*{section}\]\s+\S+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)", sections.stdout)
    if header is None:
        raise SystemExit(f"{library}: no section {section}")
    offset = address - int(header[1], 16) + int(header[2], 16)
    out = outdir / (name.removesuffix("_dat") + "l.dat")
    with open(library, "rb") as f:
        f.seek(offset)
        out.write_bytes(f.read(size))
    return out


def soname(library: Path) -> str:
    dynamic = subprocess.run(["readelf", "-dW", str(library)], check=True, capture_output=True, text=True)
    found = re.search(r"\(SONAME\)\s+Library soname: \[(.+?)\]", dynamic.stdout)
    return found[1] if found else library.name


def main(library: Path, outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "full").mkdir()
        (work / "lean").mkdir()
        full = extract_package(library, work / "full")  # full/icudt72l.dat
        entry = full.name.removesuffix("l.dat")  # icudt72: the symbol is icudt72_dat
        listing = subprocess.run(["icupkg", "-l", str(full)], check=True, capture_output=True, text=True)
        items = listing.stdout.split()
        removed = [item for item in items if dropped(item)]
        (work / "removed.txt").write_text("\n".join(removed) + "\n")
        package = work / "lean" / full.name
        subprocess.run(["icupkg", "-r", str(work / "removed.txt"), str(full), str(package)], check=True)
        subprocess.run(["genccode", "-e", entry, "-a", "gcc", "-d", str(work), str(package)], check=True)
        name = soname(library)  # libicudata.so.72
        subprocess.run(
            [
                "gcc",
                "-shared",
                "-nostdlib",
                f"-Wl,-soname,{name}",
                "-o",
                str(outdir / name),
                str(work / f"{entry}l_dat.S"),
            ],
            check=True,
        )
        kept = len(items) - len(removed)
        print(f"{name}: kept {kept} of {len(items)} items, {package.stat().st_size} bytes of data")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
