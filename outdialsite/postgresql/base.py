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

Django's health check of a kept connection costs a round trip (``SELECT 1``)
at every request's first query: under load, a third of a small API call's
round trips. A connection whose previous request started less than
``FRESH_SECONDS`` ago is taken as alive; after a pause it is checked as
before. A connection that fails while busy fails its request (503), and a
request that saw a database error has its connection checked, or dropped, as
it ends, so the next one reconnects either way.
"""

import datetime
import functools
import time
from contextlib import contextmanager

import psycopg
from django.db.backends.postgresql import base
from psycopg.adapt import AdaptersMap, Loader
from psycopg.postgres import types


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


class UTCTimestamptzLoader(Loader):
    """``timestamptz`` read by psycopg's compiled loader, as Django reads it.

    Django's loader (``psycopg_any.BaseTzLoader``) subclasses psycopg's pure
    Python one, so every time read costs a Python parse: a fifth of the CPU
    of a page of 100 targets. The compiled loader cannot be subclassed;
    this one hands each value to it. Django connects in UTC (its
    ``TimeZone``), where the compiled loader gives ``datetime.timezone.utc``
    times, exactly Django's; on a connection in another zone each time is
    given Django's zone as Django's loader does. ``timezone`` is what
    Django's cursors compare against theirs.
    """

    timezone = datetime.UTC

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        compiled = psycopg.adapters.get_loader(self.oid, self.format)(oid, context)
        connection = getattr(context, "connection", None)
        if _zone(connection) is self.timezone:
            self.load = compiled.load
        else:
            self.load = lambda data: compiled.load(data).replace(tzinfo=self.timezone)

    def load(self, data):  # replaced per instance in __init__
        raise NotImplementedError


def _zone(connection):
    from psycopg._tz import get_tzinfo

    return get_tzinfo(connection.pgconn if connection is not None else None)


@functools.cache
def _adapters(template: AdaptersMap) -> AdaptersMap:
    """Django's adapters with :class:`UTCTimestamptzLoader` for timestamptz."""
    adapters = AdaptersMap(template)
    adapters.register_loader(types["timestamptz"].oid, UTCTimestamptzLoader)
    return adapters


class DatabaseWrapper(base.DatabaseWrapper):
    Database = _Driver()

    def get_connection_params(self):
        params = super().get_connection_params()
        if self.timezone is datetime.UTC and "context" in params:
            params["context"] = _adapters(params["context"])
        return params

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

    FRESH_SECONDS = 1.0
    _used_at = float("-inf")  # when a request last began to use the connection

    def close_if_health_check_failed(self):
        if self.connection is None or not self.health_check_enabled:
            return
        if self.health_check_done:
            return
        moment = time.monotonic()
        fresh, self._used_at = moment - self._used_at < self.FRESH_SECONDS, moment
        if fresh:
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def is_usable(self):
        # Django's health check of a kept connection, at a request's first
        # query: a hung server is found within the connect timeout.
        with self.answer_within(self.settings_dict.get("CONNECT_TIMEOUT") or 5):
            return super().is_usable()
