from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tutor.cli import app
from tutor.corpus.check import check_corpus, numbers_agree
from tutor.corpus.loader import load_corpus, load_corpus_with_problems
from tutor.corpus.seeds import extract_seed_items
from tutor.errors import CorpusError

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
GOOD_Q = """## t-001: What is a gate?

- difficulty: 1
- kind: concept

### Answer
A gate is a sigmoid that scales a signal between zero and one.

### Key points
- A gate is a sigmoid.
- It scales a signal between 0 and 1.

### Misconceptions
- A gate adds information.
"""


def write(
    tmp: Path,
    body: str,
    front: str = "---\ntopic: t\ntitle: T\n---\n\n# T\n\n## Notes\n\nSome notes.\n\n# Questions\n\n",
) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "t.md").write_text(front + body, encoding="utf-8")
    return tmp


def test_good_file_parses(tmp_path: Path) -> None:
    corpus = load_corpus(write(tmp_path, GOOD_Q))
    (q,) = corpus.questions
    assert q.id == "t-001" and q.kind == "concept" and len(q.key_points) == 2 and q.line == 14


@pytest.mark.parametrize(
    ("body", "front", "message"),
    [
        (GOOD_Q, "---\ntopic: t\ntitle: [unclosed\n---\n# Questions\n", "not valid YAML"),
        (GOOD_Q, "no front matter\n# Questions\n", "front matter"),
        (
            GOOD_Q.replace("### Answer\nA gate is a sigmoid that scales a signal between zero and one.\n", ""),
            None,
            "missing `### Answer`",
        ),
        (GOOD_Q.replace("- It scales a signal between 0 and 1.\n", ""), None, "2-6 key points"),
        (GOOD_Q.replace("- difficulty: 1", "- difficulty: 7"), None, "difficulty must be"),
        (GOOD_Q.replace("- kind: concept", "- kind: compute\n- tool: lora_params {rank: 8}"), None, "not valid JSON"),
        (GOOD_Q.replace("### Misconceptions", "### Pitfalls"), None, "unknown section"),
    ],
)
def test_malformed_files_name_file_line_and_problem(tmp_path: Path, body: str, front: str | None, message: str) -> None:
    folder = write(tmp_path, body, front) if front else write(tmp_path, body)
    _, problems = load_corpus_with_problems(folder)
    assert problems and message in str(problems[0]) and str(problems[0]).startswith("t.md:")
    with pytest.raises(CorpusError):
        load_corpus(folder)


def test_code_fence_headings_are_not_questions(tmp_path: Path) -> None:
    body = GOOD_Q.replace(
        "between zero and one.", "between zero and one.\n```python\n## not a heading\n### nor this\n```"
    )
    assert len(load_corpus(write(tmp_path, body)).questions) == 1


def test_check_fix_writes_expected_then_passes(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE, tmp_path / "c")
    root = tmp_path / "c"
    before = check_corpus(root, near_duplicates=False)
    assert any("no `expected` yet" in e for e in before.errors)
    check_corpus(root, fix=True, near_duplicates=False)
    assert '- expected: {"params": 65536}' in (root / "lora.md").read_text()
    assert check_corpus(root, near_duplicates=False).errors == []
    text = (root / "lora.md").read_text().replace('{"params": 65536}', '{"params": 60000}')
    (root / "lora.md").write_text(text)
    assert any("disagrees with lora_params" in e for e in check_corpus(root, near_duplicates=False).errors)


def test_check_fix_handles_several_new_compute_questions_in_one_file(tmp_path: Path) -> None:
    """Each insertion shifts the lines below it; the next question must still get its own line."""
    shutil.copytree(FIXTURE, tmp_path / "c")
    root = tmp_path / "c"
    text = (root / "lora.md").read_text()
    compute = next(b for b in text.split("\n## ") if "- tool: lora_params" in b)
    twin = ("## " + compute).replace(compute.split(":", 1)[0], "lora-099", 1).replace('"rank": 8', '"rank": 4')
    (root / "lora.md").write_text(text.rstrip("\n") + "\n\n" + twin.rstrip("\n") + "\n")
    check_corpus(root, fix=True, near_duplicates=False)
    fixed = (root / "lora.md").read_text()
    assert fixed.count("- expected:") == 2 and '- expected: {"params": 32768}' in fixed
    assert check_corpus(root, near_duplicates=False).errors == []


def test_check_finds_near_duplicates_mojibake_and_seed_coverage(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE, tmp_path / "c")
    root = tmp_path / "c"
    check_corpus(root, fix=True, near_duplicates=False)
    dup = (
        (root / "lstm.md").read_text()
        + "\n"
        + GOOD_Q.replace("t-001", "lstm-009").replace(
            "What is a gate?", "What problem does an LSTM solve compared with a vanilla RNN?"
        )
        + "\nBroken â†’ arrow\n"
    )
    (root / "lstm.md").write_text(dup)
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "000_guide.txt").write_text(
        "## Part 1: LSTM\n\n### Must Answer Confidently:\n1. What problem does LSTM solve?\n2. What is GRU?\n"
    )
    report = check_corpus(root, seeds=seeds)
    assert any("ask nearly the same question" in e for e in report.errors)
    assert any("mojibake" in e for e in report.errors)
    assert report.seed_items == 2 and report.seed_covered == 0 and len(report.uncovered) == 2


def test_seed_extractor_repairs_mojibake_and_wiki_links(tmp_path: Path) -> None:
    guide = tmp_path / "001_notes.txt"
    guide.write_text(
        "# Guide\n\n## Part 2: [[Machine Learning/Attention|Attention]]\n\n### Must Answer Confidently:\n"
        "1. Why scale by âˆšd_k?\n\n### Practice:\n- Pre-training â†’ SFT â†’ RLHF\n",
        encoding="utf-8",
    )
    items = extract_seed_items(guide)
    assert [i.text for i in items] == ["Why scale by √d_k?", "Pre-training → SFT → RLHF"]
    assert items[0].id == "001:part-2-attention:must-answer-confidently:1" and items[0].heading.endswith(
        "Must Answer Confidently"
    )


def test_corpus_check_cli_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(FIXTURE, tmp_path / "c")
    monkeypatch.setenv("TUTOR_CORPUS_DIR", str(tmp_path / "c"))
    from tutor.config import get_settings

    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["corpus", "check", "--json"])
    data = json.loads(result.output)
    assert result.exit_code == 1 and data["questions"] == 3 and data["topics"] == {"lstm": 2, "lora": 1}
    assert {"errors", "by_kind", "by_difficulty"} <= set(data)


def test_numbers_agree_within_tolerance_through_nested_results() -> None:
    """Tool results are dicts of lists; the last bits of a float differ between BLAS builds."""
    stored = {"mean": [2.860791604243955, 0.013657089610960953], "n": 3}
    assert numbers_agree(stored, {"mean": [2.860791604243955, 0.013657089610960979], "n": 3}, 0.01)
    assert not numbers_agree(stored, {"mean": [2.9, 0.0137], "n": 3}, 0.01)
    assert not numbers_agree(stored, {"mean": [2.860791604243955, 0.013657089610960953]}, 0.01)
