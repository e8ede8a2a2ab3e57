"""Untrusted ids and CSV cells: core.inputs.whole_number and core.csvsafe."""

from __future__ import annotations

import pytest

from core.csvsafe import neutralise, restore
from core.inputs import whole_number


@pytest.mark.parametrize("value, number", [("12", 12), ("0", 0), ("2147483647", 2147483647), ("2147483648", None),
                                           ("²", None), ("１２", None), ("-1", None), ("1e3", None), ("", None),
                                           ("1" * 24, None), (None, None), (12, None)])
def test_whole_number(value, number) -> None:
    assert whole_number(value) == number


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://evil\",\"x\")", "+1", "-5度", "@SUM(A1)", "\tx", "\rx",
                                  "'=already", "''+two", "plain", "'quoted", "", "住民票", "＝HYPERLINK(1)",
                                  " =1+1", "\u3000＋1", "  @x", "＠Sum", "－5"])
def test_csv_cells_are_safe_and_round_trip(text: str) -> None:
    cell = neutralise(text)
    assert cell.lstrip(" \u3000")[:1] not in ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
    assert restore(cell) == text
