"""String operators. MongoDB's case mapping is ASCII-only; byte offsets are UTF-8 byte offsets."""

from __future__ import annotations

import re
from typing import Any

from bson.regex import Regex

from docdb.engine.expressions.core import (
    MISSING,
    Evaluator,
    Scope,
    Variables,
    compile_node,
    named_args,
    register,
    simple,
    type_name,
)
from docdb.engine.expressions.numeric import as_int, num_kind
from docdb.engine.expressions.stringify import coerce_to_string
from docdb.errors import MongoError

_WHITESPACE = "\0 \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_WHITESPACE += "\u2028\u2029\u202f\u205f\u3000"
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _nullish(value: Any) -> bool:
    return value is None or value is MISSING


def concat(*values: Any) -> Any:
    for value in values:
        if _nullish(value):
            return None
        if not isinstance(value, str):
            raise MongoError(16702, f"$concat only supports strings, not {type_name(value)}")
    return "".join(values)


def _substr_bytes(name: str) -> Any:
    def apply(value: Any, start: Any, length: Any) -> str:
        text = coerce_to_string(name, value).encode()
        if num_kind(start) < 0:
            raise MongoError(
                16034, f"{name}: starting index must be a numeric type (is BSON type {type_name(start)})"
            )
        if num_kind(length) < 0:
            raise MongoError(
                16035, f"{name}: length must be a numeric type (is BSON type {type_name(length)})"
            )
        begin = int(float(start))
        if begin < 0:
            raise MongoError(50752, f"{name}: starting index must be non-negative (got: {begin})")
        count = int(float(length))
        if begin >= len(text):
            return ""
        end = len(text) if count < 0 else min(len(text), begin + count)
        if begin < len(text) and text[begin] & 0xC0 == 0x80:
            raise MongoError(28656, f"{name}:  Invalid range, starting index is a UTF-8 continuation byte.")
        if end < len(text) and text[end] & 0xC0 == 0x80:
            raise MongoError(
                28657, f"{name}:  Invalid range, ending index is in the middle of a UTF-8 character."
            )
        return text[begin:end].decode()

    return apply


def substr_cp(value: Any, start: Any, length: Any) -> str:
    text = coerce_to_string("$substrCP", value)
    if num_kind(start) < 0:
        raise MongoError(
            34450, f"$substrCP: starting index must be a numeric type (is BSON type {type_name(start)})"
        )
    begin = as_int(start)
    if begin is None:
        raise MongoError(
            34451, f"$substrCP: starting index cannot be represented as a 32-bit integral value: {start}"
        )
    if num_kind(length) < 0:
        raise MongoError(
            34452, f"$substrCP: length must be a numeric type (is BSON type {type_name(length)})"
        )
    count = as_int(length)
    if count is None:
        raise MongoError(
            34453, f"$substrCP: length cannot be represented as a 32-bit integral value: {length}"
        )
    if count < 0:
        raise MongoError(34454, "$substrCP: length must be a nonnegative integer.")
    if begin < 0:
        raise MongoError(34455, "$substrCP: the starting index must be nonnegative integer.")
    return text[begin : begin + count]


def to_upper(value: Any) -> str:
    return coerce_to_string("$toUpper", value).translate(_UPPER)


def to_lower(value: Any) -> str:
    return coerce_to_string("$toLower", value).translate(_LOWER)


def strcasecmp(left: Any, right: Any) -> int:
    a = coerce_to_string("$strcasecmp", left).translate(_LOWER).encode()
    b = coerce_to_string("$strcasecmp", right).translate(_LOWER).encode()
    return (a > b) - (a < b)


def split(value: Any, sep: Any) -> Any:
    if _nullish(value) or _nullish(sep):
        return None
    if not isinstance(value, str):
        raise MongoError(
            40085,
            "$split requires an expression that evaluates to a string as a first argument, "
            f"found: {type_name(value)}",
        )
    if not isinstance(sep, str):
        raise MongoError(
            40086,
            "$split requires an expression that evaluates to a string as a second argument, "
            f"found: {type_name(sep)}",
        )
    if sep == "":
        raise MongoError(40087, "$split requires a non-empty separator")
    return value.split(sep)


