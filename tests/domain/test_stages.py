from __future__ import annotations

from domain.stages import Rating, Stage


def test_only_closed_and_rejected_are_final() -> None:
    assert {stage for stage in Stage if stage.is_final} == {Stage.CLOSED, Stage.REJECTED}


def test_the_six_stages_come_in_their_order_before_the_two_endings() -> None:
    assert list(Stage) == [
        Stage.APPLICATION,
        Stage.APPROPRIATION,
        Stage.DISBURSEMENT,
        Stage.PUBLICITY,
        Stage.FINAL_REPORT,
        Stage.AUDIT,
        Stage.CLOSED,
        Stage.REJECTED,
    ]


def test_stages_and_ratings_read_as_plain_strings() -> None:
    assert f"{Stage.FINAL_REPORT}" == "final_report"
    assert [str(rating) for rating in Rating] == ["优", "良", "中", "差"]
