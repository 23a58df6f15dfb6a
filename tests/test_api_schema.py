"""The served OpenAPI schema says what the server answers: an outsider generating a client from it
found lists typed as one object, nulls the schema called impossible, no way to sign in and no
error bodies. Generation must give no warning (a view it cannot describe) and a valid document."""

import json

import pytest
from django.core.management import call_command
from django.test import Client


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--fail-on-warn", "--validate", "--file", str(path))
    return json.loads(path.read_text())


def _response(schema, path, method, code="200"):
    return schema["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"]


def _component(schema, ref):
    ref = ref.get("$ref") or ref["allOf"][0]["$ref"]  # allOf: a reference with its own description
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_lists_are_arrays_and_objects_have_the_fields_answered(schema):
    for path in (
        "/api/v1/registrations/declarations",
        "/api/v1/registrations/houses",
        "/api/v1/organisations/sub-accounts",
    ):
        assert _response(schema, path, "get")["type"] == "array", path
    created = _component(schema, _response(schema, "/api/v1/organisations/sub-accounts", "post", "201"))
    assert set(created["properties"]) == {"id", "username", "kind", "active", "houses"}
    verified = _component(schema, _response(schema, "/api/v1/auth/sms-verify", "post"))
    assert set(verified["properties"]) == {"token", "phone_masked"} and not verified.get("required")
    challenge = _component(schema, _response(schema, "/api/v1/me/phone", "put", "202"))
    assert set(challenge["properties"]) == {"challenge", "phone_masked"}


def _may_be_null(prop) -> bool:
    """OpenAPI 3.1's null: in the type's list, or one of the schemas (3.0's `nullable` beside an
    `allOf` reference read as never null to strict validators: an outsider's openapi-core)."""
    types = prop.get("type", [])
    return "null" in (types if isinstance(types, list) else [types]) or {"type": "null"} in prop.get("oneOf", [])


def test_what_api_md_says_may_be_null_is_nullable(schema):
    assert schema["openapi"] == "3.1.0"
    application = schema["components"]["schemas"]["Application"]["properties"]
    assert _may_be_null(application["decision"]) and _may_be_null(application["written_reply"])
    assert application["decision"]["oneOf"][0]["$ref"].endswith("/Decision")
    queue = _component(schema, _response(schema, "/api/v1/staff/queue", "get"))
    assert _may_be_null(queue["properties"]["next"])
    receipt = _component(schema, _response(schema, "/api/v1/receipts/{reference}/verify", "get"))
    assert _may_be_null(receipt["properties"]["kind"]) and _may_be_null(receipt["properties"]["status"])
    me = schema["components"]["schemas"]["Me"]["properties"]
    assert _may_be_null(me["person"]) and not _may_be_null(me["username"])


