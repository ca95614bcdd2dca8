"""SASLprep (RFC 4013): the string preparation SCRAM-SHA-256 applies to passwords.

The tables are those of RFC 3454 as the stdlib ``stringprep`` module ships them (Unicode 3.2), so no
table is copied here; this module only applies them in the order RFC 4013 §2 prescribes.
"""

from __future__ import annotations

import stringprep
import unicodedata

# RFC 4013 §2.3: the prohibited output (C.1.1 and C.1.2 are spaces; C.1.2 is mapped to a space first).
_PROHIBITED = (
    stringprep.in_table_c12,
    stringprep.in_table_c21_c22,
    stringprep.in_table_c3,
    stringprep.in_table_c4,
    stringprep.in_table_c5,
    stringprep.in_table_c6,
    stringprep.in_table_c7,
    stringprep.in_table_c8,
    stringprep.in_table_c9,
)


class SaslPrepError(ValueError):
    """The string holds a character RFC 4013 prohibits (or breaks the bidi rule)."""


def saslprep(text: str, allow_unassigned: bool = False) -> str:
    """``text`` mapped, NFKC-normalised and checked, as RFC 4013 stored strings are."""
    if text.isascii() and all(" " <= c <= "~" for c in text):
        return text  # printable ASCII maps to itself and holds nothing prohibited
    mapped = "".join(" " if stringprep.in_table_c12(c) else c for c in text if not stringprep.in_table_b1(c))
    prepared = unicodedata.ucd_3_2_0.normalize("NFKC", mapped)
    if not prepared:
        return prepared
    for char in prepared:
        if any(table(char) for table in _PROHIBITED):
            raise SaslPrepError(f"prohibited character U+{ord(char):04X}")
        if not allow_unassigned and stringprep.in_table_a1(char):
            raise SaslPrepError(f"unassigned code point U+{ord(char):04X}")
    # RFC 3454 §6: a string with right-to-left characters holds no left-to-right ones and starts and
    # ends with a right-to-left character.
    if any(stringprep.in_table_d1(c) for c in prepared):
        if any(stringprep.in_table_d2(c) for c in prepared):
            raise SaslPrepError("mixes right-to-left and left-to-right characters")
        if not (stringprep.in_table_d1(prepared[0]) and stringprep.in_table_d1(prepared[-1])):
            raise SaslPrepError("a right-to-left string must start and end with a right-to-left character")
    return prepared
