"""Bar charts on the pages: a small number hidden for funders is shown as hidden, not as 0."""

from __future__ import annotations

from api.web.charts import bar_chart


def test_bars_scale_to_the_busiest_month_and_say_so() -> None:
    chart = bar_chart("Hours by month", "hours", [("2024-01", 2.0), ("2024-02", 4.0)])
    assert [bar.value for bar in chart.bars] == ["2", "4"]
    assert chart.bars[0].height * 2 == chart.bars[1].height
    assert "the most was 4 hours in 2024-02" in chart.description


def test_a_hidden_month_has_no_bar_and_reads_hidden_not_zero() -> None:
    chart = bar_chart("Active members", "members", [("2024-01", None), ("2024-02", 7)])
    hidden, shown = chart.bars
    assert (hidden.value, hidden.height) == ("hidden", 0)
    assert shown.value == "7"
    assert shown.height > 0
    assert "the most was 7 members in 2024-02" in chart.description
    assert "1 month(s) hidden as small numbers" in chart.description


def test_a_chart_whose_every_month_is_hidden_says_so() -> None:
    chart = bar_chart("Active members", "members", [("2024-01", None), ("2024-02", None)])
    assert [bar.value for bar in chart.bars] == ["hidden", "hidden"]
    assert chart.description.endswith("every month hidden as a small number.")
