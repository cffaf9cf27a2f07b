"""The framework-free floor of the read path (``read_path``): a bare WSGI app."""
