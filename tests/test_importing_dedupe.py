"""The importer's table of seen addresses (outdials.importing.dedupe)."""

import random

from outdials.importing.dedupe import SeenAddresses


def test_it_keeps_the_first_row_of_each_address():
    seen = SeenAddresses()
    seen.add(12025550143, 2)
    seen.add(12025550143, 9)
    seen.add("ops@example.com", 3)
    seen.add("ops@example.com", 4)
    assert seen.get(12025550143) == 2
    assert seen.get("ops@example.com") == 3
    assert len(seen) == 2


def test_row_zero_means_already_in_the_outdial_and_is_still_found():
    seen = SeenAddresses()
    seen.add(442079460958, 0)
    assert seen.get(442079460958) == 0
    assert 442079460958 in seen
    assert seen.get(442079460959) is None
    assert 442079460959 not in seen


def test_it_grows_and_agrees_with_a_dict_on_runs_and_random_numbers():
    """Runs of consecutive numbers (a generated list) and random ones, far more
    than the first table holds, probed with present and absent keys."""
    rng = random.Random(7)
    keys = list(range(12020000000, 12020030000))
    keys += [rng.randrange(10**10, 10**15) for _ in range(30000)]
    seen, expected = SeenAddresses(bits=4), {}
    for row, key in enumerate(keys, start=2):
        seen.add(key, row)
        expected.setdefault(key, row)
    assert len(seen) == len(expected)
    for key, row in expected.items():
        assert seen.get(key) == row
    for key in (12019999999, 12020030000, 10**15 + 1):
        assert seen.get(key) is None
