"""The OpenAPI document of the API (drf-spectacular): ``/v1.0/openapi.json``,
with Swagger UI at ``/v1.0/docs`` and ReDoc at ``/v1.0/redoc``.

The API views are ViewSets that answer hand-built dicts (``wire.py``), so
their operations are described in this package and applied to the view
classes when it is imported (``api/urls.py`` does):
request bodies are the strict input serializers themselves, answers are
documentation-only serializers that mirror ``wire.py``, and every error is the
one envelope of ``errors.py``. ``components`` holds the shared pieces; ``core``,
``dialing`` and ``importing`` describe the operations of those view modules.
"""

import re

from csp.decorators import csp_replace
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

from ... import timestamps
from . import core, dialing, importing, suppression  # noqa: F401  (they describe the views)
from .components import ERROR_STATUSES  # noqa: F401  (ENUM_NAME_OVERRIDES)

# --- hooks (SPECTACULAR_SETTINGS) ----------------------------------------------

# ``{pk}`` after a nested collection: named for what it is, as SPEC §2 does.
_NESTED_PK = re.compile(r"/(?P<collection>[a-z]+)s/\{pk\}")


def documented_endpoints(endpoints, **kwargs):
    """Preprocessing: leave out the catch-all 404 routes; paths without the
    optional trailing slash; ``/outdials/{id}/targets/{target_id}`` and the
    like for the ``outdial_pk``/``pk`` of the URL patterns."""
    kept = []
    for path, path_regex, method, callback in endpoints:
        if "{path}" in path:
            continue
        if method == "OPTIONS":
            continue
        if "{outdial_pk}" in path:
            for match in _NESTED_PK.finditer(path):
                name = f"{match['collection']}_id"
                path = path.replace(match[0], f"/{match['collection']}s/{{{name}}}")
                path_regex = path_regex.replace("(?P<pk>", f"(?P<{name}>")
            path = path.replace("{outdial_pk}", "{id}")
            path_regex = path_regex.replace("(?P<outdial_pk>", "(?P<id>")
        if len(path) > 1:
            path = path.rstrip("/")
        kept.append((path, path_regex, method, callback))
    return kept


_SEED_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")

REQUEST_ID_HEADER = {
    "description": "The request's id, also in an error's `request_id`.",
    "schema": {"type": "string"},
}
RETRY_AFTER_HEADER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 1},
}


def finish_document(result, generator, request, public):
    """Postprocessing: the headers every answer carries, and the server."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                headers = response.setdefault("headers", {})
                headers["X-Request-ID"] = REQUEST_ID_HEADER
                if status == "429":
                    headers["Retry-After"] = RETRY_AFTER_HEADER
    result["servers"] = [{"url": "/", "description": "This server"}]
    if timestamps.mode() == timestamps.RFC3339:
        result = _examples_in_rfc3339(result)
    return result


def _examples_in_rfc3339(node, key: str = "") -> object:
    """The seed's times in the examples, as the rfc3339 mode writes them: a
    new document, since the examples' dicts are shared module constants."""
    if isinstance(node, dict):
        return {name: _examples_in_rfc3339(value, name) for name, value in node.items()}
    if isinstance(node, list):
        return [_examples_in_rfc3339(value, key) for value in node]
    if isinstance(node, str) and _SEED_TIME.fullmatch(node):
        if node == timestamps.SENTINEL:
            return None
        value = timestamps.parse_ts(node)
        if key == "next_page_token":
            return timestamps.format_token(value)
        return timestamps.format_rfc3339(value)
    return node


# --- the served document and its viewers (local files, no CDN) -----------------

document_view = SpectacularJSONAPIView.as_view()
swagger_view = SpectacularSwaggerView.as_view(
    url_name="openapi", template_name="api/swagger_ui.html"
)
# ReDoc styles itself with <style> elements it writes at run time and renders
# in a web worker, so its page alone allows inline styles and blob: workers.
redoc_view = csp_replace(
    {
        "style-src": ["'self'", "'unsafe-inline'"],
        "worker-src": ["'self'", "blob:"],
    }
)(SpectacularRedocView.as_view(url_name="openapi", template_name="api/redoc.html"))
