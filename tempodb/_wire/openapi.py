"""The v1 API as an OpenAPI 3.1 document, generated from the endpoint table (docs/protocol.md §2, §4-§6).

``openapi_document()`` is a pure function: it builds a JSON-ready dict from ``ENDPOINTS`` and the
shapes of docs/protocol.md §2, so the document cannot list a call the table does not have, nor miss
one.  ``tempodb serve`` answers it at ``GET /v1/openapi.json`` (``OPENAPI_PATH``) without credentials.

A ``{series}`` template becomes two paths, ``/series/id/{id}/...`` and ``/series/key/{key}/...``,
for every call: the server routes both, even where the client names the series by id only.
``tz`` is listed on every call because every handler reads it (§5.3: the zone of naive
timestamps, written points included).
"""

from __future__ import annotations

import copy
from typing import Any

from tempodb._version import __version__
from tempodb._wire.endpoints import ENDPOINTS, SERIES, Answer, Body, Endpoint, Resend
from tempodb._wire.intervals import Function
from tempodb._wire.query import DIRECTIONS
from tempodb._wire.values import INT64_MAX, INT64_MIN

__all__ = ["OPENAPI_PATH", "ERROR_STATUSES", "openapi_document", "operation_id"]

#: Where the server answers the document (no credentials needed).
OPENAPI_PATH = "/v1/openapi.json"

Schema = dict[str, Any]
_REF = "#/components/schemas/"


def _ref(name: str) -> Schema:
    return {"$ref": _REF + name}


