"""Checking a loaded JSON file against what this version writes: keys and types.

A schema is a type (or a tuple of types) that the value must be an instance of, a dict of
key -> schema (a key ending in ``?`` may be absent), or a one-element list [schema] that every
item must match, or a Where: a type whose values are also bounded (a count, a random
stream's state). ``bool`` is not accepted where a number is wanted (JSON's true is not 1).
"""
import math

from ..errors import UserError

NUMBER = (int, float)


class Where:
    """A value of ``types`` that ``test`` accepts; ``what`` names those values in messages."""

    def __init__(self, types, test, what):
        self.types, self.test, self.what = types, test, what


def whole_in(low, high, what=None):
    """A whole number in [low, high)."""
    return Where(int, lambda v: low <= v < high, what or f"a whole number in [{low}, {high})")


def one_of(*values):
    """A value equal to one of ``values``."""
    return Where(tuple({type(v) for v in values}), lambda v: v in values,
                 " or ".join(map(repr, values)))


COUNT = whole_in(0, math.inf, "a non-negative whole number")
DURATION = Where(NUMBER, lambda v: 0 <= v < math.inf, "a non-negative number")


def _type_names(types):
    types = types if isinstance(types, tuple) else (types,)
    if int in types and float in types:
        types = tuple(t for t in types if t is not int)
    names = {int: "a whole number", float: "a number", str: "a string", bool: "true or false",
             dict: "an object", list: "a list", type(None): "null"}
    return " or ".join(dict.fromkeys(names.get(t, t.__name__) for t in types))


def check(value, schema, file, field=""):
    """UserError naming ``file`` and the first field of ``value`` that does not match."""
    where = f"field {field!r}" if field else "its content"
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            raise UserError(f"{file}: {where} should be an object.")
        for key, sub in schema.items():
            name, optional = key.rstrip("?"), key.endswith("?")
            if name not in value:
                if optional:
                    continue
                raise UserError(f"{file}: field {_join(field, name)!r} is missing.")
            check(value[name], sub, file, _join(field, name))
    elif isinstance(schema, list):
        if not isinstance(value, list):
            raise UserError(f"{file}: {where} should be a list.")
        for i, item in enumerate(value):
            check(item, schema[0], file, f"{field}[{i}]")
    elif isinstance(schema, Where):
        if not _is_instance(value, schema.types) or not schema.test(value):
            raise UserError(f"{file}: {where} should be {schema.what}, not {value!r:.40}.")
    elif not _is_instance(value, schema):
        raise UserError(f"{file}: {where} should be {_type_names(schema)}, not {value!r:.40}.")


def _is_instance(value, types):
    types = types if isinstance(types, tuple) else (types,)
    return isinstance(value, types) and (bool in types or not isinstance(value, bool))


def _join(field, name):
    return f"{field}.{name}" if field else name