def test_the_two_ways_in_and_the_error_envelope(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearerAuth"]["description"],
    }
    assert schemes["apiKeyAuth"]["in"] == "header" and schemes["apiKeyAuth"]["name"] == "Authorization"
    assert schema["paths"]["/api/v1/me"]["get"]["security"] == [{"bearerAuth": []}]
    assert schema["paths"]["/api/v1/applications/{id}"]["get"]["security"] == [{"bearerAuth": []}]
    assert schema["paths"]["/api/v1/exchange/{kind}"]["post"]["security"] == [{"apiKeyAuth": []}]
    error = schema["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message", "fields"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation["responses"]["default"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }, (method, path)
    receipt = schema["paths"]["/api/v1/applications/{id}/receipt"]["get"]["responses"]["200"]["content"]
    assert receipt["application/pdf"]["schema"] == {"type": "string", "format": "binary"}


def test_bodies_the_service_checks_show_api_mds_required_fields(schema):
    house = schema["components"]["schemas"]["HouseBodyRequest"]
    assert house["required"] == ["street", "building_code", "building_name", "room", "address", "housing_type"]
    assert all(house["properties"][name]["minLength"] == 1 for name in house["required"])
    declaration = schema["components"]["schemas"]["DeclarationBodyRequest"]
    assert declaration["required"] == ["house", "kind", "person", "date"]


def test_what_the_server_refuses_the_schema_does_not_allow(schema):
    """Outsider V's schemathesis found schema-valid requests answered 400: page 0, add 0, blank texts."""
    page = next(p for p in schema["paths"]["/api/v1/registrations/houses"]["get"]["parameters"] if p["name"] == "page")
    assert (page["schema"]["minimum"], page["schema"]["maximum"]) == (1, 9999)  # as the 400 says
    add = next(p for p in schema["paths"]["/api/v1/working-days"]["get"]["parameters"] if p["name"] == "add")
    assert (add["schema"]["minimum"], add["schema"]["maximum"]) == (1, 3650)
    assert schema["components"]["schemas"]["ReturnRequest"]["properties"]["reason"]["minLength"] == 1
    # Answers may carry empty texts (a history note): no minLength there.
    history = schema["components"]["schemas"]["HistoryEntry"]["properties"]["note"]
    assert "minLength" not in history


@pytest.mark.django_db
def test_an_error_answer_matches_the_schemas_envelope(schema):
    answer = Client().get("/api/v1/me").json()
    envelope = schema["components"]["schemas"]["Error"]["properties"]["error"]
    assert set(answer) == {"error"} and set(envelope["required"]) <= set(answer["error"])


@pytest.mark.django_db
def test_what_an_error_adds_is_in_the_schema(schema):
    """A client generated from the schema dropped `tries_left`, the open application's `reference`
    and the next `window` (an outsider): every key an error may add is described."""
    from .conftest import PASSWORD, Api, make_user

    make_user()
    started = Api().post("/api/v1/auth/login", {"username": "citizen1", "password": PASSWORD}).json()
    wrong = Api().post("/api/v1/auth/sms-verify", {"challenge": started["challenge"], "code": "000000"}).json()["error"]
    envelope = schema["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
    assert wrong["tries_left"] == 4 and envelope["tries_left"]["type"] == "integer"
    assert set(wrong) <= set(envelope)
    # And the keys the services add to their errors, as they name them.
    assert {"tries_left", "reference", "status", "window", "permit", "line"} <= set(envelope)


def test_api_mds_slugs_are_enums(schema):
    # An outsider's generated client had every status as a free string: "awaiting_payment" was
    # nowhere in the schema.
    components = schema["components"]["schemas"]
    application = components["Application"]["properties"]

    def enum(prop):
        ref = prop["$ref"] if "$ref" in prop else prop["oneOf"][0]["$ref"]  # a nullable one: or null
        return components[ref.rsplit("/", 1)[1]]["enum"]

    assert enum(application["status"]) == [
        *("accepted", "verifying", "reviewing", "awaiting_payment", "approved", "in_production", "dispatched"),
        *("ready_for_pickup", "out_for_delivery", "completed", "rejected", "withdrawn", "terminated"),
    ]
    assert enum(application["payment_status"]) == ["not_required", "awaiting", "paid", "expired"]
    assert enum(application["kind"]) == ["first", "conversion", "exchange", "replacement", "reapply"]
    verification = _component(schema, application["verifications"]["items"])["properties"]
    assert enum(verification["status"]) == ["pending", "confirmed", "not_confirmed"]
    assert enum(verification["department"]) == ["police", "social_insurance", "education", "talent"]
    permit = _component(schema, _response(schema, "/api/v1/permits", "get")["items"])["properties"]
    assert enum(permit["status"]) == ["active", "suspended", "cancelled"]
    declaration = components["Declaration"]["properties"]
    assert enum(declaration["kind"]) == ["move_in", "move_out"]
    assert {"recorded", "pending"} <= set(enum(declaration["status"]))
    assert "tenant" in enum(declaration["declarant_type"]) and "rented" in enum(
        components["House"]["properties"]["housing_type"]
    )
    # The request bodies list the same sets (a generated client had bare strings: an outsider),
    # one enum component each with the answers'.
    body = components["ApplicationBodyRequest"]["properties"]
    assert body["kind"]["allOf"] == [{"$ref": application["kind"]["$ref"]}]
    assert components[body["route"]["allOf"][0]["$ref"].rsplit("/", 1)[1]]["enum"] == [
        "residence_employment",
        "talent",
        "education",
    ]
    declared = components["DeclarationBodyRequest"]["properties"]
    assert declared["kind"]["allOf"] == [{"$ref": declaration["kind"]["$ref"]}]
    assert "tenant" in enum(declared["declarant_type"]["allOf"][0])


def test_each_list_says_its_own_page_size(schema):
    # The schema said 500 items a page for the applications (50) and the messages (100).
    from residence.accounts.api import MESSAGES_PAGE
    from residence.applications.api import LIST_PAGE

    def page_of(path):
        [page] = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "page"]
        return page["description"]

    assert f"{LIST_PAGE} items a page" in page_of("/api/v1/applications")
    assert f"{MESSAGES_PAGE} items a page" in page_of("/api/v1/me/messages")
    assert "500 items a page" in page_of("/api/v1/registrations/declarations")


@pytest.mark.django_db
def test_an_exchange_body_refused_whole_matches_its_schema(schema):
    """A body that is no array is refused whole, with no `rows`: the schema required them (an outsider)."""
    from .test_exchange import key_for, push

    answer = push(Client(), key_for("social_insurance"), "social_insurance", json.dumps({"a": 1}), "application/json")
    rejection = schema["components"]["schemas"]["ExchangeRejection"]
    assert answer.status_code == 400 and "rows" not in answer.json()["error"]
    assert set(rejection["required"]) <= set(answer.json()["error"])


def _untyped(node, path=""):
    """Every property or item of `node` the schema says nothing about (`{}`: any JSON value)."""
    if not isinstance(node, dict):
        return []
    found = []
    for name, prop in node.get("properties", {}).items():
        found += [f"{path}.{name}"] if prop == {} else _untyped(prop, f"{path}.{name}")
    if "items" in node:
        found += [f"{path}[]"] if node["items"] == {} else _untyped(node["items"], f"{path}[]")
    for key in ("oneOf", "anyOf", "allOf"):
        for i, part in enumerate(node.get(key, [])):
            found += _untyped(part, f"{path}.{key}{i}")
    return found


def test_every_field_has_a_type(schema):
    """A client generated from the schema could not learn a declaration's `house`, `person`,
    `occupation` and `reason`, a walk-in `declarant` or a sub-account's `houses` (an outsider)."""
    untyped = [p for name, component in schema["components"]["schemas"].items() for p in _untyped(component, name)]
    assert untyped == []
    components = schema["components"]["schemas"]
    declared = components["DeclarationBodyRequest"]["properties"]
    assert {"type": "integer"} in declared["house"]["oneOf"]
    tenant_house = next(part for part in declared["house"]["oneOf"] if part != {"type": "integer"})
    assert set(tenant_house["required"]) == {"street", "building_code", "room"}
    assert set(_component(schema, declared["person"])["properties"]) == {"name", "id_number", "phone"}
    assert (declared["occupation"]["minimum"], declared["occupation"]["maximum"]) == (1, 13)
    assert (declared["reason"]["minimum"], declared["reason"]["maximum"]) == (1, 14)
    walk_in = components["CounterDeclarationRequest"]["properties"]["declarant"]
    assert set(_component(schema, walk_in)["properties"]) == {"name", "id_number", "phone"}
    assert components["SubAccountBodyRequest"]["properties"]["houses"]["items"] == {"type": "integer"}


def _enum(schema, prop):
    ref = prop.get("$ref") or (prop.get("allOf") or prop.get("oneOf"))[0]["$ref"]
    return _component(schema, {"$ref": ref})["enum"]


def test_the_sets_api_md_names_are_enums(schema):
    components = schema["components"]["schemas"]

    def field(component, name):
        return components[component]["properties"][name]

    expected = {
        ("DeliveryRequest", "method"): ["pickup", "courier"],
        ("FamilyMemberRequest", "relation"): ["spouse", "child", "parent", "sibling", "other"],
        ("HouseBodyRequest", "housing_type"): ["rented", "owned", "managed", "dormitory", "hotel", "other"],
        ("PaymentRequest", "provider"): ["sandbox"],
        ("RevokeRequest", "reason"): ["shenzhen_hukou", "fraud", "other_law"],
        # API.md's two for a sign-up; a clerk's decline answers the same object disabled (an outsider).
        ("Account", "status"): ["active", "pending", "disabled"],
        ("Account", "kind"): ["individual", "organisation"],
        ("EndorsementAnswer", "outcome"): ["granted", "refused"],
        ("EligibilityCondition", "name"): ["identity", "residence", "employment", "talent", "education"],
        ("PaymentResult", "status"): ["paid"],
    }
    assert {key: _enum(schema, field(*key)) for key in expected} == expected
    assert set(_enum(schema, field("Me", "kind"))) == {"individual", "organisation", "staff", "sub_account"}
    routes = ["residence_employment", "talent", "education"]
    assert _enum(schema, field("QueueItem", "route")) == _enum(schema, field("EligibilityAnswer", "route")) == routes
    assert "awaiting_payment" in _enum(schema, field("QueueItem", "status"))
    assert "reapply" in _enum(schema, field("QueueItem", "kind"))
    assert "social_insurance" in _enum(schema, field("EndorsementCheck", "department"))
    # The objects /me carries, with their fields (a client had untyped maps: an outsider).
    assert set(_component(schema, field("Me", "point")["oneOf"][0])["properties"]) == {"code", "name"}
    assert set(_component(schema, field("Me", "organisation"))["properties"]) == {"name", "credit_code"}
    problems = field("ExchangeRejection", "fields")["additionalProperties"]
    assert problems == {"type": "array", "items": {"type": "string"}}


def test_a_revoked_permit_is_one_object(schema):
    answer = _response(schema, "/api/v1/staff/permits/{number}/revoke", "post")
    assert "properties" in _component(schema, answer) and "items" not in answer
    assert _response(schema, "/api/v1/permits", "get")["type"] == "array"


@pytest.mark.django_db
def test_a_declined_organisations_answer_is_in_the_schemas_enum(schema):
    """An outsider's decline answered `status: "disabled"`, which the schema's enum did not hold."""
    from residence.accounts.models import Kind

    from .applications import staff_apis
    from .conftest import make_user

    organisation = make_user(
        "org_declined", "13812340009", kind=Kind.ORGANISATION, name="某公司", credit_code="91440300MA5D4X7K8N"
    )
    clerk = staff_apis(["clerk"]).clerk
    answer = clerk.post(f"/api/v1/staff/organisations/{organisation.pk}/decline", {"reason": "材料不全"})
    assert answer.status_code == 200 and answer.json()["status"] == "disabled"
    enum = schema["components"]["schemas"]["AccountStatusEnum"]["enum"]
    assert answer.json()["status"] in enum and {"active", "pending"} <= set(enum)
