"""Role swaps: a key point said of the wrong method is caught; the same words said the right way round, a contrast,
a shared property or a negated clause are not."""

from __future__ import annotations

import pytest

from tutor.grading.roles import find_role_swap, method_names

GNN_Q = "Explain GCN, GraphSAGE and GAT and how they differ."
GNN_KP = [
    "GCN averages neighbours with a fixed symmetric degree normalization.",
    "GraphSAGE samples a fixed number of neighbours and is inductive.",
    "GAT learns attention weights per edge from the node features.",
]
NORM_Q = "How do BatchNorm and LayerNorm differ?"
NORM_KP = [
    "BatchNorm computes statistics per feature across the batch.",
    "LayerNorm computes statistics per example across its features.",
]
RNN_Q = "Compare the LSTM and the GRU."
RNN_KP = ["GRU has about 25% fewer parameters, so it is cheaper to run.", "LSTM keeps a separate cell state."]
DPO_Q = "How does DPO differ from RLHF with PPO?"
DPO_KP = ["DPO needs no reward model and no sampling during training."]


@pytest.mark.parametrize(
    ("question", "key_points", "answer", "owner", "said_of"),
    [
        (
            GNN_Q,
            GNN_KP,
            "GCN learns attention weights on each edge from the node features, while GAT averages neighbours with "
            "a fixed symmetric degree normalization.",
            "GCN",
            "GAT",
        ),
        (NORM_Q, NORM_KP, "LayerNorm computes its statistics per feature across the batch.", "BatchNorm", "LayerNorm"),
        (RNN_Q, RNN_KP, "Both gate their state; the LSTM has about 25% fewer parameters and is cheap.", "GRU", "LSTM"),
    ],
)
def test_a_key_point_said_of_another_method_is_caught(
    question: str, key_points: list[str], answer: str, owner: str, said_of: str
) -> None:
    swap = find_role_swap(question, key_points, answer)
    assert swap is not None
    assert (swap.owner, swap.said_of) == (owner, said_of)


@pytest.mark.parametrize(
    ("question", "key_points", "answer"),
    [
        # the same words, the right way round, in one sentence or two
        (
            GNN_Q,
            GNN_KP,
            "GCN averages neighbours with a fixed symmetric degree normalization, whereas GAT learns attention "
            "weights per edge from the node features.",
        ),
        (NORM_Q, NORM_KP, "BatchNorm takes each feature's mean across the batch. LayerNorm uses an example's."),
        # a clause naming both methods, or led by the owner through "unlike"
        (GNN_Q, GNN_KP, "GAT replaces GCN's fixed symmetric degree normalization with learned per-edge weights."),
        (GNN_Q, GNN_KP, "Unlike GCN, which averages with a fixed degree normalization, GAT learns edge weights."),
        # the other method, negated: the contrast, said right
        (GNN_Q, GNN_KP, "GAT does not average neighbours with a fixed symmetric degree normalization."),
        # words the key point negates, said of the other method: also the contrast
        (DPO_Q, DPO_KP, "RLHF trains a reward model and keeps sampling during training; DPO skips both."),
        # a question about one method names nothing to swap
        ("What does a GCN layer compute?", GNN_KP[:1], "GAT averages neighbours with a fixed degree normalization."),
    ],
)
def test_right_answers_and_contrasts_are_not_swaps(question: str, key_points: list[str], answer: str) -> None:
    assert find_role_swap(question, key_points, answer) is None


def test_method_names_are_words_with_two_capitals() -> None:
    assert method_names("Compare GCN, GraphSAGE, RT-1 and LayerNorm with Adam in PyTorch") == {
        "GCN",
        "GraphSAGE",
        "RT-1",
        "LayerNorm",
        "PyTorch",
    }
