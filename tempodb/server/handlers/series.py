"""Series metadata: list, create, get, update and delete series (docs/protocol.md §6.1-6.5, 6.19)."""

from __future__ import annotations

import uuid
from typing import Any

from tempodb._wire.http import Response
from tempodb._wire.keys import key_problem
from tempodb._wire.query import SeriesFilter
from tempodb.server.codec import MISSING, describe, json_response
from tempodb.server.context import Context
from tempodb.server.edge import fail
from tempodb.server.storage import SeriesExistsError, SeriesRecord

__all__ = ["create_series", "delete_one_series", "delete_series", "get_series", "list_series", "update_series"]


def list_series(ctx: Context) -> Response:
    return json_response(ctx.store.find_series(ctx.database, ctx.query.series_filter()))


def get_series(ctx: Context) -> Response:
    return json_response(ctx.series())


def create_series(ctx: Context) -> Response:
    body = ctx.body_json()
    if body is MISSING:
        body = {}
    if not isinstance(body, dict):
        fail(400, 'the body must be a JSON object such as {"key": "my-series"} (or {} for a generated key)')
    key = body.get("key")
    series_id = uuid.uuid4().hex
    if key is None or key == "":
        key = series_id  # observed: a generated key equals the id
    elif (problem := key_problem(key)) is not None:
        fail(400, f'"key": {problem}')
    series = SeriesRecord(id=series_id, key=key)
    _metadata(body, series)
    created = json_response(series)
    try:
        ctx.store.create_series(ctx.database, series, remember=ctx.remember(created))
    except SeriesExistsError as exc:
        fail(409, str(exc))
    return created


def update_series(ctx: Context) -> Response:
    body = ctx.body_json()
    if not isinstance(body, dict):
        fail(400, "the body must be a JSON object with the series fields (name, tags, attributes) to replace")
    series = ctx.series()
    _metadata(body, series)
    if not ctx.store.update_series(ctx.database, series):
        fail(403)
    return json_response(series)


def delete_series(ctx: Context) -> Response:
    selection = ctx.query.series_filter()
    flag = ctx.query.get("allow_truncation").lower()
    if flag not in ("", "true", "false", "1", "0"):
        fail(400, f"allow_truncation must be true or false, not {flag!r}")
    if selection.empty and flag not in ("true", "1"):
        fail(400, "refusing to delete every series: give a filter (id, key, tag, attr[name]) or allow_truncation=true")
    return json_response({"deleted": ctx.store.delete_series(ctx.database, selection)})


def delete_one_series(ctx: Context) -> Response:
    """The series the path names, and its points (docs/protocol.md §6.19); 403 when there is none."""
    series = ctx.series()
    return json_response({"deleted": ctx.store.delete_series(ctx.database, SeriesFilter(ids=(series.id,)))})


def _metadata(body: dict[str, Any], series: SeriesRecord) -> None:
    """Copy the name, tags and attributes the body gives onto ``series``."""
    name = body.get("name")
    if name is not None:
        if not isinstance(name, str):
            fail(400, f'"name" must be a string, not {describe(name)}')
        series.name = name
    tags = body.get("tags")
    if tags is not None:
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            fail(400, f'"tags" must be a list of strings, not {describe(tags)}')
        series.tags = list(dict.fromkeys(tags))
    attributes = body.get("attributes")
    if attributes is not None:
        if not isinstance(attributes, dict) or not all(isinstance(v, str) for v in attributes.values()):
            fail(400, f'"attributes" must be an object of string values, not {describe(attributes)}')
        series.attributes = dict(attributes)
