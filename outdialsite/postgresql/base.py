"""PostgreSQL (Django's backend) with a bound on every wait for the server.

``statement_timeout`` (set at connect from ``DATABASE_STATEMENT_TIMEOUT``)
makes a live server give up on a slow statement, and psycopg's
``connect_timeout`` bounds a connect; neither helps when a server, or the
network to it, stops answering on a connection already open (a frozen host
keeps acknowledging TCP): the wait would last until gunicorn kills the worker.
Here every wait on an open connection ends after ``ANSWER_TIMEOUT`` seconds
(a little more than the statement timeout), and the health check of a kept
connection and the readiness probe after ``CONNECT_TIMEOUT``. Past that the
connection is dropped, never reused, and the caller gets ``OperationalError``
(answered 503 UNAVAILABLE by ``outdials.outage``).
"""

from contextlib import contextmanager

import psycopg
from django.db.backends.postgresql import base


class BoundedConnection(psycopg.Connection):
    answer_timeout: float | None = None

    def wait(self, gen, interval=0.1, timeout=None):
        try:
            return super().wait(
                gen, interval, self.answer_timeout if timeout is None else timeout
            )
        except psycopg.errors._WaitTimeout:
            # A statement is in flight and its fate unknown: drop the socket
            # so nothing (a rollback, the next request) waits on it again.
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"The database did not answer within {self.answer_timeout} s."
            ) from None


class _Driver:
    """psycopg, whose ``connect`` makes a :class:`BoundedConnection`."""

    connect = staticmethod(BoundedConnection.connect)

    def __getattr__(self, name):
        return getattr(psycopg, name)


class DatabaseWrapper(base.DatabaseWrapper):
    Database = _Driver()

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        connection.answer_timeout = self.settings_dict.get("ANSWER_TIMEOUT")
        return connection

    @contextmanager
    def answer_within(self, seconds: float):
        """Waits on the open connection end after ``seconds`` in this block."""
        connection = self.connection
        if connection is None:
            yield
            return
        before = connection.answer_timeout
        connection.answer_timeout = seconds
        try:
            yield
        finally:
            connection.answer_timeout = before

    def is_usable(self):
        # Django's health check of a kept connection, at a request's first
        # query: a hung server is found within the connect timeout.
        with self.answer_within(self.settings_dict.get("CONNECT_TIMEOUT") or 5):
            return super().is_usable()
