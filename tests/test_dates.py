"""Partial ISO dates: existence checks and the days a date covers."""

from __future__ import annotations

import calendar

import pytest

from kbcli.dates import check_date, date_range, days_in_month


def test_month_lengths_follow_the_gregorian_calendar():
    for year in (1900, 1996, 2000, 2015, 2023, 2024, 2100):
        for month in range(1, 13):
            assert days_in_month(year, month) == calendar.monthrange(year, month)[1], (year, month)


@pytest.mark.parametrize("value", ["2024-02-29", "2000-02-29", "2023-04-30", "2023", "2023-12"])
def test_dates_that_exist_pass(value):
    assert check_date(value) == value


@pytest.mark.parametrize("value, message", [
    ("2023-02-29", "2023-02 has 28 days"),
    ("1900-02-29", "1900-02 has 28 days"),
    ("2023-04-31", "2023-04 has 30 days"),
    ("2023-13", "no month 13"),
    ("23-01", "not an ISO date"),
])
def test_dates_that_do_not_exist_are_refused(value, message):
    with pytest.raises(ValueError, match=message):
        check_date(value)


def test_a_partial_date_covers_its_whole_span():
    assert date_range("2024-02") == ("2024-02-01", "2024-02-29")
    assert date_range("2022") == ("2022-01-01", "2022-12-31")
    assert date_range("2018/2022-03") == ("2018-01-01", "2022-03-31")
    assert date_range("2023-05-09") == ("2023-05-09", "2023-05-09")
