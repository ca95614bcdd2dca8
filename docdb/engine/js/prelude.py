"""The JavaScript that every scope starts with: mongod's shell types and helpers, and the value bridge.

Values cross between Python and the engine as JSON text in which BSON types JSON lacks are tagged
objects ``{"\\u0001": [kind, ...]}`` (see ``convert.py``); ``__in`` revives them into the shell types
mongod's JavaScript exposes (ObjectId, NumberLong, NumberInt, NumberDecimal, BinData, Timestamp, Date,
RegExp, MinKey, MaxKey) and ``__out`` tags them again on the way back.
"""

from pathlib import Path

PRELUDE = (Path(__file__).parent / "prelude.js").read_text(encoding="utf-8")
