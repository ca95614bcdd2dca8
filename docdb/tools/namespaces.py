"""mongorestore's namespace options: ``--nsInclude`` / ``--nsExclude`` patterns (``*`` matches any run of
characters, ``\\`` escapes) and ``--nsFrom`` / ``--nsTo`` renames with ``$name$`` variables."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_VARIABLE = re.compile(r"\$([^$]*)\$")


def _glob(pattern: str) -> re.Pattern[str]:
    out, escaped = [], False
    for ch in pattern:
        if escaped:
            out.append(re.escape(ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "*":
            out.append(".*")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def _rename_rule(source: str, target: str) -> tuple[re.Pattern[str], str]:
    """``$db$.old.$c$`` -> ``new_$db$.$c$``: a regex with a group per variable, and the template."""
    names = _VARIABLE.findall(source)
    if sorted(names) != sorted(_VARIABLE.findall(target)):
        raise ValueError(f"nsFrom {source!r} and nsTo {target!r} must use the same variables")
    pieces, pos = [], 0
    for m in _VARIABLE.finditer(source):
        pieces.append(re.escape(source[pos : m.start()]))
        pieces.append(f"(?P<{_group(m.group(1))}>.*?)")
        pos = m.end()
    pieces.append(re.escape(source[pos:]))
    return re.compile("".join(pieces) + r"\Z", re.DOTALL), target


def _group(name: str) -> str:
    return "v_" + name.encode().hex()


@dataclass(slots=True)
class NamespaceRules:
    """What to restore and under which name; built once from the command line."""

    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    renames: list[tuple[str, str]] = field(default_factory=list)
    _include: list[re.Pattern[str]] = field(default_factory=list)
    _exclude: list[re.Pattern[str]] = field(default_factory=list)
    _renames: list[tuple[re.Pattern[str], str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._include = [_glob(p) for p in self.include]
        self._exclude = [_glob(p) for p in self.exclude]
        self._renames = [_rename_rule(s, t) for s, t in self.renames]

    def wanted(self, ns: str) -> bool:
        if self._include and not any(p.match(ns) for p in self._include):
            return False
        return not any(p.match(ns) for p in self._exclude)

    def target(self, ns: str) -> str:
        """The namespace ``ns`` is restored into (the first matching rename, else itself)."""
        for pattern, template in self._renames:
            found = pattern.match(ns)
            if found is not None:
                return _fill(template, found.groupdict())
        return ns


def _fill(template: str, values: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda v: values[_group(v.group(1))], template)
