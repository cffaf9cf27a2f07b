"""Planner statistics after bulk writes.

Right after a bulk load PostgreSQL still plans with the statistics it had
before (none, on a new table): it guessed the 100,000 targets of a fresh
import were one row, walked a whole index and sorted them for the first page
(72–88 ms against 0.1 ms once analysed). Autovacuum catches up only later,
and a dialer's first polls land exactly then. So every write that touches
many rows (an import, its undo, a bulk status change or delete) refreshes
the statistics of the tables it changed before it reports done.

``ANALYZE`` reads a fixed-size sample (30,000 rows at the default target), so
its cost stays bounded however large the table. ``SKIP_LOCKED``: when another
session is analysing the table already, that one's numbers will do. SQLite
gets ``ANALYZE`` with a sampling limit, so it too stays bounded.
"""

from django.db import connection

# Fewer changed rows than this leave the planner's picture about right.
BULK_ROWS = 500
# SQLite: rows examined per index (PRAGMA analysis_limit); enough for its
# planner, which only weighs the index shapes.
_SQLITE_ANALYSIS_LIMIT = 1000


def refresh_after_bulk_write(changed_rows: int, *models) -> bool:
    """Refresh the planner statistics of ``models``' tables when
    ``changed_rows`` is a bulk write's worth; answers whether it ran."""
    if changed_rows < BULK_ROWS or not models:
        return False
    quote = connection.ops.quote_name
    tables = [quote(model._meta.db_table) for model in models]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE (SKIP_LOCKED) {', '.join(tables)}")
        elif connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit = {_SQLITE_ANALYSIS_LIMIT}")
            for table in tables:
                cursor.execute(f"ANALYZE {table}")
    return True
