"""The summary of a calendar month, quarter or year, or of all time, reads kept counts
(`projections.periods`); any other range counts the statement rows. Random histories over
two and a half years, with reversals, rejections, expiries and gifts, projected in random
pages: the kept counts give what counting the rows gives, and what the fold gives."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import projections
from projections import activity_reads
from tests.integration.projection_support import fold_of, fresh_ledger
from tests.integration.test_projections_fold import ACCOUNTS, CATEGORIES, History, open_bank
from tests.unit.support import Clock

PARTY = st.integers(0, len(ACCOUNTS) - 1)
OTHER = st.integers(1, len(ACCOUNTS) - 1)
EXCHANGE = st.tuples(PARTY, OTHER, st.sampled_from([15, 30, 60]), st.integers(0, 900))
OPERATION = st.one_of(
    st.tuples(st.just("record"), EXCHANGE, CATEGORIES, st.booleans(), st.just(None)),
    st.tuples(st.just("batch"), st.lists(EXCHANGE, min_size=1, max_size=6), CATEGORIES),
    st.tuples(st.sampled_from(["confirm", "confirm", "reverse", "reject"]), st.integers(0, 99)),
    st.tuples(st.sampled_from(["reverse", "expire"]), st.integers(0, 99)),
    st.tuples(st.just("gift"), PARTY, st.sampled_from([15, 30]), st.booleans()),
    st.tuples(st.just("time"), st.integers(1, 40)),
    st.tuples(st.just("project"), st.integers(1, 7)),
)
ORGANISATIONS = ("north", "south", "east")


def periods(today: date) -> list[tuple[date | None, date | None]]:
    """Every month, quarter and year from 2021 to `today`'s year, and all time."""
    found: list[tuple[date | None, date | None]] = [(None, None)]
    for year in range(2021, today.year + 1):
        found.append((date(year, 1, 1), date(year, 12, 31)))
        for quarter in range(4):
            found.append(period_range(year, quarter * 3 + 1, 3))
        for month in range(1, 13):
            found.append(period_range(year, month, 1))
    return found


def period_range(year: int, month: int, months: int) -> tuple[date, date]:
    last = month + months - 1
    following = date(year + last // 12, last % 12 + 1, 1)
    return date(year, month, 1), date.fromordinal(following.toordinal() - 1)


@contextmanager
def counting_rows() -> Iterator[None]:
    """The summary as it reads any other range: every distinct count from the rows."""
    with (
        mock.patch.object(activity_reads, "calendar_period", return_value=None),
        mock.patch.object(activity_reads, "whole_months", return_value=None),
    ):
        yield


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=st.lists(OPERATION, min_size=5, max_size=40), page=st.integers(1, 40))
def test_kept_counts_give_what_counting_the_rows_gives(
    history: list[tuple[Any, ...]], page: int
) -> None:
    clock = Clock()
    with fresh_ledger("memory", clock) as ledger:
        built = projections.build(ledger, page=page)
        open_bank(ledger)
        driver = History(ledger, clock, built)
        for operation in history:
            driver.run(operation)
        built.runner.page = page
        built.runner.run_once()
        fold = fold_of(ledger)
        for start, end in periods(ledger.today()):
            assert activity_reads.calendar_period(start, end) is not None
            for org in ORGANISATIONS:
                kept = built.read_models.summary(org, start, end)
                with counting_rows():
                    counted = built.read_models.summary(org, start, end)
                assert kept == counted == fold.summary(org, start, end)
