"""Series metadata endpoints (docs/protocol.md §6.1-6.5, 6.19) and tenant isolation, through Engine.handle."""

from __future__ import annotations

import re
from typing import Any

from tempodb.server import Engine, open_engine


def test_create_with_key_and_without(api: Any) -> None:
    created = api.ok("POST", "/v1/series/", {"key": "therm1.temp"})
    assert list(created) == ["id", "key", "name", "tags", "attributes"]
    assert re.fullmatch(r"[0-9a-f]{32}", created["id"])
    assert created["key"] == "therm1.temp" and created["name"] == "" and created["tags"] == [] and created["attributes"] == {}
    for body in ({}, {"key": ""}, {"key": None}, None):
        generated = api.ok("POST", "/v1/series/", body)
        assert generated["key"] == generated["id"]


def test_create_accepts_metadata_and_rejects_bad_types(api: Any) -> None:
    s = api.ok("POST", "/v1/series/", {"key": "m", "name": "N", "tags": ["a", "b"], "attributes": {"x": "1"}})
    assert (s["name"], s["tags"], s["attributes"]) == ("N", ["a", "b"], {"x": "1"})
    for bad in ({"key": 5}, {"key": "k", "tags": "a"}, {"key": "k", "attributes": {"x": 1}}, {"key": "a\nb"}, [1]):
        response = api("POST", "/v1/series/", bad)
        assert response.status_code == 400 and response.text


def test_create_duplicate_key_is_409_with_text(api: Any) -> None:
    api.ok("POST", "/v1/series/", {"key": "key3"})
    response = api("POST", "/v1/series/", {"key": "key3"})
    assert response.status_code == 409
    assert response.text.startswith("Unique constraint violated, key key3 and database id")


def test_list_sorted_by_key_and_filters(api: Any) -> None:
    a = api.ok("POST", "/v1/series/", {"key": "b", "tags": ["t1", "t2"], "attributes": {"room": "1", "kind": "x"}})
    b = api.ok("POST", "/v1/series/", {"key": "a", "tags": ["t1"], "attributes": {"room": "2"}})
    c = api.ok("POST", "/v1/series/", {"key": "c d", "tags": [], "attributes": {"room": "1"}})
    assert [s["key"] for s in api.ok("GET", "/v1/series/")] == ["a", "b", "c d"]

    def keys(query: str) -> list[str]:
        return [s["key"] for s in api.ok("GET", "/v1/series/?" + query)]

    assert keys(f"id={a['id']}&id={c['id']}") == ["b", "c d"]
    assert keys("key=a&key=c+d") == ["a", "c d"]
    assert keys("key=a&key=c%20d&key=missing") == ["a", "c d"]
    assert keys("tag=t1") == ["a", "b"]
    assert keys("tag=t1&tag=t2") == ["b"]
    assert keys("attr[room]=1") == ["b", "c d"]
    assert keys("attr%5Broom%5D=1&attr%5Bkind%5D=x") == ["b"]
    assert keys(f"id={b['id']}&tag=t2") == []
    assert keys("key=a&key=b&tag=t2") == ["b"]
    assert keys("id=nope") == []


def test_get_one_by_id_and_key(api: Any) -> None:
    s = api.ok("POST", "/v1/series/", {"key": "ke:y/1"})
    assert api.ok("GET", f"/v1/series/id/{s['id']}/") == s
    assert api.ok("GET", "/v1/series/key/ke%3Ay%2F1/") == s
    assert api.ok("GET", "/v1/series/key/ke%3Ay%2F1") == s
    assert api("GET", "/v1/series/key/missing/").status_code == 403
    assert api("GET", "/v1/series/id/0123/").status_code == 403


def test_update_replaces_given_fields_only(api: Any) -> None:
    s = api.ok("POST", "/v1/series/", {"key": "key2", "tags": ["x"], "attributes": {"a": "1"}})
    body = {**s, "key": "ignored", "name": "my_series"}
    updated = api.ok("PUT", f"/v1/series/id/{s['id']}/", body)
    assert updated == {**s, "name": "my_series"}
    updated = api.ok("PUT", f"/v1/series/id/{s['id']}/", {"tags": ["y", "z"]})
    assert updated["tags"] == ["y", "z"] and updated["attributes"] == {"a": "1"} and updated["name"] == "my_series"
    updated = api.ok("PUT", "/v1/series/key/key2/", {"attributes": {}})
    assert updated["attributes"] == {}
    assert api.ok("GET", "/v1/series/key/key2/") == updated
    assert api("PUT", "/v1/series/id/unknown/", body).status_code == 403
    assert api("PUT", f"/v1/series/id/{s['id']}/", {"tags": [1]}).status_code == 400
    assert api("PUT", f"/v1/series/id/{s['id']}/", [1]).status_code == 400


def test_delete_series_rules(api: Any) -> None:
    for key in ("a", "b", "c"):
        api.ok("POST", "/v1/series/", {"key": key, "tags": ["even"] if key != "b" else []})
    api.ok("POST", "/v1/series/key/a/data/", [{"t": "2012-01-01T00:00:00Z", "v": 1}])
    assert api("DELETE", "/v1/series/").status_code == 400
    assert api("DELETE", "/v1/series/?allow_truncation=false").status_code == 400
    assert api("DELETE", "/v1/series/?allow_truncation=maybe").status_code == 400
    assert api.ok("DELETE", "/v1/series/?key=b&allow_truncation=false") == {"deleted": 1}
    assert api.ok("DELETE", "/v1/series/?key=b") == {"deleted": 0}
    assert api.ok("DELETE", "/v1/series/?tag=even&allow_truncation=true") == {"deleted": 2}
    assert api.ok("GET", "/v1/series/") == []
    # Re-creating a deleted key gives a fresh series without the old data.
    api.ok("POST", "/v1/series/", {"key": "a"})
    data = api.ok("GET", "/v1/series/key/a/data/?start=2012-01-01&end=2012-01-02")
    assert data["data"] == [] and data["summary"] == {}
    api.ok("POST", "/v1/series/", {"key": "z"})
    assert api.ok("DELETE", "/v1/series/?allow_truncation=TRUE") == {"deleted": 2}


