"""Which requests other origins may read: the public, read-only answers, and nothing else.

django-cors-headers asks :func:`public_read` (a ``check_request_enabled`` receiver) for every request. A yes adds
``Access-Control-Allow-Origin: *`` (never with credentials, see CORS_* in the settings); a no adds no CORS header,
so another origin's script can neither read the answer nor get a preflight that allows the request.
"""

PUBLIC_READ_PREFIXES = ("/api/v2/", "/api/v1/", "/feeds/")
READS = {"GET", "HEAD"}


def public_read(sender, request, **kwargs):
    if not request.path_info.startswith(PUBLIC_READ_PREFIXES):
        return False
    method = request.method
    if method == "OPTIONS":  # a preflight: what matters is the method it asks for
        method = request.headers.get("Access-Control-Request-Method", "").upper()
    return method in READS
