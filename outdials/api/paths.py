"""Which requests belong to the API: they answer errors in the envelope."""

API_PREFIXES = ("/v1.0/", "/auth/")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES) or path in ("/v1.0", "/auth")
