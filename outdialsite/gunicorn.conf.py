"""gunicorn settings: the access log leaves out query strings, which may hold
``?token=`` or ``?accesskey=`` credentials."""

access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss "%({x-request-id}o)s"'
