"""The OpenAPI document (tempodb/_wire/openapi.py): valid OpenAPI 3.1, generated from the endpoint
table so it lists every call, and served without credentials at GET /v1/openapi.json."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from tempodb._wire.endpoints import ENDPOINTS, SERIES, Answer, Body
from tempodb._wire.openapi import OPENAPI_PATH, openapi_document, operation_id
from tempodb.testing import ServerInfo

jsonschema_rs = pytest.importorskip("jsonschema_rs")  # installed with schemathesis (the test extra)
definitions = pytest.importorskip("schemathesis.specs.openapi.definitions")

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def operations(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        op["operationId"]: (method.upper(), path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_the_document_is_valid_openapi_3_1() -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    errors = [str(e) for e in definitions.OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert errors == []
    # The OpenAPI meta-schema does not look inside schemas: each one must be valid JSON Schema 2020-12.
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name
    # Every $ref points at something.
    text = json.dumps(document)
    for ref in set(re.findall(r'"\$ref": "([^"]+)"', text)):
        resolve(document, {"$ref": ref})
    # JSON as served: msgspec/json round trip changes nothing.
    assert json.loads(text) == document


def test_every_endpoint_of_the_table_is_in_the_document_and_nothing_else() -> None:
    document = openapi_document()
    found = operations(document)
    expected: dict[str, tuple[str, str]] = {"openapi": ("GET", "/openapi.json")}
    for endpoint in ENDPOINTS:
        if endpoint.names_series:
            for by in ("id", "key"):
                expected[operation_id(endpoint, by)] = (endpoint.method, endpoint.path.replace(SERIES, f"{by}/{{{by}}}"))
        else:
            expected[endpoint.name] = (endpoint.method, endpoint.path)
    assert {name: (method, path) for name, (method, path, _) in found.items()} == expected
    # The server takes PUT by key too (docs/protocol.md §6.4), though the client sends it by id.
    assert "by id" in document["paths"]["/series/key/{key}/"]["put"]["description"]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_each_operation_says_what_it_takes_and_answers(endpoint: Any) -> None:
    document = openapi_document()
    found = operations(document)
    for by in ("id", "key") if endpoint.names_series else (None,):
        _, _, op = found[operation_id(endpoint, by)]
        parameters = [resolve(document, p) for p in op["parameters"]]
        query = {p["name"] for p in parameters if p["in"] == "query"}
        wanted = {"attr" if name == "attr[]" else name for name in endpoint.query} | {"tz"}
        assert query == wanted
        if by is not None:
            assert {(p["name"], p["required"]) for p in parameters if p["in"] == "path"} == {(by, True)}
        required = {p["name"] for p in parameters if p.get("required") and p["in"] == "query"}
        assert required == {"start", "end"} & set(endpoint.query)
        statuses = set(op["responses"])
        assert {"200", "400", "401", "403", "404"} <= statuses
        assert ("207" in statuses) == (endpoint.answer is Answer.MULTISTATUS)
        assert ("requestBody" in op) == (endpoint.body is not Body.NONE)
        assert ({"413", "415"} <= statuses) == (endpoint.body is not Body.NONE)
        assert ("409" in statuses) == (endpoint.name == "create_series" or endpoint.body in (Body.BULK, Body.MULTI))
        ok = op["responses"]["200"]
        assert ("content" in ok) == (endpoint.answer not in (Answer.EMPTY, Answer.MULTISTATUS))


def test_parameter_types() -> None:
    document = openapi_document()
    _, _, read = operations(document)["read"]
    by_name = {p["name"]: p for p in read["parameters"]}
    assert by_name["function"]["schema"]["enum"] == ["sum", "max", "min", "mean", "avg", "stddev", "count", "ss"]
    assert resolve(document, by_name["start"]["schema"])["type"] == "string"
    assert by_name["attr"]["style"] == "deepObject"
    assert by_name["id"]["schema"]["type"] == "array" and by_name["id"]["explode"] is True
    _, _, single = operations(document)["single"]
    assert {p["name"]: p for p in single["parameters"]}["direction"]["schema"]["enum"] == ["exact", "before", "after", "nearest"]
    assert document["components"]["securitySchemes"]["basic"] == {
        "type": "http", "scheme": "basic", "description": "User name: API key; password: API secret."
    }
    assert document["security"] == [{"basic": []}]
    assert operations(document)["openapi"][2]["security"] == []


def test_served_without_credentials(tempodb_server: ServerInfo) -> None:
    base = f"http://{tempodb_server.host}:{tempodb_server.port}"
    with httpx.Client(base_url=base, timeout=10) as client:
        for path in (OPENAPI_PATH, OPENAPI_PATH + "/"):
            response = client.get(path)
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "application/json"
            assert response.json() == openapi_document()
        refused = client.post(OPENAPI_PATH, content=b"{}")
        assert refused.status_code == 405 and refused.headers["allow"] == "GET"
        # Every other path still asks for credentials.
        assert client.get("/v1/series/").status_code == 401
