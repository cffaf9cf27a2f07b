"""Which requests belong to the API: they answer errors in the envelope."""

API_PREFIXES = ("/v1.0/", "/auth/")
# The published contract and its viewers are the same for everyone.
PUBLIC_API_PATHS = ("/v1.0/openapi.json", "/v1.0/docs", "/v1.0/redoc")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES) or path in ("/v1.0", "/auth")


def is_resource_path(path: str) -> bool:
    """A call on the API's resources (``/v1.0/…`` but the published document
    and its viewers): authenticated by a credential it carries, never by a
    session, and answered in JSON; sign-in (``/auth/…``) is not one."""
    return path.startswith("/v1.0/") and not path.startswith(PUBLIC_API_PATHS)
