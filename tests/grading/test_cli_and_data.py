"""`tutor eval grading --json`, `tutor grade`, the shipped weights and the dataset build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tutor.cli import app
from tutor.errors import GradingError
from tutor.grading import dataset
from tutor.grading.features import FEATURE_NAMES
from tutor.grading.model import CLASSES, load_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPORT_KEYS = {
    "n",
    "accuracy",
    "macro_f1",
    "weighted_f1",
    "qwk",
    "false_correct_rate",
    "per_kind",
    "confusion",
    "pearson",
    "rmse",
    "latency_ms",
}


@pytest.mark.integration
def test_eval_grading_json_prints_every_key() -> None:
    result = CliRunner().invoke(
        app, ["eval", "grading", "--cases", str(FIXTURES / "grading" / "small_cases.jsonl"), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) >= REPORT_KEYS
    assert report["n"] == 7 and report["n_labelled"] == 5  # two lines have a 0-5 score instead of a label
    assert isinstance(report["pearson"], float) and isinstance(report["rmse"], float)
    assert report["labels"] == ["incorrect", "correct"]  # 2-way: no partial labels in the file
    assert report["per_kind"]["negation"]["graded_correct"] == 0
    assert report["latency_ms"]["p95"] > 0
    sampled = CliRunner().invoke(
        app, ["eval", "grading", "--cases", str(FIXTURES / "grading" / "small_cases.jsonl"), "--sample", "2", "--json"]
    )
    assert json.loads(sampled.stdout)["n"] == 2


@pytest.mark.integration
def test_grade_command_json() -> None:
    result = CliRunner().invoke(
        app,
        [
            "grade",
            "-q",
            "How does LayerNorm normalize?",
            "-r",
            "Across the features of each token, not across the batch.",
            "-a",
            "Across the batch.",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] != "correct"


def test_eval_rejects_a_bad_cases_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q", "reference": "r", "answer": "a", "label": "maybe"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "grading", "--cases", str(bad)])
    assert result.exit_code != 0 and isinstance(result.exception, GradingError)
    assert "bad.jsonl:1" in str(result.exception)


def test_shipped_weights_load() -> None:
    model = load_model()
    assert set(model.features) <= set(FEATURE_NAMES)
    assert len(model.intercept) == len(CLASSES)
    assert model.trees or all(len(row) == len(model.features) for row in model.coef)
    assert all(len(round_) == len(CLASSES) for round_ in model.trees)
    assert 0 < model.correct_threshold < 1
    assert model.meta["data_hash"] and model.meta["cv"]["by"] == "question"
    probs = model.probabilities(dict.fromkeys(model.features, 0.5))
    assert sum(probs.values()) == pytest.approx(1.0)


def _write_answers(folder: Path, rows: list[dict[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fixture.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_build_splits_by_question_and_keeps_frozen_test(tmp_path: Path) -> None:
    answers, out = tmp_path / "answers", tmp_path / "cases"
    rows = [
        {"question_id": qid, "answer": f"answer {i} to {qid}", "label": "correct", "kind": "paraphrase"}
        for qid in ("lstm-001", "lstm-002", "lora-001")
        for i in range(3)
    ]
    rows.append({"question_id": "nope-001", "answer": "x", "label": "correct", "kind": "terse"})
    _write_answers(answers, rows)
    corpus = FIXTURES / "corpus"
    out.mkdir()
    (out / dataset.TEST_IDS_FILE).write_text("lstm-002\n", encoding="utf-8")  # frozen earlier
    summary = dataset.build(answers, out, corpus)
    assert summary["skipped"] == {"unknown question": 1}
    cases = {s: [json.loads(line) for line in (out / f"{s}.jsonl").read_text().splitlines()] for s in dataset.SPLITS}
    assert {c["question_id"] for c in cases["test"]} >= {"lstm-002"}
    for split, rows_in in cases.items():
        for case in rows_in:
            expected_split = "test" if case["question_id"] == "lstm-002" else dataset.split_of(case["question_id"])
            assert split == expected_split
            assert case["reference"] and case["key_points"] and case["misconceptions"]
    assert "lstm-002" in (out / dataset.TEST_IDS_FILE).read_text().split()


def test_stress_files_form_a_held_out_split_by_question(tmp_path: Path) -> None:
    answers, out = tmp_path / "answers", tmp_path / "cases"
    _write_answers(answers, [{"question_id": "lora-001", "answer": "in a topic file", "label": "partial"}])
    (answers / "stress_1.jsonl").write_text(
        json.dumps({"question_id": "lora-001", "answer": "fresh", "label": "correct", "kind": "terse"}) + "\n",
        encoding="utf-8",
    )
    dataset.build(answers, out, FIXTURES / "corpus")
    stress = [json.loads(line) for line in (out / "stress.jsonl").read_text().splitlines()]
    assert sorted(c["answer"] for c in stress) == ["fresh", "in a topic file"]  # never split into train
    assert (out / dataset.STRESS_IDS_FILE).read_text().split() == ["lora-001"]
    (out / dataset.TEST_IDS_FILE).write_text("lora-001\n", encoding="utf-8")
    with pytest.raises(GradingError, match="both the test and the stress set"):
        dataset.build(answers, out, FIXTURES / "corpus")


def test_expected_is_restricted_to_checked_fields() -> None:
    result = {"params": 65536, "detail": {"a": [1, 2]}, "equilibria": [{"row": 1, "col": 2}]}
    assert dataset.expected_fields(result, ("params", "equilibria.0.row")) == {"params": 65536, "equilibria.0.row": 1}
    assert dataset.expected_fields(None, ("params",)) is None
