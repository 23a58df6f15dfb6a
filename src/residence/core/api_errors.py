"""The one place that turns any error of the API into API.md's error body."""

import math

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError, Forbidden, NotFound, error_body, flatten_fields
from .parsers import DESCRIBED


def domain_response(exc: DomainError) -> Response:
    response = Response(error_body(exc.code, exc.message, exc.fields, **exc.extra), status=exc.status)
    if exc.retry_after is not None:
        response["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return response


def exception_handler(exc, context):
    response = _response(exc, context)
    if response is not None and response.status_code == 403:
        from residence.audit.services import access_refused  # the audit app builds on core

        access_refused(context["request"])
    return response


def _response(exc, context):
    if isinstance(exc, DomainError):
        return domain_response(exc)
    if isinstance(exc, DjangoValidationError):
        exc = drf.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        return domain_response(NotFound())
    if isinstance(exc, PermissionDenied):
        return domain_response(Forbidden())
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf.ParseError):
        described = exc.get_codes() == DESCRIBED
        body = error_body("parse_error", str(exc.detail) if described else _("The request body is not valid JSON."))
    elif isinstance(exc, drf.ValidationError):
        body = error_body("invalid", _("Some fields are not valid."), flatten_fields(exc.detail))
    elif isinstance(exc, drf.NotAuthenticated):
        body = error_body("not_authenticated", _("Please sign in first."))
    elif isinstance(exc, drf.AuthenticationFailed):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "not_authenticated"
        body = error_body(code, exc.detail)
    elif isinstance(exc, drf.PermissionDenied):
        body = error_body("permission_denied", _("You do not have permission to do this."))
    elif isinstance(exc, drf.NotFound):
        body = error_body("not_found", _("Not found."))
    elif isinstance(exc, drf.Throttled):
        body = error_body("rate_limited", _("Too many requests. Please try again later."))
    elif isinstance(exc, drf.UnsupportedMediaType):
        view = context.get("view")
        types = sorted({parser.media_type for parser in getattr(view, "parser_classes", ())}) or ["application/json"]
        # API.md's table has no 415: a body that is not of the type the endpoint reads is one it
        # cannot parse (400 parse_error), and the message names the type to send.
        body = error_body("parse_error", _("Send the body as %(types)s.") % {"types": " or ".join(types)})
        response.status_code = 400
    elif isinstance(exc, drf.MethodNotAllowed):
        body = error_body("method_not_allowed", _("This method is not allowed here."))
    else:
        body = error_body(getattr(exc, "default_code", "error"), str(getattr(exc, "detail", exc)))
    response.data = body
    return response
