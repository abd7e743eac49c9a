"""The real embedder and FAISS over the fixture corpus: build, incremental rebuild, corruption, search, ask."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tutor.backends.llama_cpp import LlamaCppBackend
from tutor.backends.models import tiny_model_path
from tutor.config import Settings, load_settings
from tutor.errors import IndexCorrupt
from tutor.retrieval import build, load_retriever, status
from tutor.retrieval.answer import NOT_FOUND, answer_question
from tutor.retrieval.index import MANIFEST, VECTORS, load_index
from tutor.retrieval.retriever import index_dir_for

pytestmark = pytest.mark.integration
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE, corpus)
    return load_settings(corpus_dir=corpus)


def test_build_search_and_status(settings: Settings) -> None:
    manifest = build(settings)
    assert manifest["index_type"] == "flat" and manifest["embedded_now"] == len(manifest["chunks"])
    assert index_dir_for(settings) == settings.user_index_dir
    retriever = load_retriever(settings)
    hits = retriever.search("why do LSTMs help with vanishing gradients?", k=3)
    assert hits[0].chunk.topic == "lstm" and retriever.relevant(hits)
    assert all(h.chunk.topic == "lora" for h in retriever.search("gradients", k=3, topic="lora"))
    assert not retriever.relevant(retriever.search("best pizza in naples", k=3))
    info = status(settings)
    assert info["present"] and info["stale_files"] == [] and info["chunks"] == len(manifest["chunks"])


def test_one_file_edit_reembeds_only_changed_chunks(settings: Settings) -> None:
    first = build(settings)
    path = settings.corpus_dir / "lora.md"  # type: ignore[operator]
    path.write_text(path.read_text().replace("The adapter adds", "Each adapter adds"))
    assert status(settings)["stale_files"] == ["lora.md"]
    second = build(settings)
    assert 0 < second["embedded_now"] < len(first["chunks"]) / 2
    assert status(settings)["stale_files"] == []


@pytest.mark.parametrize("damage", ["manifest_json", "wrong_model", "truncated_vectors"])
def test_corrupt_or_mismatched_index_is_rebuilt(
    settings: Settings, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    build(settings)
    directory = index_dir_for(settings)
    if damage == "manifest_json":
        (directory / MANIFEST).write_text("{not json")
    elif damage == "wrong_model":
        data = json.loads((directory / MANIFEST).read_text())
        data["model"] = "another-embedder"
        (directory / MANIFEST).write_text(json.dumps(data))
    else:
        (directory / VECTORS).write_bytes((directory / VECTORS).read_bytes()[:100])
    with pytest.raises(IndexCorrupt):
        load_index(directory)
    retriever = load_retriever(settings)
    assert retriever.search("forget gate", k=1) and "rebuilding" in capsys.readouterr().err


def test_ask_end_to_end_with_the_tiny_model(settings: Settings) -> None:
    build(settings)
    retriever = load_retriever(settings)
    backend = LlamaCppBackend(tiny_model_path(), n_ctx=2048, n_threads=2)
    tokens: list[str] = []
    answer = answer_question(retriever, backend, "What does the forget gate do in an LSTM?", on_token=tokens.append)
    assert answer.found and answer.text and len(tokens) > 1
    assert answer.citations[0].source == "lstm.md" and answer.citations[0].n == 1
    nothing = answer_question(retriever, backend, "Who won the 1998 football world cup?")
    assert not nothing.found and nothing.text == NOT_FOUND and nothing.citations == []


def test_eval_retrieval_reports_every_mode(settings: Settings, tmp_path: Path) -> None:
    from tutor.retrieval.evaluate import evaluate, load_queries

    build(settings)
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"query": "why do plain rnns forget long range stuff", "relevant": [{"question_id": "lstm-001"}]}\n'
        '{"query": "lora adapter param count", "relevant": [{"source": "lora.md", "heading_contains": "Low-rank"}]}\n'
    )
    report = evaluate(load_retriever(settings), load_queries(queries))
    assert report["n"] == 2
    for mode in ("dense", "bm25", "hybrid"):
        assert {"recall@1", "recall@5", "mrr", "latency_ms"} <= set(report[mode])
    assert report["hybrid"]["recall@5"] == 1.0
