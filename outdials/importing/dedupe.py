"""The addresses an import has seen, each with the first row that brought it.

A million-row import with two numbers a row sees two million addresses. In a
dict of ints that costs ~110 bytes an address (key object, value object, table
slot), ~220 MB; here phone numbers, the bulk of any list, live in two flat
arrays with open addressing at 12 bytes a slot (at most half full), ~50 MB.
SIP and email keys are strings and stay in a plain dict.
"""

from array import array

_FIBONACCI = 0x9E3779B97F4A7C15  # 2**64 / golden ratio: scatters runs of numbers
_MASK64 = (1 << 64) - 1


class SeenAddresses:
    """``address key → row``: 0 for an address already in the outdial, else the
    spreadsheet row of the first row of the file that has it."""

    def __init__(self, bits: int = 12):
        self._other: dict = {}
        self._count = 0
        self._allocate(bits)

    def _allocate(self, bits: int) -> None:
        self._bits = bits
        self._shift = 64 - bits
        self._mask = (1 << bits) - 1
        # E.164 digits as an int are never 0, so 0 marks an empty slot.
        self._keys = array("q", bytes(8 << bits))
        self._rows = array("i", bytes(4 << bits))

    def _slot(self, key: int) -> int:
        keys, mask = self._keys, self._mask
        slot = ((key * _FIBONACCI) & _MASK64) >> self._shift
        while True:
            found = keys[slot]
            if found == key or not found:
                return slot
            slot = (slot + 1) & mask

    def get(self, key) -> int | None:
        if type(key) is not int:
            return self._other.get(key)
        slot = self._slot(key)
        return self._rows[slot] if self._keys[slot] else None

    def add(self, key, row: int) -> None:
        """Remember ``key`` as brought by ``row``, unless it is known already."""
        if type(key) is not int:
            self._other.setdefault(key, row)
            return
        slot = self._slot(key)
        if self._keys[slot]:
            return
        self._keys[slot] = key
        self._rows[slot] = row
        self._count += 1
        if self._count * 2 > len(self._keys):
            self._grow()

    def _grow(self) -> None:
        keys, rows = self._keys, self._rows
        self._allocate(self._bits + 1)
        for key, row in zip(keys, rows, strict=True):
            if key:
                slot = self._slot(key)
                self._keys[slot] = key
                self._rows[slot] = row

    def __len__(self) -> int:
        return self._count + len(self._other)

    def __contains__(self, key) -> bool:
        return self.get(key) is not None
