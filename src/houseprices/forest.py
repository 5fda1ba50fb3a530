"""Tree ensembles as numpy arrays: the serving hot path of the champion's tree members.

scikit-learn's gradient boosting visits its trees one Python object at a time: ~0.2 ms for
one row of the champion's 800 trees whatever the work per tree. `FlatForest` stores every
tree as a complete binary tree of the forest's depth (a shallower leaf is copied down),
evaluates every distinct split of the forest in one gather-and-compare, then walks all trees
a level at a time. The trees' outputs are summed in tree order, starting from the same value
as the library, one addition at a time (`np.cumsum`), so the result is the library's to the
last bit. 1 row: 0.05 vs 0.19 ms; the library wins from about 10 rows on (`max_rows`).

LightGBM's trees are smaller (`num_leaves` 4: at most three splits): `TableForest` reads
each tree's leaf from an 8-entry table indexed by its three split outcomes, faster than
LightGBM's own predict at every batch size (1 row 0.024 vs 0.055 ms, 1459 rows ~12 vs 69 ms
on one core), with the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


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

    #: batches up to this many rows only (measured crossover with scikit-learn: ~10-12 rows)
    max_rows: int | None = 9

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
        # distinct splits only (trees share many): padding nodes point at an extra split that
        # always goes left
        real = np.isfinite(threshold.ravel())
        pairs = np.rec.fromarrays([feature.ravel()[real], threshold.ravel()[real]])
        unique, inverse = np.unique(pairs, return_inverse=True)
        self.split_feature = np.append(unique["f0"], 0).astype(np.intp)
        self.split_threshold = np.append(unique["f1"], np.inf)
        node_split = np.full(real.size, len(unique), dtype=np.intp)
        node_split[real] = inverse.ravel()
        self.node_split = node_split
        self.leaves = leaves.ravel() * scale if scale != 1.0 else leaves.ravel()
        self.n_inner = n_inner
        self.tree_inner = np.arange(t_count) * n_inner
        self.tree_leaves = np.arange(t_count) * n_leaves

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32 if self.float32_inputs else np.float64)
        n = len(X)
        # every distinct split at once: 1 = go right (x <= threshold fails, NaN too)
        right = (~(np.take(X, self.split_feature, axis=1) <= self.split_threshold)).view(np.uint8)
        flat = right.ravel()
        rows = (np.arange(n) * right.shape[1])[:, None]
        pos = np.zeros((n, len(self.tree_inner)), dtype=np.intp)
        for _ in range(self.depth):
            split = np.take(self.node_split, self.tree_inner + pos)
            split += rows
            pos *= 2
            pos += 1
            pos += np.take(flat, split)
        pos += self.tree_leaves - self.n_inner
        return _sum_trees(np.take(self.leaves, pos).T.copy(), self.start)


class TableForest:
    """`start + sum(tree(x))` over trees of at most three splits (LightGBM with
    `num_leaves` <= 4), for rows of float64 features.

    The leaf a row reaches in such a tree is a function of the outcomes of its three splits:
    every distinct split of the forest is evaluated once, each tree reads its three outcomes
    as a 3-bit code and its leaf value from an 8-entry table: about half the array work of
    walking the trees level by level."""

    MAX_SPLITS = 3
    #: rows per block of work (bounds the temporary arrays: rows x trees)
    CHUNK_ROWS = 128
    #: it beats LightGBM at every batch size (1 row: 0.024 vs 0.055 ms; 1459 rows: ~11 ms vs
    #: 69 ms on one thread, 34 ms on two)
    max_rows: int | None = None

    def __init__(self, trees: Sequence[Tree], start: float) -> None:
        self.start = float(start)
        pairs: dict[tuple[int, float], int] = {}
        slots = np.zeros((len(trees), self.MAX_SPLITS), dtype=np.intp)
        table = np.zeros((len(trees), 2**self.MAX_SPLITS))
        for t, tree in enumerate(trees):
            inner = [int(i) for i in np.flatnonzero(tree.left >= 0)]
            for k, node in enumerate(inner):
                key = (int(tree.feature[node]), float(tree.threshold[node]))
                slots[t, k] = pairs.setdefault(key, len(pairs))
            slot_of = {node: k for k, node in enumerate(inner)}
            for code in range(2**self.MAX_SPLITS):
                node = 0
                while tree.left[node] >= 0:
                    goes_left = (code >> (self.MAX_SPLITS - 1 - slot_of[node])) & 1
                    node = int(tree.left[node] if goes_left else tree.right[node])
                table[t, code] = tree.value[node]
        # unused slots read an extra split that always goes left (x <= inf); the table
        # ignores them anyway
        always = len(pairs)
        for t, tree in enumerate(trees):
            slots[t, int((tree.left >= 0).sum()) :] = always
        self.split_feature = np.array([f for f, _ in pairs] + [0], dtype=np.intp)
        self.split_threshold = np.array([v for _, v in pairs] + [np.inf])
        self.slots = [np.ascontiguousarray(slots[:, k]) for k in range(self.MAX_SPLITS)]
        self.table = table.ravel()
        self.tree_table_col = (np.arange(len(trees)) * 2**self.MAX_SPLITS)[:, None]

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if len(X) <= self.CHUNK_ROWS:
            return self._predict(X)
        return np.concatenate(
            [self._predict(X[i : i + self.CHUNK_ROWS]) for i in range(0, len(X), self.CHUNK_ROWS)]
        )

    def _predict(self, X: np.ndarray) -> np.ndarray:
        # trees x rows: every row's sum then runs down the tree axis (see _sum_trees)
        left = np.ascontiguousarray(
            (np.take(X, self.split_feature, axis=1) <= self.split_threshold).view(np.uint8).T
        )
        code = np.take(left, self.slots[0], axis=0) * np.intp(4)
        code += self.tree_table_col
        code += np.take(left, self.slots[1], axis=0) * np.intp(2)
        code += np.take(left, self.slots[2], axis=0)
        return _sum_trees(np.take(self.table, code), self.start)


def _sum_trees(values: np.ndarray, start: float) -> np.ndarray:
    """Per column of a trees x rows array: ((start + v0) + v1) + ... one addition at a time,
    as the libraries sum their trees (`values` is a scratch array, changed in place). A
    reduction over the outer axis adds row after row of the array, so each column is summed
    in order; a single column is summed by cumsum (reduced alone it would be summed
    pairwise). Four times faster than a cumsum of rows x trees for 128 rows."""
    values[0] += start
    if values.shape[1] == 1:
        return np.cumsum(values[:, 0])[-1:]
    return np.add.reduce(values, axis=0)


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


def from_lightgbm(booster: Any) -> TableForest | None:
    """A LightGBM regression booster of trees with at most three splits, all numeric `<=`
    without zero-as-missing (the leaf values include the learning rate; the sum starts at 0,
    like LightGBM's). None for anything else: the library predicts."""
    dump = booster.dump_model()
    if dump.get("objective", "").split(" ")[0] not in {"regression", "huber", "fair"}:
        return None
    trees = []
    for info in dump["tree_info"]:
        tree = _lightgbm_tree(info["tree_structure"])
        if tree is None:
            return None
        trees.append(tree)
    if max(int((tree.left >= 0).sum()) for tree in trees) > TableForest.MAX_SPLITS:
        return None
    return TableForest(trees, 0.0)


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


#: what `from_*` return
Compiled = FlatForest | TableForest