def str_len_cp(value: Any) -> int:
    if not isinstance(value, str):
        raise MongoError(34471, f"$strLenCP requires a string argument, found: {type_name(value)}")
    return len(value)


def str_len_bytes(value: Any) -> int:
    if not isinstance(value, str):
        raise MongoError(34473, f"$strLenBytes requires a string argument, found: {type_name(value)}")
    return len(value.encode())


def _index_of(name: str, encode: bool) -> Any:
    def apply(value: Any, sub: Any, start: Any = MISSING, end: Any = MISSING) -> Any:
        if _nullish(value):
            return None
        if not isinstance(value, str):
            raise MongoError(
                40091, f"{name} requires a string as the first argument, found: {type_name(value)}"
            )
        if not isinstance(sub, str):
            raise MongoError(
                40092, f"{name} requires a string as the second argument, found: {type_name(sub)}"
            )
        text: Any = value.encode() if encode else value
        needle: Any = sub.encode() if encode else sub
        begin, stop = 0, len(text)
        if start is not MISSING:
            begin = _index_bound(name, start, 40096, "starting")
        if end is not MISSING:
            stop = min(stop, _index_bound(name, end, 40097, "ending"))
        if begin > len(text) or begin > stop:
            return -1
        return text.find(needle, begin, stop) if needle or begin <= stop else -1

    return apply


def _index_bound(name: str, value: Any, code: int, which: str) -> int:
    number = as_int(value)
    if number is None:
        raise MongoError(
            code, f"{name} requires an integral {which} index, found a value of type: {type_name(value)}"
        )
    if number < 0:
        raise MongoError(code + 2, f"{name} requires a nonnegative {which} index, found: {number}")
    return number


def _trim_op(name: str, left: bool, right: bool) -> None:
    @register(name)
    def compile_trim(args: Any, scope: Scope) -> Evaluator:
        if not isinstance(args, dict):
            raise MongoError(
                50696, f"{name} only supports an object as an argument, found: {type_name(args)}"
            )
        for key in args:
            if key not in ("input", "chars"):
                raise MongoError(50694, f"{name} found an unknown argument: {key}")
        if "input" not in args:
            raise MongoError(50695, f"{name} requires an 'input' field")
        source = compile_node(args["input"], scope)
        chars = compile_node(args["chars"], scope) if "chars" in args else None

        def evaluate(doc: Any, v: Variables) -> Any:
            value = source(doc, v)
            if _nullish(value):
                return None
            if not isinstance(value, str):
                raise MongoError(
                    50699,
                    f"{name} requires its input to be a string, got {value!r} (of type "
                    f"{type_name(value)}) instead.",
                )
            strip = _WHITESPACE
            if chars is not None:
                strip = chars(doc, v)
                if _nullish(strip):
                    return None
                if not isinstance(strip, str):
                    raise MongoError(
                        50700,
                        f"{name} requires 'chars' to be a string, got {strip!r} (of type "
                        f"{type_name(strip)}) instead.",
                    )
            if left and right:
                return value.strip(strip)
            return value.lstrip(strip) if left else value.rstrip(strip)

        return evaluate


def _regex_op(name: str, mode: str) -> None:
    @register(name)
    def compile_regex(args: Any, scope: Scope) -> Evaluator:
        named_args(name, args, ("input", "regex"), ("options",), 51103)
        source = compile_node(args["input"], scope)
        pattern = compile_node(args["regex"], scope)
        options = compile_node(args["options"], scope) if "options" in args else None

        def evaluate(doc: Any, v: Variables) -> Any:
            value = source(doc, v)
            regex = _compile_regex(name, pattern(doc, v), options(doc, v) if options else MISSING)
            if regex is None or _nullish(value):
                return False if mode == "match" else (None if mode == "find" else [])
            if not isinstance(value, str):
                raise MongoError(51104, f"{name} needs 'input' to be of type string")
            if mode == "match":
                return regex.search(value) is not None
            if mode == "find":
                found = regex.search(value)
                return None if found is None else _match_doc(found)
            return [_match_doc(m) for m in regex.finditer(value)]

        return evaluate


