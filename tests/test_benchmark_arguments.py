"""The benchmarks' --methods argument: names with a thousands comma stay whole."""

from __future__ import annotations

from benchmarks.budgeted import method_names


def test_a_comma_before_a_digit_stays_inside_a_method_name() -> None:
    assert method_names("autometa, autometa first rung 10,000,FLAML") == (
        "autometa",
        "autometa first rung 10,000",
        "FLAML",
    )
    assert method_names("default 1 worker,default 2 workers") == (
        "default 1 worker",
        "default 2 workers",
    )
