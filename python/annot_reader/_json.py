"""Strict JSON reading that accepts exactly what annot's Swift parser (AnnotModel/JSON.swift) accepts.

Python's json module is more lenient than annot's parser in five ways; each is closed here:

- duplicate keys (Python keeps the last one): rejected, as in Swift;
- NaN / Infinity / -Infinity literals: rejected;
- numbers that overflow a double (1e400): rejected ("number out of range");
- integers of 16 or more characters: Swift reads every number as a double, so they are read
  as float (Python would keep an exact int that Swift does not have);
- unpaired UTF-16 surrogates in \\u escapes: rejected.

`loads` does all of that with a Python call per object and number. Label documents take
`loads_fast` (json's C decoder) instead; model.decode_document then proves the absence of
duplicate keys by counting them and checks the numbers of every field the format defines, and
re-reads the document with `loads` whenever either check has any doubt.
"""
import json
import re

__all__ = ["JSONError", "loads", "loads_fast", "key_count_matches"]


class JSONError(ValueError):
    """A document that is not JSON annot would read."""


def _pairs(pairs):
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise JSONError('duplicate key "%s"' % k)
            seen.add(k)
    return d


def _constant(name):
    raise JSONError("invalid literal %s" % name)


def _float(text):
    v = float(text)
    if v in (_INF, -_INF):
        raise JSONError("number out of range: %s" % text)
    return v


def _int(text):
    # Swift reads integer literals of at most 15 characters exactly, longer ones as a double.
    if len(text) <= 15:
        return int(text)
    return _float(text)


_INF = float("inf")
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_WS_COLON = re.compile(rb'"[ \t\r\n]+:')
_decoder_fast = json.JSONDecoder(parse_constant=_constant)
_decoder_strict = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_constant,
                                   parse_float=_float, parse_int=_int)


def _check_strings(v):
    if isinstance(v, str):
        v.encode("utf-8")
    elif isinstance(v, list):
        for e in v:
            _check_strings(e)
    elif isinstance(v, dict):
        for k, e in v.items():
            k.encode("utf-8")
            _check_strings(e)


def _decode(dec, data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise JSONError("not valid UTF-8 at byte %d" % e.start) from None
    try:
        value = dec.decode(text)
    except json.JSONDecodeError as e:
        raise JSONError("line %d, column %d: %s" % (e.lineno, e.colno, e.msg)) from None
    except RecursionError:
        raise JSONError("nesting too deep") from None
    if b"\\u" in data and _SURROGATE.search(data):
        try:
            _check_strings(value)
        except UnicodeEncodeError:
            raise JSONError("unpaired surrogate in \\u escape") from None
    return value


def loads(data):
    """Parses UTF-8 JSON bytes exactly as annot's parser does. Raises JSONError with a line and
    column on bad input."""
    return _decode(_decoder_strict, data)


_scan = _decoder_fast.scan_once


def loads_fast(data):
    """json's C fast path: NaN/Infinity literals, invalid UTF-8 and unpaired surrogates are
    refused, but duplicate keys, overflowing numbers (read as inf) and integers beyond 2^53
    (kept exact, where Swift rounds them to a double) are not checked. The caller proves the
    absence of duplicates with `key_count_matches` and checks the numbers it uses, or calls
    `loads`."""
    if data[:1] == b"{" and b"\\u" not in data:
        # annot's documents: straight into the C scanner (what JSONDecoder.decode does, minus
        # its Python-level whitespace handling); anything odd goes the documented way.
        try:
            text = data.decode("utf-8")
            value, end = _scan(text, 0)
            if not text[end:].strip(" \t\n\r"):
                return value
        except (UnicodeDecodeError, StopIteration, ValueError):
            pass
    return _decode(_decoder_fast, data)


def key_count_matches(data, parsed_keys):
    """True when `parsed_keys` (the number of keys in the parsed objects) proves that `data`
    had no duplicate key. With no escaped quote and no whitespace before a colon, every '":' in
    the text is a key's closing quote or the opening quote of a string that starts with ':', so
    the count of '":' is >= the number of keys written, which is >= the keys parsed, with
    equality only when no key was lost to a duplicate. Any doubt returns False."""
    quoted_colons = data.count(b'":')
    if quoted_colons != parsed_keys or b'\\"' in data:
        return False
    return data.count(b":") == quoted_colons or not _WS_COLON.search(data)
