"""Strict JSON reading that accepts exactly what annot's Swift parser (AnnotModel/JSON.swift) accepts.

Python's json module is more lenient than annot's parser in five ways; each is closed here:

- duplicate keys (Python keeps the last one): rejected, as in Swift;
- NaN / Infinity / -Infinity literals: rejected;
- numbers that overflow a double (1e400): rejected ("number out of range");
- integers of 16 or more characters: Swift reads every number as a double, so they are read
  as float (Python would keep an exact int that Swift does not have);
- unpaired UTF-16 surrogates in \\u escapes: rejected.

The checks that cost a Python call per value run only when a cheap byte scan says they can
matter, so canonical documents (what annot writes) take json's C fast path.
"""
import json
import re

__all__ = ["JSONError", "loads"]


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
# A long digit run (an integer Swift would round, or a float with more than 308 digits) or a
# three-digit exponent (possible overflow): worth the slow path.
_SLOW = re.compile(rb"[0-9]{16}|[eE][+-]?[0-9]{3}")
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_decoder_fast = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_constant)
_decoder_slow = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_constant,
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


def loads(data):
    """Parses UTF-8 JSON bytes. Raises JSONError with a line and column on bad input."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise JSONError("not valid UTF-8 at byte %d" % e.start) from None
    dec = _decoder_slow if _SLOW.search(data) else _decoder_fast
    try:
        value = dec.decode(text)
    except json.JSONDecodeError as e:
        raise JSONError("line %d, column %d: %s" % (e.lineno, e.colno, e.msg)) from None
    except RecursionError:
        raise JSONError("nesting too deep") from None
    if _SURROGATE.search(data):
        try:
            _check_strings(value)
        except UnicodeEncodeError:
            raise JSONError("unpaired surrogate in \\u escape") from None
    return value