def _match_doc(found: re.Match) -> dict:
    return {"match": found.group(0), "idx": found.start(), "captures": list(found.groups())}


def _compile_regex(name: str, pattern: Any, options: Any) -> re.Pattern | None:
    flags_text = ""
    if isinstance(pattern, Regex):
        flags_text = _flag_text(pattern.flags)
        if options is not MISSING and options is not None and flags_text:
            raise MongoError(
                51107, f"{name}: found regex option(s) specified in both 'regex' and 'option' fields"
            )
        pattern = pattern.pattern
    elif isinstance(pattern, re.Pattern):
        pattern = pattern.pattern
    elif _nullish(pattern):
        return None
    elif not isinstance(pattern, str):
        raise MongoError(51105, f"{name} needs 'regex' to be of type string or regex")
    if options is not MISSING and options is not None:
        if not isinstance(options, str):
            raise MongoError(51106, f"{name} needs 'options' to be of type string")
        flags_text = options
    flags = 0
    for letter in flags_text:
        if letter == "i":
            flags |= re.IGNORECASE
        elif letter == "m":
            flags |= re.MULTILINE
        elif letter == "s":
            flags |= re.DOTALL
        elif letter == "x":
            flags |= re.VERBOSE
        elif letter != "u":
            raise MongoError(51108, f"{name} invalid flag in regex options: {letter}")
    if "\0" in pattern:
        raise MongoError(51109, f"{name}: regular expression cannot contain an embedded null byte")
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise MongoError(51111, f"Invalid Regex in {name}: {exc}") from None


def _flag_text(flags: Any) -> str:
    if isinstance(flags, str):
        return flags
    out = ""
    for bit, letter in ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"), (re.VERBOSE, "x")):
        if flags & bit:
            out += letter
    return out


def _replace_op(name: str, count: int) -> None:
    @register(name)
    def compile_replace(args: Any, scope: Scope) -> Evaluator:
        named_args(name, args, ("input", "find", "replacement"), (), 51750)
        parts = [compile_node(args[key], scope) for key in ("input", "find", "replacement")]

        def evaluate(doc: Any, v: Variables) -> Any:
            values = [part(doc, v) for part in parts]
            for value, key, code in zip(
                values, ("input", "find", "replacement"), (51746, 51745, 51744), strict=True
            ):
                if not _nullish(value) and not isinstance(value, str):
                    raise MongoError(code, f"{name} requires that '{key}' be a string, found: {value!r}")
            if any(_nullish(value) for value in values):
                return None
            text, find, replacement = values
            return text.replace(find, replacement, count)

        return evaluate


simple("$concat", concat, 0, None)
simple("$indexOfBytes", _index_of("$indexOfBytes", True), 2, 4)
simple("$indexOfCP", _index_of("$indexOfCP", False), 2, 4)
simple("$split", split, 2)
simple("$strLenBytes", str_len_bytes, 1)
simple("$strLenCP", str_len_cp, 1)
simple("$strcasecmp", strcasecmp, 2)
simple("$substr", _substr_bytes("$substrBytes"), 3)
simple("$substrBytes", _substr_bytes("$substrBytes"), 3)
simple("$substrCP", substr_cp, 3)
simple("$toLower", to_lower, 1)
simple("$toUpper", to_upper, 1)
_trim_op("$trim", True, True)
_trim_op("$ltrim", True, False)
_trim_op("$rtrim", False, True)
_regex_op("$regexMatch", "match")
_regex_op("$regexFind", "find")
_regex_op("$regexFindAll", "findAll")
_replace_op("$replaceOne", 1)
_replace_op("$replaceAll", -1)
