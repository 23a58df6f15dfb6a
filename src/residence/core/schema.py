"""What the served OpenAPI schema says beyond what drf-spectacular reads from the views: the two
ways in (API.md § Auth), the error envelope every operation may answer, and bodies whose content
the services check. Loaded by `CoreConfig.ready`; `manage.py spectacular --fail-on-warn` runs in
the tests, so a view the schema cannot describe fails the suite."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "residence.accounts.authentication.BearerTokenAuthentication"
    match_subclasses = True
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer <token>` from a login"}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "residence.records.api.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Authorization: Api-Key <key>`: a department system, on `/api/v1/exchange/*` only",
        }


class ServiceCheckedBody(OpenApiSerializerExtension):
    """A body serializer whose fields are optional to DRF, so that the service lists every problem
    at once (RULES §4), shows the fields API.md requires as required."""

    target_class = "residence.core.serializers.ServiceChecked"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["required"] = list(self.target.schema_required)
        cls = self.target if isinstance(self.target, type) else type(self.target)
        if "__doc__" not in vars(cls) or not cls.__doc__:
            schema.pop("description", None)  # ServiceChecked's own, about validation, not the body
        for name in schema["required"]:
            # The lenient field's default and bound on size are not the API's: the service's are,
            # and a required text is not blank.
            field = schema["properties"].get(name, {})
            for key in ("default", "maxLength"):
                field.pop(key, None)
            if field.get("type") == "string":
                field["minLength"] = 1
        return schema


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "API.md's error codes, e.g. invalid, conflict"},
                "message": {"type": "string", "description": "in the language of Accept-Language"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "field path (dotted for nested ones) → its problems",
                },
                # What some errors add, for a client to act on (a generated client dropped them:
                # an outsider). Each appears only with the errors named.
                "tries_left": {
                    "type": "integer",
                    "description": "invalid_code, name_mismatch: the tries the code or the day still allows",
                },
                "reference": {"type": "string", "description": "open_application: the open application's reference"},
                "status": {"type": "string", "description": "conflict of a workflow move: the object's status now"},
                "window": {
                    "type": ["object", "null"],
                    "properties": {
                        "opens": {"type": "string", "format": "date"},
                        "closes": {"type": "string", "format": "date"},
                    },
                    "description": "conflict of an endorsement outside its window: the next window, null if none",
                },
                "permit": {
                    "type": "string",
                    "description": "conflict of a suspended or cancelled permit's card: its number",
                },
                "line": {"type": "integer", "description": "conflict of a bulk file: the line that went stale"},
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}


def error_responses(result, generator, request, public):
    """Every operation's other answers are API.md's error envelope (`default`), as served."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            operation.setdefault("responses", {}).setdefault(
                "default",
                {
                    "description": "an error: 4xx with API.md's envelope",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            )
    return result


def defaults_within_enums(result, generator, request, public):
    """A text field checked by its service defaults to "" (not sent), which its enum does not hold:
    a default outside the enum made the served document invalid OpenAPI (an outsider's validator
    refused to load it). The default is dropped from the schema; the field stays optional."""
    schemas = result.get("components", {}).get("schemas", {})
    for component in schemas.values():
        for prop in component.get("properties", {}).values():
            refs = [part.get("$ref", "") for part in prop.get("allOf", [])]
            enums = [schemas.get(ref.rsplit("/", 1)[-1], {}).get("enum") for ref in refs]
            if "default" in prop and any(enum is not None and prop["default"] not in enum for enum in enums):
                del prop["default"]
    return result
