"""Schemathesis against the real server: generated requests for every operation of the OpenAPI
document (tempodb/_wire/openapi.py), sent over a socket to the session's open-mode server.

Checks on every answer: no 5xx, the status is one the document lists for the operation, the
Content-Type is the documented one and a JSON answer matches its schema.  Positive examples follow
the schemas; negative ones break them (wrong types, missing parameters, bad credentials), and must
still get a documented 4xx, never a 5xx.  Derandomized with bounded counts: the quick run sends
about 750 requests; the ``slow`` run sends ten times as many.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tempodb._wire.openapi import openapi_document
from tempodb.testing import ServerInfo

schemathesis = pytest.importorskip("schemathesis")
requests = pytest.importorskip("requests")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
DOCUMENT = openapi_document()
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}
#: Operations with nothing to break: no parameters, no body, no credentials.
NO_NEGATIVE = {"GET /openapi.json"}


@pytest.fixture
def session(tempodb_server: ServerInfo, tempodb_credentials: tuple[str, str]) -> Iterator[requests.Session]:
    with requests.Session() as http:
        http.auth = tempodb_credentials  # a fresh database for each test
        yield http


def base_url(server: ServerInfo) -> str:
    return f"http://{server.host}:{server.port}/v1"


def fuzz(operation: Any, mode: GenerationMode, examples: int, url: str, http: requests.Session) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call(base_url=url, session=http, timeout=30)
        case.validate_response(response, checks=CHECKS)

    run()


MODES = [
    pytest.param(GenerationMode.POSITIVE, id="positive"),
    pytest.param(GenerationMode.NEGATIVE, id="negative"),
]


#: Examples per operation: a quick run every day, a thorough one in CI (which runs slow tests).
EXAMPLES = [pytest.param(10, id="quick"), pytest.param(100, id="thorough", marks=pytest.mark.slow)]


@pytest.mark.parametrize("examples", EXAMPLES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_generated_requests_get_documented_answers(
    label: str, mode: GenerationMode, examples: int, tempodb_server: ServerInfo, session: requests.Session
) -> None:
    if mode is GenerationMode.NEGATIVE and label in NO_NEGATIVE:
        pytest.skip("nothing to break")
    fuzz(OPERATIONS[label], mode, examples, base_url(tempodb_server), session)


def test_every_operation_asks_for_credentials(tempodb_server: ServerInfo) -> None:
    """Without credentials every operation answers 401 with the challenge (the document is public)."""
    url = base_url(tempodb_server)
    with requests.Session() as http:
        for label, operation in OPERATIONS.items():
            if label in NO_NEGATIVE:
                continue
            path = operation.path.replace("{id}", "some-id").replace("{key}", "some-key")
            response = http.request(operation.method.upper(), url + path, timeout=10)
            assert response.status_code == 401, label
            assert response.headers["WWW-Authenticate"] == 'Basic realm="TempoDB"'


def test_undocumented_methods_answer_405_with_the_documented_ones(tempodb_server: ServerInfo) -> None:
    url = base_url(tempodb_server)
    with requests.Session() as http:
        for path, item in DOCUMENT["paths"].items():
            documented = {method.upper() for method in item}
            concrete = path.replace("{id}", "some-id").replace("{key}", "some-key")
            for method in {"GET", "POST", "PUT", "DELETE", "PATCH"} - documented:
                response = http.request(method, url + concrete, timeout=10)
                assert response.status_code == 405, (method, path)
                assert set(response.headers["Allow"].split(", ")) == documented, (method, path)
