"""The follow-up prompt's contract: a fixed system prompt first (its evaluation is cached), then the numbered
passages and, last, the question; the model is told to quote a passage with its [n] and to decline when no
passage answers."""

from tutor.retrieval.answer import SYSTEM, Citation, build_messages


def test_follow_up_prompt_numbers_passages_and_asks_last() -> None:
    citations = [
        Citation(1, "norm.md", "Norms > LayerNorm", "LayerNorm normalises over the features of each example."),
        Citation(2, "norm.md", "Norms > BatchNorm", "BatchNorm normalises each feature over the batch."),
    ]
    system, user = build_messages("Does LayerNorm depend on the batch size?", citations)
    assert system == {"role": "system", "content": SYSTEM}
    assert user["role"] == "user"
    text = user["content"]
    assert text.index("[1] (LayerNorm) LayerNorm normalises") < text.index("[2] (BatchNorm)")
    assert text.rstrip().endswith("Question: Does LayerNorm depend on the batch size?")
    assert "{" not in SYSTEM  # fixed text, the same for every request: llama.cpp reuses its evaluated prefix
    assert "[1]" in SYSTEM and "quote" in SYSTEM and "do not cover" in SYSTEM
