"""The addresses an import has seen: already in the outdial, or brought by a
row of the file.

Two Python sets of address keys (the digits of an E.164 number as an int, else
a string). Neither input order nor any progression of numbers can degrade
them: an int below 2**61 hashes to itself, so two distinct numbers never share
a hash, and CPython's probe sequence folds every bit of the hash in after a
few steps; string hashes are SipHash under a per-process random key. A million
rows with two numbers each cost ~150 MB here (an int object and a set slot an
address); a dict from address to row would add ~50 MB more, so the row that
first brought an address is not kept: the few duplicates a report lists find
it afterwards in the spool of checked rows (:func:`first_rows`).
"""

import pickle

EXISTING = "existing"  # already a live target's address in the outdial
IN_FILE = "file"  # brought by an earlier row of this file


class SeenAddresses:
    def __init__(self, existing=()):
        self.existing = set(existing)
        self.brought = set()

    def where(self, key) -> str | None:
        """:data:`EXISTING`, :data:`IN_FILE` or ``None`` (not seen)."""
        if key in self.existing:
            return EXISTING
        if key in self.brought:
            return IN_FILE
        return None

    def bring(self, keys) -> None:
        """Remember the keys of a row that will be created."""
        self.brought.update(keys)

    def __len__(self) -> int:
        return len(self.existing | self.brought)

    def __contains__(self, key) -> bool:
        return key in self.existing or key in self.brought


# Where a spooled row (checking.Checker._check) holds its number and its keys:
# (row, name, detail, data, destinations, keys, external id).
ROW, KEYS = 0, 5


def first_rows(spool, keys) -> dict:
    """``key → row``: the first spooled row (pickled chunks of row tuples)
    that has each of ``keys``. One pass over the spool, which is left where
    it was."""
    wanted, found = set(keys), {}
    position = spool.tell()
    spool.seek(0)
    try:
        while wanted:
            try:
                chunk = pickle.load(spool)
            except EOFError:
                break
            for entry in chunk:
                for key in entry[KEYS]:
                    if key in wanted:
                        wanted.discard(key)
                        found[key] = entry[ROW]
    finally:
        spool.seek(position)
    return found
