"""Print the ``[project] dependencies`` of a pyproject.toml, one per line, for ``pip install -r``.

The Dockerfile installs the dependencies in their own layer from pyproject.toml alone, so editing the
source does not re-download them; the list is kept in one place (pyproject.toml), not copied here.
"""

from __future__ import annotations

import sys

import tomllib


def main(path: str) -> None:
    with open(path, "rb") as f:
        for requirement in tomllib.load(f)["project"]["dependencies"]:
            print(requirement)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml")