_TIMESTAMP: Schema = {
    "type": "string",
    "description": (
        "ISO-8601 (docs/protocol.md §3.1): YYYY-MM-DD, then optionally T or space, HH:MM[:SS[.fraction]] and an "
        "offset Z, ±HH, ±HHMM or ±HH:MM. Without an offset it is read in the request's tz, else UTC."
    ),
    "examples": ["2012-01-01T00:00:00.000Z", "2012-01-01", "2012-01-01T00:00:00-05:00"],
}
_VALUE: Schema = {
    "description": "A JSON integer in the signed 64-bit range or a finite float; the server also accepts a numeric string (§8.1).",
    "oneOf": [
        {"type": "integer", "minimum": INT64_MIN, "maximum": INT64_MAX},
        {"type": "number"},
        {"type": "string", "pattern": r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"},
    ],
}
_KEY: Schema = {
    "type": "string",
    "minLength": 1,
    "description": "A series key or id: non-empty, no control characters, no lone surrogates (docs/protocol.md §9.1).",
}
_ANSWER_TIMESTAMP: Schema = {"type": "string", "description": "YYYY-MM-DDTHH:MM:SS.mmm and Z or ±HH:MM (§3.3)."}

_SCHEMAS: dict[str, Schema] = {
    "Series": {
        "type": "object",
        "description": "A series (docs/protocol.md §2.1).",
        "required": ["id", "key", "name", "tags", "attributes"],
        "properties": {
            "id": {"type": "string"},
            "key": {"type": "string"},
            "name": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "attributes": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "SeriesFields": {
        "type": "object",
        "description": "A new series: every field optional; no key, an empty or a null key asks for a generated one (§6.1).",
        "properties": {
            "key": {"type": ["string", "null"]},
            "name": {"type": ["string", "null"]},
            "tags": {"type": ["array", "null"], "items": {"type": "string"}},
            "attributes": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
        },
    },
    "SeriesUpdate": {
        "type": "object",
        "description": "A series to store: present, non-null name, tags and attributes replace the stored ones; id and key are ignored (§6.4).",
        "properties": {
            "id": {"type": "string"},
            "key": {"type": "string"},
            "name": {"type": ["string", "null"]},
            "tags": {"type": ["array", "null"], "items": {"type": "string"}},
            "attributes": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
        },
    },
    "Timestamp": _TIMESTAMP,
    "Value": _VALUE,
    "DataPoint": {
        "type": "object",
        "description": "A point to write; without t (or with null) it gets the receive time (§2.2, §8.2).",
        "required": ["v"],
        "properties": {"t": {"oneOf": [_ref("Timestamp"), {"type": "null"}]}, "v": _ref("Value")},
    },
    "Points": {"type": "array", "items": _ref("DataPoint"), "description": "Points of one series (§6.8, §6.11)."},
    "BulkItem": {
        "type": "object",
        "description": "A value for the series named by id (which wins) or key (§6.9).",
        "required": ["v"],
        "properties": {"id": _KEY, "key": _KEY, "v": _ref("Value")},
    },
    "Bulk": {
        "type": "object",
        "description": "Many series at one timestamp (§6.9, §6.12).",
        "required": ["data"],
        "properties": {"t": {"oneOf": [_ref("Timestamp"), {"type": "null"}]}, "data": {"type": "array", "items": _ref("BulkItem")}},
    },
    "MultiItem": {
        "type": "object",
        "description": "One point of a multi write: its series by id (which wins) or key, its time and value (§6.10).",
        "required": ["v"],
        "properties": {"t": {"oneOf": [_ref("Timestamp"), {"type": "null"}]}, "id": _KEY, "key": _KEY, "v": _ref("Value")},
    },
    "Multi": {"type": "array", "items": _ref("MultiItem"), "description": "Points of many series (§6.10, §6.13)."},
    "AnswerPoint": {
        "type": "object",
        "required": ["t", "v"],
        "properties": {
            "t": _ANSWER_TIMESTAMP,
            "v": {"type": ["number", "null"], "description": "null where a rollup leaves the float range (as in §2.4)."},
        },
    },
    "Summary": {
        "type": "object",
        "description": "Statistics of the raw points in [start, end); {} without points; null where a float overflows (§2.4).",
        "properties": {
            **{name: {"type": ["number", "null"]} for name in ("sum", "mean", "max", "min", "stddev", "ss")},
            "count": {"type": "integer", "minimum": 0},
        },
    },
    "Rollup": {
        "type": "object",
        "required": ["interval", "function", "tz"],
        "properties": {
            "interval": {"type": "string", "description": "ISO period such as PT5M, P1D (§7.5)."},
            "function": {"type": "string"},
            "tz": {"type": "string"},
        },
    },
    "DataSet": {
        "type": "object",
        "description": "The answer to a data read (§2.3).",
        "required": ["series", "start", "end", "data", "rollup", "summary"],
        "properties": {
            "series": _ref("Series"),
            "start": _ANSWER_TIMESTAMP,
            "end": _ANSWER_TIMESTAMP,
            "data": {"type": "array", "items": _ref("AnswerPoint")},
            "rollup": {"oneOf": [_ref("Rollup"), {"type": "null"}]},
            "summary": _ref("Summary"),
        },
    },
    "SeriesSummary": {
        "type": "object",
        "description": "A summary without points (§2.6).",
        "required": ["series", "tz", "end", "start", "summary"],
        "properties": {
            "series": _ref("Series"),
            "tz": {"type": "string"},
            "end": _ANSWER_TIMESTAMP,
            "start": _ANSWER_TIMESTAMP,
            "summary": _ref("Summary"),
        },
    },
    "SingleValue": {
        "type": "object",
        "description": "The point a direction picks, or null (§2.5).",
        "required": ["series", "data"],
        "properties": {
            "series": _ref("Series"),
            "data": {"oneOf": [_ref("AnswerPoint"), {"type": "null"}]},
            "tz": {"type": "string"},
        },
    },
    "DeleteSummary": {
        "type": "object",
        "required": ["deleted"],
        "properties": {"deleted": {"type": "integer", "minimum": 0}},
    },
    "Multistatus": {
        "type": "object",
        "description": "One status per submitted item, in input order (§2.8).",
        "required": ["multistatus"],
        "properties": {
            "multistatus": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["status", "messages"],
                    "properties": {
                        "status": {"type": "string", "enum": ["200", "422"]},
                        "messages": {"type": "array", "items": {"type": "string"}},
                    },
                },
            }
        },
    },
}

_BODY_SCHEMA: dict[Body, str] = {
    Body.SERIES_FIELDS: "SeriesFields",
    Body.SERIES: "SeriesUpdate",
    Body.POINTS: "Points",
    Body.BULK: "Bulk",
    Body.MULTI: "Multi",
}
_ANSWER_SCHEMA: dict[Answer, Schema | None] = {
    Answer.SERIES: _ref("Series"),
    Answer.SERIES_LIST: {"type": "array", "items": _ref("Series")},
    Answer.DATASET: _ref("DataSet"),
    Answer.DATASETS: {"type": "array", "items": _ref("DataSet")},
    Answer.SUMMARY: _ref("SeriesSummary"),
    Answer.SINGLE: _ref("SingleValue"),
    Answer.SINGLES: {"type": "array", "items": _ref("SingleValue")},
    Answer.DELETED: _ref("DeleteSummary"),
    Answer.EMPTY: None,
    Answer.MULTISTATUS: None,
}

_TEXT = {"text/plain": {"schema": {"type": "string"}}}
#: Every error status an endpoint may answer, with what it means (docs/protocol.md §10.1).
ERROR_STATUSES: dict[int, str] = {
    400: "A bad parameter, timestamp, interval, function, zone, direction, key or body (plain text says which).",
    401: "No usable HTTP Basic credentials (empty body, WWW-Authenticate challenge).",
    403: "Wrong key or secret, or the series the path names does not exist in this database (empty body).",
    404: "The path names no endpoint.",
    405: "The path does not take this method (the Allow header lists those it takes).",
    409: "The key already belongs to another series.",
    413: "The body is over the server's limit, raw or inflated.",
    415: "The Content-Encoding is neither gzip nor identity.",
}
_EMPTY_BODY = {401, 403}


def _error_response(status: int) -> Schema:
    response: Schema = {"description": ERROR_STATUSES[status]}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}, "description": 'Basic realm="TempoDB"'}}
    elif status == 405:
        response["headers"] = {"Allow": {"schema": {"type": "string"}, "description": "The methods of this path."}}
        response["content"] = _TEXT
    elif status not in _EMPTY_BODY:
        response["content"] = _TEXT
    return response


