"""Collation results to compare between two ICU installations (the host's full ICU data and the image's
collation-only data): for each locale and option set, the normalized collation or mongod's error, and the
sort key of every probe word. Equal sort keys mean equal order, equality and grouping for every string.

Run in the image as ``python collation_probe.py < request.json`` (prints the results as JSON); the test
calls ``probe`` in-process for the host's side.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from docdb.engine.collation import parse_collation
from docdb.errors import MongoError

WORDS = ["", "co op", " lead"] + (
    "a A á à â ä å Å Å ae æ Æ b c ç č ch cz d đ ð e é é è ê ë ě f ﬁ fi ﬃ g ğ h i ı İ "
    "ï j k l ł ll m n ñ ŋ o ö oe ø ő p q r ř s ß ss š ş t th þ u ü ů v w x y ÿ z ž Z "
    "zz résumé resume Résumé RESUME co-op coop -hyphen _under 'q 1 2 02 10 100 a1 a01 "
    "a10 ½ ① Ⅻ ｆｕｌｌ full ＡＢＣ \u200b 中 文 中文 日本 日本語 한국어 ひらがな カタカナ ｶﾀｶﾅ Ελληνικά ΐ "
    "кириллица ё е ж العربية عربي עברית हिन्दी বাংলা ไทย ລາວ ქართული Հայերեն አማርኛ ᏣᎳᎩ "
    "😀 🇫🇷 ǆ ŉ ɛ ʒ 𠀀 � "
).split()
OPTIONS: list[dict[str, Any]] = [
    {},
    {"strength": 1},
    {"strength": 2},
    {"strength": 3, "caseLevel": True},
    {"caseFirst": "upper"},
    {"caseFirst": "lower", "strength": 3},
    {"numericOrdering": True},
    {"alternate": "shifted", "maxVariable": "space"},
    {"alternate": "shifted", "maxVariable": "punct", "strength": 4},
    {"backwards": True},
    {"normalization": True},
    {"strength": 5},
]
# Locale names beside the installed ones: variants, keywords, aliases and invalid names (mongod's
# "Did you mean" answers come from ICU's data too).
EXTRA_LOCALES = [
    "de@collation=phonebook",
    "de_AT@collation=phonebook",
    "zh@collation=pinyin",
    "zh@collation=stroke",
    "zh_Hant",
    "zh_TW",
    "zh_HK",
    "ja@collation=unihan",
    "es@collation=traditional",
    "sv@collation=search",
    "ko@collation=search",
    "en_US",
    "en_US_POSIX",
    "en_GB",
    "fr_CA",
    "de_AT",
    "de_CH",
    "pt_BR",
    "sr_Latn",
    "sr_Cyrl",
    "no",
    "nb",
    "nn",
    "iw",
    "he",
    "in",
    "id",
    "tl",
    "fil",
    "root",
    "xx",
    "en_XX",
    "zz_ZZ",
    "fr_FR_POSIX",
    "EN",
    "en-US",
    "en__POSIX",
    "de_DE@collation=standard",
    "x",
    "simple",
]


def probe(locales: list[str], words: list[str], options: list[dict[str, Any]]) -> list[Any]:
    results: list[Any] = []
    for locale in locales:
        for option in options:
            try:
                collator = parse_collation({"locale": locale, **option})
            except MongoError as exc:
                results.append([locale, option, "error", exc.code, exc.errmsg])
                continue
            except Exception as exc:  # noqa: BLE001 -- ICU's own errors must be equal too
                results.append([locale, option, "exception", type(exc).__name__, str(exc)])
                continue
            if collator.is_simple:
                results.append([locale, option, "simple"])
                continue
            keys = [collator.string_key(word).hex() for word in words]
            results.append([locale, option, collator.spec, keys])
    return results


def installed_locales() -> list[str]:
    import icu

    return sorted(icu.Collator.getAvailableLocales().keys())


def main() -> None:
    request = json.load(sys.stdin)
    import icu

    json.dump(
        {
            "icu": icu.ICU_VERSION,
            "installed": installed_locales(),
            "results": probe(request["locales"], request["words"], request["options"]),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
