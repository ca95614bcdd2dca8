"""Text search as mongod does it (text index version 3): the ``text`` index spec, tokenizing with stop
words, Snowball stemming and diacritic folding per language, mongod's term scores, an inverted index kept
in step with writes, and ``$text`` queries with phrases, negations and ``{$meta: "textScore"}``."""
