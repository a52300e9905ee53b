#!/usr/bin/env python3
"""Checks http/openapi.json as an OpenAPI 3.1 document.

Debian 12 has no OpenAPI validator package (python3-openapi-spec-validator arrives in Debian
13), so this checks what such a validator would, with the standard JSON Schema validator for
the schemas (python3-jsonschema, draft 2020-12, the dialect of OpenAPI 3.1):
- `openapi` is 3.1.0 and the file is in its canonical form (json.dumps, indent=1);
- every Schema Object is a valid draft 2020-12 schema and uses no OpenAPI 3.0 keyword
  (`nullable`: 3.1 writes "type": [..., "null"]);
- every $ref resolves inside the document;
- every operation has responses with valid status codes and a unique operationId;
- every {parameter} of a path is declared `in: path`, required, and no path parameter is
  declared that the path does not have;
- every security requirement names a declared scheme;
- every operation that takes or returns anything (a body, parameters, a 2xx body) shows at
  least one example, and every example of a body is valid against that body's schema.
Prints each problem, exits 1 if there is one. scripts/test.sh runs it.
"""
import json
import re
import sys

import jsonschema

PATH = "http/openapi.json"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
problems = []


def resolve(doc, ref):
    if not ref.startswith("#/"):
        return None
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def walk(node, where, doc, in_schema=False):
    """$refs everywhere; schema checks on each Schema Object (reached through a `schema` key or
    components.schemas)."""
    if isinstance(node, dict):
        if "$ref" in node and resolve(doc, node["$ref"]) is None:
            problems.append(f"{where}: $ref {node['$ref']} does not resolve")
        if in_schema and "nullable" in node:
            problems.append(f"{where}: `nullable` is OpenAPI 3.0; use \"type\": [..., \"null\"]")
        for key, value in node.items():
            walk(value, f"{where}/{key}", doc, in_schema or key in ("schema", "schemas"))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            walk(value, f"{where}[{i}]", doc, in_schema)


def schema_objects(doc):
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        yield f"components/schemas/{name}", schema

    def find(node, where):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "schema" and isinstance(value, dict):
                    yield f"{where}/schema", value
                else:
                    yield from find(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from find(value, f"{where}[{i}]")

    yield from find(doc.get("paths", {}), "paths")
    yield from find(doc.get("components", {}).get("headers", {}), "components/headers")
    yield from find(doc.get("components", {}).get("responses", {}), "components/responses")


def media_types(op):
    """(where, Media Type Object) of an operation's request body and responses, inline ones."""
    for name, media in op.get("requestBody", {}).get("content", {}).items():
        yield f"body {name}", media
    for status, response in op.get("responses", {}).items():
        for name, media in response.get("content", {}).items():
            yield f"{status} {name}", media


def main():
    text = open(PATH, encoding="utf-8").read()
    doc = json.loads(text)
    if text != json.dumps(doc, indent=1, ensure_ascii=False) + "\n":
        problems.append(f"{PATH} is not in canonical form: json.dumps(indent=1, ensure_ascii=False)")
    if doc.get("openapi") != "3.1.0":
        problems.append(f"openapi is {doc.get('openapi')!r}, not '3.1.0'")
    for key in ("title", "version"):
        if key not in doc.get("info", {}):
            problems.append(f"info.{key} is missing")
    walk(doc, "#", doc)
    validator = jsonschema.Draft202012Validator
    for where, schema in schema_objects(doc):
        try:
            validator.check_schema(schema)
        except jsonschema.exceptions.SchemaError as e:
            problems.append(f"{where}: not a JSON Schema 2020-12 schema: {e.message}")

    schemes = set(doc.get("components", {}).get("securitySchemes", {}))
    operation_ids = {}
    for path, item in doc.get("paths", {}).items():
        template = set(re.findall(r"\{([^}]+)\}", path))
        common = item.get("parameters", [])
        for method, op in item.items():
            if method not in METHODS:
                continue
            where = f"{method.upper()} {path}"
            params = [resolve(doc, p["$ref"]) if "$ref" in p else p
                      for p in common + op.get("parameters", [])]
            declared = {p["name"] for p in params if p and p.get("in") == "path"}
            for name in template - declared:
                problems.append(f"{where}: path parameter {name} is not declared")
            for name in declared - template:
                problems.append(f"{where}: declares path parameter {name} the path does not have")
            for p in params:
                if p and p.get("in") == "path" and p.get("required") is not True:
                    problems.append(f"{where}: path parameter {p['name']} must be required")
            responses = op.get("responses") or {}
            if not responses:
                problems.append(f"{where}: no responses")
            for status in responses:
                if not re.fullmatch(r"[1-5](\d\d|XX)|default", status):
                    problems.append(f"{where}: {status} is not a response code")
            op_id = op.get("operationId")
            if op_id in operation_ids:
                problems.append(f"{where}: operationId {op_id} also used by {operation_ids[op_id]}")
            operation_ids[op_id] = where
            examples = 0
            for part, media in media_types(op):
                if "example" not in media:
                    continue
                examples += 1
                schema = dict(media.get("schema", {}), components=doc.get("components", {}))
                for error in validator(schema).iter_errors(media["example"]):
                    problems.append(f"{where} {part}: its example does not fit its schema: "
                                    f"{error.message[:160]} at {list(error.absolute_path)}")
            examples += sum("example" in p for p in params if p)
            takes_or_returns = op.get("requestBody") or params or any(
                "content" in r for s, r in responses.items() if s.startswith("2"))
            if takes_or_returns and not examples:
                problems.append(f"{where}: no example")
            for requirement in op.get("security", doc.get("security", [])):
                for name in requirement:
                    if name not in schemes:
                        problems.append(f"{where}: security scheme {name} is not declared")

    for p in problems:
        print("check-openapi:", p)
    print(f"openapi: {len(doc.get('paths', {}))} paths, {len(operation_ids)} operations, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
