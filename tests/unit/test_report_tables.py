"""The report's tables as people read them: units, digits and headers
(pai.reporting.tables.for_people),
and the HTML page the report shows in the page."""

import math

import pandas as pd

from pai.reporting import tables


def test_each_kind_of_column_is_formatted_for_people():
    frame = pd.DataFrame(
        {
            "net": ["lenet"],
            "dense_accuracy": [0.98034],
            "difference": [-0.01234],
            "random_w1": [0.0154321],
            "p_value": [1 / 32],
            "p_adjusted": [0.00004],
            "smallest_p": [math.nan],
            "sparsity": [0.75],
        }
    )
    kinds = {
        "dense_accuracy": "percent", "difference": "points", "random_w1": "w1", "p_value": "p",
        "p_adjusted": "p", "smallest_p": "p", "sparsity": "sparsity",
    }  # fmt: skip
    shown = tables.for_people(frame, kinds)
    assert shown.iloc[0].to_dict() == {
        "net": "lenet",
        "dense accuracy (%)": "98.0",
        "difference (points)": "-1.2",
        "W1 random": "0.0154",
        "p": "0.031",
        "p, adjusted": "< 0.001",
        "smallest p": "–",
        "sparsity": "0.75",
    }


def test_a_table_page_holds_an_html_table_and_its_notes():
    frame = pd.DataFrame({"method": ["snip"], "reinit": [0.00881234]})
    page = tables.html_table("Table 1", frame, {"reinit": "w1"}, notes="\n- a note with `code`\n")
    assert page.startswith("<!DOCTYPE html>") and "<h2>Table 1</h2>" in page
    assert "<th>reinit</th>" in page and "<td>0.00881</td>" in page
    assert "<li>a note with <code>code</code></li>" in page
    assert "(nothing in this grid)" in tables.html_table("empty", frame.iloc[:0], {})
