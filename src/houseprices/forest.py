"""Tree ensembles as flat numpy arrays: fast prediction for a few rows.

scikit-learn's gradient boosting walks its trees one Python object at a time and LightGBM's
predict call has a fixed cost of its own; for one row of the champion that is ~0.2-0.4 ms per
model, most of a single-row prediction. `FlatForest` stores every tree as a complete binary
tree of the forest's depth (a shallower leaf is copied down), evaluates every split of every
tree in one gather-and-compare, then walks all trees a level at a time. The trees' outputs
are summed in tree order, starting from the same value as the library, one addition at a
time (`np.cumsum`), so the result is the library's to the last bit. Large batches stay with
the libraries, which win from about 32 rows on.

Only plain numeric splits `x <= threshold` are compiled; anything else (categorical splits,
LightGBM's zero-as-missing) makes `from_*` return None and the library predicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: batches below this many rows use the flat forest
MAX_ROWS = 32


@dataclass(frozen=True)
class Tree:
    """One tree: per node its feature, threshold, children (-1 at leaves) and leaf value."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray


class FlatForest:
    """`start + sum(scale * tree(x))` over the trees, for rows of float64 features.

    `float32_inputs` compares the features rounded to float32, as scikit-learn's trees do."""

    def __init__(
        self, trees: Sequence[Tree], start: float, scale: float, float32_inputs: bool
    ) -> None:
        depth = max(_depth(t) for t in trees)
        self.depth = depth
        self.start = float(start)
        self.float32_inputs = float32_inputs
        n_inner, n_leaves = 2**depth - 1, 2**depth
        t_count = len(trees)
        feature = np.zeros((t_count, n_inner), dtype=np.intp)
        threshold = np.full((t_count, n_inner), np.inf)
        leaves = np.zeros((t_count, n_leaves))
        for i, tree in enumerate(trees):
            _place(tree, 0, 0, 0, depth, feature[i], threshold[i], leaves[i])
        self.feature = feature.ravel()
        self.threshold = threshold.ravel()
        self.leaves = leaves.ravel() * scale if scale != 1.0 else leaves.ravel()
        self.n_inner = n_inner
        self.tree_inner = np.arange(t_count) * n_inner
        self.tree_leaves = np.arange(t_count) * n_leaves

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32 if self.float32_inputs else np.float64)
        n = len(X)
        # every split of every tree at once: True = go right (x <= threshold fails, NaN too)
        right = ~(X[:, self.feature] <= self.threshold)
        pos = np.zeros((n, len(self.tree_inner)), dtype=np.intp)
        rows = (np.arange(n) * len(self.feature))[:, None]
        flat = right.ravel()
        for _ in range(self.depth):
            pos = 2 * pos + 1 + flat[rows + self.tree_inner + pos]
        values = self.leaves[self.tree_leaves + (pos - self.n_inner)]
        summed = np.cumsum(np.column_stack([np.full(n, self.start), values]), axis=1)
        return summed[:, -1]


def _depth(tree: Tree, node: int = 0) -> int:
    if tree.left[node] < 0:
        return 0
    return 1 + max(_depth(tree, int(tree.left[node])), _depth(tree, int(tree.right[node])))


def _place(
    tree: Tree,
    node: int,
    pos: int,
    level: int,
    depth: int,
    feature: np.ndarray,
    threshold: np.ndarray,
    leaves: np.ndarray,
) -> None:
    """Copy `node` of `tree` to position `pos` of the complete tree (level-order numbering)."""
    if tree.left[node] < 0:  # a leaf: every complete-tree leaf below `pos` gets its value
        first, span = pos, 1
        for _ in range(depth - level):
            first, span = 2 * first + 1, span * 2
        start = first - (2**depth - 1)
        leaves[start : start + span] = tree.value[node]
        return
    feature[pos] = tree.feature[node]
    threshold[pos] = tree.threshold[node]
    for child, child_pos in ((tree.left[node], 2 * pos + 1), (tree.right[node], 2 * pos + 2)):
        _place(tree, int(child), child_pos, level + 1, depth, feature, threshold, leaves)


def from_gradient_boosting(estimator: Any, start: float) -> FlatForest | None:
    """scikit-learn GradientBoostingRegressor (single output), from its init value `start`."""
    if estimator.estimators_.shape[1] != 1:
        return None
    trees = []
    for member in estimator.estimators_[:, 0]:
        t = member.tree_
        trees.append(
            Tree(t.feature, t.threshold, t.children_left, t.children_right, t.value[:, 0, 0])
        )
    return FlatForest(trees, start, estimator.learning_rate, float32_inputs=True)


def from_lightgbm(booster: Any) -> FlatForest | None:
    """A LightGBM regression booster whose splits are all numeric `<=` without zero-as-missing
    (the leaf values include the learning rate; the sum starts at 0, like LightGBM's)."""
    dump = booster.dump_model()
    if dump.get("objective", "").split(" ")[0] not in {"regression", "huber", "fair"}:
        return None
    trees = []
    for info in dump["tree_info"]:
        tree = _lightgbm_tree(info["tree_structure"])
        if tree is None:
            return None
        trees.append(tree)
    return FlatForest(trees, 0.0, 1.0, float32_inputs=False)


def _lightgbm_tree(root: dict[str, Any]) -> Tree | None:
    feature: list[int] = []
    threshold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    value: list[float] = []
    todo = [(root, -1, False)]
    while todo:
        node, parent, is_right = todo.pop()
        i = len(feature)
        if parent >= 0:
            (right if is_right else left)[parent] = i
        if "leaf_value" in node:
            if node.get("leaf_coeff"):  # a linear tree
                return None
            feature.append(0)
            threshold.append(0.0)
            left.append(-1)
            right.append(-1)
            value.append(float(node["leaf_value"]))
            continue
        if node.get("decision_type") != "<=" or node.get("missing_type") not in {"None", "NaN"}:
            return None
        feature.append(int(node["split_feature"]))
        threshold.append(float(node["threshold"]))
        left.append(-1)
        right.append(-1)
        value.append(0.0)
        todo.append((node["right_child"], i, True))
        todo.append((node["left_child"], i, False))
    return Tree(
        np.array(feature, dtype=np.intp),
        np.array(threshold),
        np.array(left, dtype=np.intp),
        np.array(right, dtype=np.intp),
        np.array(value),
    )
