#!/usr/bin/python3
"""Validates JSON documents against a JSON Schema.

usage: check_schema.py SCHEMA.json DOC.json...     (DOC "-" reads stdin)

The validator class follows the schema's "$schema" (draft-04 for SARIF 2.1.0,
2020-12 for spec/schema/); the schema itself is checked against its
meta-schema first.  "$ref"s between files resolve against every *.json in the
schema's folder and in spec/schema/, by their "$id" (or draft-04 "id"); no
reference is ever fetched from the network.  Formats are checked wherever the
installed jsonschema can check them (uri, uri-reference, ...).  Documents are
read strictly: a repeated key, NaN or Infinity is a violation.

Exit status: 0 every document is valid, 1 a violation (each printed with its
JSON pointer), 2 usage error or unreadable input.
"""
import json
import os
import sys
import warnings

import jsonschema

warnings.simplefilter("ignore", DeprecationWarning)  # RefResolver in newer jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC_SCHEMA = os.path.normpath(os.path.join(HERE, "..", "..", "spec", "schema"))


class Strict(ValueError):
    pass


def no_dup(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise Strict(f"repeated key {k!r}")
        seen[k] = v
    return seen


def no_const(name):
    raise Strict(f"{name} is not JSON")


def load(path):
    if path == "-":
        text = sys.stdin.buffer.read()
    else:
        with open(path, "rb") as f:
            text = f.read()
    return json.loads(text.decode("utf-8"), object_pairs_hook=no_dup, parse_constant=no_const)


def pointer(parts):
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts) or "(root)"


def schema_id(s):
    return s.get("$id") or s.get("id") if isinstance(s, dict) else None


def store_of(folders):
    store = {}
    for d in folders:
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if not name.endswith(".json"):
                continue
            p = os.path.join(d, name)
            try:
                s = load(p)
            except (OSError, ValueError):
                continue
            sid = schema_id(s)
            if sid:
                store[sid.rstrip("#")] = s
            store["file://" + p] = s
    return store


def offline(uri):
    raise jsonschema.RefResolutionError(f"$ref {uri} is not among the local schemas (no network fetch)")


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr if len(argv) < 3 else sys.stdout)
        return 2 if len(argv) < 3 else 0
    spath = argv[1]
    try:
        schema = load(spath)
    except (OSError, ValueError) as e:
        print(f"{spath}: cannot read the schema: {e}", file=sys.stderr)
        return 2
    cls = jsonschema.validators.validator_for(schema, default=None)
    if cls is None:
        print(f"{spath}: unknown $schema {schema.get('$schema')!r}", file=sys.stderr)
        return 2
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as e:
        print(f"{spath}: not a valid schema at {pointer(e.absolute_path)}: {e.message}", file=sys.stderr)
        return 1
    store = store_of([os.path.dirname(os.path.abspath(spath)), SPEC_SCHEMA])
    base = schema_id(schema) or "file://" + os.path.abspath(spath)
    resolver = jsonschema.RefResolver(base, schema, store=store,
                                      handlers={"http": offline, "https": offline, "file": offline})
    v = cls(schema, resolver=resolver, format_checker=jsonschema.FormatChecker())
    bad = 0
    for dpath in argv[2:]:
        try:
            doc = load(dpath)
        except (OSError, ValueError) as e:
            print(f"{dpath}: not a strict JSON document: {e}", file=sys.stderr)
            bad = max(bad, 2 if isinstance(e, OSError) else 1)
            continue
        try:
            errors = sorted(v.iter_errors(doc), key=lambda e: (list(map(str, e.absolute_path)), e.message))
        except jsonschema.RefResolutionError as e:
            print(f"{spath}: {e}", file=sys.stderr)
            return 2
        for e in errors[:50]:
            print(f"{dpath}: {pointer(e.absolute_path)}: {e.message}"
                  f" (schema {pointer(e.absolute_schema_path)})", file=sys.stderr)
        if len(errors) > 50:
            print(f"{dpath}: ... {len(errors) - 50} more violations", file=sys.stderr)
        if errors:
            bad = max(bad, 1)
            print(f"{dpath}: INVALID against {spath} ({len(errors)} violations)", file=sys.stderr)
        else:
            print(f"{dpath}: valid against {os.path.basename(spath)}")
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv))
