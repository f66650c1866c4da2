"""Property-based requests from the service's own OpenAPI schema (schemathesis): valid or not,
none may get a 5xx. Bad input gets a 4xx naming the field; the models, rules and stores answer
whatever else (CONTRACT §3). Champions trained on the small world are loaded, so the model path
is fuzzed too; reference updates land in a copy of the world.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from serving.app import build_services, create_app
from tests.conftest import service_settings

KEY = "fuzz-key"


@pytest.fixture(scope="module")
def api_schema(small_world: Path, trained_settings, tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("fuzz")
    config = service_settings(small_world, home, f"fuzz={KEY}", trained_settings.mlflow_uri)
    app = create_app(config, build_services(config))
    with TestClient(app):  # start-up and shutdown as in production
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_no_generated_request_gets_a_server_error(api_schema, mode: GenerationMode) -> None:
    """Every operation, with bodies, paths and queries that fit the schema (positive) and that
    break it (negative). Driven by Hypothesis directly: schemathesis' pytest plugin does not
    run under pytest 9."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    exercised = 0
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def call(case) -> None:
            case.call_and_validate(headers={"X-API-Key": KEY}, checks=[not_a_server_error])

        try:
            call()
            exercised += 1
        except Unsatisfiable:  # no input to break (GET /healthz): nothing negative to send
            assert mode is GenerationMode.NEGATIVE, operation.label
    assert exercised >= 12
