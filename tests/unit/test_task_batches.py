"""How an inbox batch is split into task messages (workers.tasks.batches)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workers.tasks import BATCH_MOST
from workers.tasks import BATCH_SPREAD
from workers.tasks import batches


@given(st.lists(st.integers(min_value=1), max_size=600))
def test_every_id_once_in_order_in_few_even_messages(ids):
    parts = batches(ids)

    assert [i for part in parts for i in part] == ids
    assert all(0 < len(part) <= BATCH_MOST for part in parts)
    if parts:
        assert max(map(len, parts)) - min(map(len, parts)) <= 1


@pytest.mark.parametrize(
    ("count", "sizes"),
    [
        (0, []),
        (1, [1]),
        (3, [1, 1, 1]),
        (8, [2, 2, 2, 2]),
        (200, [20] * 10),
    ],
)
def test_small_batches_still_spread_over_the_threads(count, sizes):
    assert BATCH_SPREAD == 4
    assert [len(part) for part in batches(list(range(count)))] == sizes
