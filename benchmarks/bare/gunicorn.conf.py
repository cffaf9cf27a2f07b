"""gunicorn for the bare floor: its plain sync worker, nothing of the service's."""

worker_class = "sync"
accesslog = None