def test_databases_are_isolated(engine: Engine, caller: Any) -> None:
    one, two = caller(engine, "one", "s1"), caller(engine, "two", "s2")
    s = one.ok("POST", "/v1/series/", {"key": "shared", "tags": ["t"], "attributes": {"a": "b"}})
    one.ok("POST", "/v1/series/key/shared/data/", [{"t": "2012-01-01T00:00:00Z", "v": 1}])
    assert two.ok("GET", "/v1/series/") == []
    assert two.ok("GET", "/v1/series/?tag=t") == []
    assert two.ok("GET", "/v1/series/?attr[a]=b") == []
    assert two.ok("GET", f"/v1/series/?id={s['id']}") == []
    assert two("GET", f"/v1/series/id/{s['id']}/").status_code == 403
    assert two("GET", f"/v1/series/id/{s['id']}/data/?start=2012-01-01&end=2012-01-02").status_code == 403
    assert two("POST", f"/v1/series/id/{s['id']}/data/", [{"t": "2012-01-01T00:00:00Z", "v": 5}]).status_code == 403
    assert two("DELETE", f"/v1/series/id/{s['id']}/data/?start=2012-01-01&end=2012-01-02").status_code == 403
    assert two.ok("GET", "/v1/data/?start=2012-01-01&end=2012-01-02") == []
    assert two.ok("GET", "/v1/single/?ts=2012-01-01T00:00:00Z") == []
    # The same key in another database is another series.
    other = two.ok("POST", "/v1/series/", {"key": "shared"})
    assert other["id"] != s["id"]
    assert two.ok("GET", "/v1/series/key/shared/data/?start=2012-01-01&end=2012-01-02")["data"] == []
    assert two.ok("DELETE", "/v1/series/?allow_truncation=true") == {"deleted": 1}
    assert [x["key"] for x in one.ok("GET", "/v1/series/")] == ["shared"]


def test_store_persists(durable_target: str, caller: Any) -> None:
    path = durable_target
    first = open_engine(path)
    caller(first).ok("POST", "/v1/series/key/k/data/", [{"t": "2012-01-01T00:00:00Z", "v": 1.0}, {"t": "2012-01-01T00:01:00Z", "v": 2}])
    first.close()
    second = open_engine(path)
    data = caller(second).ok("GET", "/v1/series/key/k/data/?start=2012-01-01&end=2012-01-02")
    second.close()
    assert data["data"] == [{"t": "2012-01-01T00:00:00.000Z", "v": 1.0}, {"t": "2012-01-01T00:01:00.000Z", "v": 2}]


def test_delete_one_series_by_id_or_key(api: Any) -> None:
    # docs/protocol.md §6.19: the call the 2014 Java client makes; its points go with it.
    kept = api.ok("POST", "/v1/series/", {"key": "kept"})
    for by in ("id", "key"):
        made = api.ok("POST", "/v1/series/", {"key": f"gone/{by}"})
        api.ok("POST", f"/v1/series/id/{made['id']}/data/", [{"t": "2012-01-01T00:00:00Z", "v": 1}])
        ref = made["id"] if by == "id" else "gone%2F" + by
        assert api.ok("DELETE", f"/v1/series/{by}/{ref}/") == {"deleted": 1}
        assert api("GET", f"/v1/series/{by}/{ref}/").status_code == 403
        assert api("DELETE", f"/v1/series/{by}/{ref}/").status_code == 403  # nothing left to delete
    assert [s["id"] for s in api.ok("GET", "/v1/series/")] == [kept["id"]]
    api.ok("POST", "/v1/series/key/gone%2Fkey/data/", [{"t": "2012-01-01T00:00:00Z", "v": 5}])
    assert api.ok("GET", "/v1/series/key/gone%2Fkey/data/?start=2012-01-01&end=2012-01-02")["data"] == [
        {"t": "2012-01-01T00:00:00.000Z", "v": 5}
    ]  # a series made again under the key starts empty


def test_a_path_under_a_series_that_names_no_endpoint_is_404_with_a_message(api: Any) -> None:
    api.ok("POST", "/v1/series/", {"key": "k1"})
    for target in ("/v1/series/key/k1/segment/", "/v1/series/key/k1/find/", "/v1/series/id/x/data/rollups/segment/"):
        response = api("GET", target)
        assert response.status_code == 404 and "no such endpoint" in response.text, target


def test_the_server_refuses_the_keys_the_client_refuses(api: Any) -> None:
    # One key rule (tempodb/_wire/keys.py): C1 controls and DEL included, in paths and bodies alike.
    for key in ("a\x85b", "a\x7fb", "a\nb"):
        assert api("POST", "/v1/series/", {"key": key}).status_code == 400
        escaped = "".join(f"%{b:02X}" for b in key.encode())
        response = api("POST", f"/v1/series/key/{escaped}/data/", [{"t": "2012-01-01T00:00:00Z", "v": 1}])
        assert response.status_code == 400 and "control character" in response.text
        multi = api("POST", "/v1/multi/", [{"t": "2012-01-01T00:00:00Z", "key": key, "v": 1}])
        assert multi.status_code == 207
    assert api.ok("GET", "/v1/series/") == []