def _parameter(name: str) -> Schema:
    """The OpenAPI parameter for a query name of the table (docs/protocol.md §5)."""
    base: Schema = {"in": "query", "required": False}
    if name in ("start", "end"):
        return {**base, "name": name, "required": True, "schema": _ref("Timestamp"), "description": f"Range {name} (§5.1)."}
    if name == "ts":
        return {**base, "name": name, "schema": _ref("Timestamp"), "description": "The time to look at; absent: now (§5.5)."}
    if name == "interval":
        return {
            **base, "name": name,
            "schema": {"type": "string", "examples": ["raw", "5min", "1hour", "1day", "PT1H", "P1M"]},
            "description": (
                "Rollup interval (§7.1): <N><unit> with unit s|sec|m|min|h|hour|d|day|w|week|month|y|year "
                "(plurals too, any case), a one-part ISO period such as PT5M, or raw."
            ),
        }
    if name == "function":
        folds = [f.value for f in Function]
        return {**base, "name": name, "schema": {"type": "string", "enum": folds}, "description": "Rollup fold, any case (§7.2)."}
    if name == "direction":
        return {
            **base, "name": name, "schema": {"type": "string", "enum": list(DIRECTIONS)},
            "description": "Which point relative to ts, any case; default exact (§5.5).",
        }
    if name == "tz":
        return {
            **base, "name": name, "schema": {"type": "string", "examples": ["UTC", "America/Chicago"]},
            "description": "IANA zone of the answer, of naive timestamps and of rollup buckets (§3.4, §5.3).",
        }
    if name in ("id", "key", "tag"):
        return {
            **base, "name": name, "style": "form", "explode": True,
            "schema": {"type": "array", "items": {"type": "string"}},
            "description": f"Filter by {name}, repeatable (§5.4).",
        }
    if name == "attr[]":
        return {
            **base, "name": "attr", "style": "deepObject", "explode": True,
            "schema": {"type": "object", "additionalProperties": {"type": "string"}},
            "description": "Filter attr[name]=value; every named attribute must match (§5.4).",
        }
    if name == "allow_truncation":
        return {
            **base, "name": name, "schema": {"type": "boolean"},
            "description": "true deletes every series when no filter is given (§5.6).",
        }
    raise ValueError(f"no OpenAPI description for the query parameter {name!r}")


