"""The API contract: OpenAPI 3 schema, offline docs, campaign endpoints."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework import serializers

from config.schema import ANY_TEXT, NOT_BLANK
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

CONTRACT = [
    "/api/v1/campaigns/",
    "/api/v1/campaigns/{slug}/",
    "/api/v1/campaigns/{slug}/entries/",
    "/api/v1/me/entries/",
    "/api/v1/entries/{entry_id}/",
    "/api/v1/brands/{brand}/queue/",
    "/api/v1/brands/{brand}/queue/claim/",
    "/api/v1/entries/{entry_id}/decision/",
    "/api/v1/entries/{entry_id}/shortlist/",
    "/api/v1/campaigns/{slug}/features/publish/",
    "/api/v1/campaigns/{slug}/featured/",
]


def test_schema_is_valid_openapi_3_without_warnings(tmp_path: Any) -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))


def test_schema_lists_every_contract_path(client: Any) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in CONTRACT:
        assert path in schema["paths"], path


def test_interactive_docs_load_their_assets_from_fanfare_itself(client: Any) -> None:
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html
    assert "unpkg.com" not in html


def test_campaign_list_shows_only_open_campaigns(client: Any, brand: Any) -> None:
    CampaignFactory.create(brand=brand, slug="open-now")
    CampaignFactory.create(brand=brand, slug="later", opens_at=timezone.now() + dt.timedelta(days=3))
    CampaignFactory.create(
        brand=brand,
        slug="over",
        opens_at=timezone.now() - dt.timedelta(days=9),
        closes_at=timezone.now() - dt.timedelta(days=1),
    )
    slugs = [c["slug"] for c in client.get("/api/v1/campaigns/").json()["results"]]
    assert slugs == ["open-now"]


def test_campaign_detail_has_guidelines_and_terms_version(client: Any, campaign: Any) -> None:
    body = client.get("/api/v1/campaigns/movement-monday/").json()
    assert body["hashtag"] == "#MovementMonday"
    assert [g["code"] for g in body["guidelines"]] == ["own-work", "song", "safe", "no-ads"]
    assert body["consent_version"] == 1
    assert body["is_open"] is True


def test_unknown_campaign_is_404(client: Any) -> None:
    assert client.get("/api/v1/campaigns/nope/").status_code == 404


def test_a_limit_within_bounds_pages(client: Any, brand: Any) -> None:
    CampaignFactory.create(brand=brand, slug="open-now")
    CampaignFactory.create(brand=brand, slug="open-too")
    response = client.get("/api/v1/campaigns/", {"limit": "200", "offset": "1"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1
    assert "limit=200" in response.json()["previous"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("limit", "100000000000000000000"),
        ("limit", "201"),
        ("limit", "0"),
        ("limit", "abc"),
        ("limit", "-1"),
        ("offset", "null"),
        ("offset", "1000001"),
        ("offset", "100000000000000000000"),
        ("offset", ""),
        ("offset", "1.5"),
    ],
)
def test_a_limit_or_offset_out_of_bounds_is_a_400_naming_it(client: Any, name: str, value: str) -> None:
    response = client.get("/api/v1/campaigns/", {name: value})
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [name, "detail"]
    assert "whole number" in body[name][0]
    assert body["detail"].startswith(name.capitalize())


def test_schema_states_the_pagination_bounds(client: Any) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/campaigns/"]["get"]["parameters"]}
    assert params["limit"] == {"type": "integer", "minimum": 1, "maximum": 200}
    assert params["offset"] == {"type": "integer", "minimum": 0, "maximum": 1_000_000}


# --- Errors are part of the contract ----------------------------------------------------------
def _schema(client: Any) -> dict[str, Any]:
    schema: dict[str, Any] = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    return schema


def test_every_operation_documents_its_errors_with_the_error_shape(client: Any) -> None:
    schema = _schema(client)
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["detail"]
    assert error["additionalProperties"] == {"type": "array", "items": {"type": "string"}}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            errors = [code for code in responses if code >= "400"]
            assert "503" in errors, (method, path)
            for code in errors:
                assert responses[code]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }, (method, path, code)
            if "{" in path:
                assert "404" in responses, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "415"} <= set(responses), (method, path)
            if operation.get("security") and {} not in operation["security"]:
                assert {"401", "403"} <= set(responses), (method, path)


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("post", "/api/v1/entries/{entry_id}/decision/", "409"),
        ("post", "/api/v1/entries/{entry_id}/shortlist/", "409"),
        ("post", "/api/v1/uploads/{slot_id}/complete/", "409"),
        ("post", "/api/v1/uploads/{slot_id}/file/", "409"),
        ("post", "/api/v1/campaigns/{slug}/features/publish/", "409"),
        ("post", "/api/v1/auth/token/", "429"),
        ("post", "/api/v1/campaigns/{slug}/uploads/", "429"),
        ("get", "/api/v1/campaigns/", "400"),
    ],
)
def test_operations_document_the_statuses_their_services_answer(client: Any, method: str, path: str, code: str) -> None:
    assert code in _schema(client)["paths"][path][method]["responses"]


def test_the_public_featured_document_documents_no_auth_errors(client: Any) -> None:
    responses = _schema(client)["paths"]["/api/v1/campaigns/{slug}/featured/"]["get"]["responses"]
    assert "401" not in responses
    assert "403" not in responses


def test_request_schemas_state_the_server_rules(client: Any) -> None:
    components = _schema(client)["components"]["schemas"]
    entry = components["EntryIn"]
    assert set(entry["required"]) == {"file", "alt_text", "consent"}
    assert entry["properties"]["file"]["format"] == "binary"
    assert entry["properties"]["caption"]["maxLength"] == 2200
    assert entry["properties"]["alt_text"]["maxLength"] == 500
    assert entry["properties"]["alt_text"]["minLength"] == 1
    consent = components["UploadCompleteIn"]["properties"]["consent"]["allOf"][0]["$ref"].rsplit("/", 1)[-1]
    assert components[consent]["enum"] == [True]
    file_only = _schema(client)["paths"]["/api/v1/uploads/{slot_id}/file/"]["post"]["requestBody"]
    assert file_only["content"]["multipart/form-data"]["schema"] == {"$ref": "#/components/schemas/UploadFileIn"}
    assert components["UploadFileIn"]["required"] == ["file"]
    slot = components["UploadSlotIn"]["properties"]
    assert slot["size"]["minimum"] == 1
    assert "image/jpeg" in components[slot["content_type"]["allOf"][0]["$ref"].rsplit("/", 1)[-1]]["enum"]


@pytest.mark.parametrize(
    ("text", "allowed_blank", "valid"),
    [
        ("", True, True),
        ("a", True, True),
        ("a\x00", True, False),
        ("", False, False),
        ("   ", False, False),
        (" a ", False, True),
        ("\x00a", False, False),
    ],
)
def test_the_text_patterns_match_what_drf_accepts(text: str, allowed_blank: bool, valid: bool) -> None:
    pattern = ANY_TEXT if allowed_blank else NOT_BLANK
    assert bool(re.search(pattern, text)) is valid
    field = serializers.CharField(allow_blank=allowed_blank)
    try:
        field.run_validation(text)
        accepted = True
    except serializers.ValidationError:
        accepted = False
    assert accepted is valid


def test_the_schema_is_generated_by_one_thread_at_a_time(monkeypatch: Any) -> None:
    import threading
    import time

    from django.test import Client
    from drf_spectacular.generators import SchemaGenerator

    inside, most = [0], [0]
    real = SchemaGenerator.get_schema

    def slow(self: Any, *args: Any, **kwargs: Any) -> Any:
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        time.sleep(0.2)
        inside[0] -= 1
        return real(self, *args, **kwargs)  # type: ignore[no-untyped-call]  # drf-spectacular is unannotated

    monkeypatch.setattr(SchemaGenerator, "get_schema", slow)
    codes: list[int] = []

    def fetch() -> None:
        codes.append(Client().get("/api/schema/").status_code)

    threads = [threading.Thread(target=fetch) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200, 200, 200]
    assert most[0] == 1
