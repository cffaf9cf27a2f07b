"""Response headers that keep one caller's data out of shared caches."""

from .api.paths import is_api_path

# The published contract and its viewers are the same for everyone.
PUBLIC_API_PATHS = ("/v1.0/openapi.json", "/v1.0/docs", "/v1.0/redoc")


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every API answer: each one is a caller's
    own data (or a token), which no browser or proxy cache may keep."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        path = request.path
        if is_api_path(path) and not path.rstrip("/").startswith(PUBLIC_API_PATHS):
            response["Cache-Control"] = "no-store"
        return response