def operation_id(endpoint: Endpoint, by: str | None = None) -> str:
    """``read_one_by_key``: the endpoint's name, and how the series is named when the path names one."""
    return endpoint.name if by is None else f"{endpoint.name}_by_{by}"


def _operation(endpoint: Endpoint, by: str | None) -> Schema:
    names = list(endpoint.query)
    if "tz" not in names:
        names.append("tz")
    parameters = [_parameter(name) for name in names]
    if by is not None:
        parameters.insert(0, {
            "in": "path", "name": by, "required": True, "schema": _KEY,
            "description": f"The series {by}, percent-encoded as one path segment (§1.5).",
        })
    responses: dict[str, Schema] = {}
    answer = _ANSWER_SCHEMA[endpoint.answer]
    if answer is not None:
        responses["200"] = {"description": endpoint.answer.value, "content": {"application/json": {"schema": answer}}}
    else:
        responses["200"] = {"description": "Done (empty body)."}
    if endpoint.answer is Answer.MULTISTATUS:
        responses["207"] = {
            "description": "Some items were refused; one status per item.",
            "content": {"application/json": {"schema": _ref("Multistatus")}},
        }
    statuses = [400, 401, 403, 404]
    if endpoint.body is not Body.NONE:
        statuses += [413, 415]
    if endpoint.name == "create_series" or endpoint.body in (Body.BULK, Body.MULTI):
        statuses.append(409)  # an existing key (§6.1), or an unknown id whose key is taken (§9.2)
    for status in sorted(statuses):
        responses[str(status)] = {"$ref": f"#/components/responses/{status}"}
    operation: Schema = {
        "operationId": operation_id(endpoint, by),
        "summary": endpoint.name.replace("_", " "),
        "description": (
            "Safe to send again after an unknown outcome."
            if endpoint.resend is Resend.ALWAYS
            else "Not repeatable: send again only when the request provably never left (§10.2)."
        ),
        "parameters": parameters,
        "responses": responses,
        "x-resend": endpoint.resend.value,
    }
    if by is not None and by not in endpoint.by:
        operation["description"] += f" The tempodb client names this series by {' or '.join(endpoint.by)}."
    if endpoint.body is not Body.NONE:
        operation["requestBody"] = {
            "required": endpoint.body is not Body.SERIES_FIELDS,
            "content": {"application/json": {"schema": _ref(_BODY_SCHEMA[endpoint.body])}},
        }
    return operation


def _paths(endpoint: Endpoint) -> list[tuple[str, str | None]]:
    if not endpoint.names_series:
        return [(endpoint.path, None)]
    # The server routes both forms for every call; ``Endpoint.by`` is how the client names the series.
    return [(endpoint.path.replace(SERIES, f"{by}/{{{by}}}"), by) for by in ("id", "key")]


def openapi_document(server_url: str = "/v1") -> dict[str, Any]:
    """The OpenAPI 3.1 description of every call of ``ENDPOINTS``; paths are under ``server_url``."""
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        for path, by in _paths(endpoint):
            paths.setdefault(path, {})[endpoint.method.lower()] = _operation(endpoint, by)
    paths["/openapi.json"] = {
        "get": {
            "operationId": "openapi",
            "summary": "this document",
            "security": [],
            "parameters": [],
            "responses": {"200": {"description": "The OpenAPI document.", "content": {"application/json": {"schema": {"type": "object"}}}}},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "TempoDB v1 API (tempodb server)",
            "version": __version__,
            "description": (
                "The TempoDB v1 time-series API as the tempodb client speaks it and its server answers it; "
                "docs/protocol.md is the full description. Each API key is its own database. Trailing slashes "
                "are optional. Errors are plain text (empty for 401 and 403); a path that names no endpoint "
                "answers 404 and a wrong method 405 before credentials are checked."
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"basic": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic", "description": "User name: API key; password: API secret."}
            },
            "schemas": copy.deepcopy(_SCHEMAS),
            "responses": {str(status): _error_response(status) for status in ERROR_STATUSES},
        },
    }
