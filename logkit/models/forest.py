"""A fitted tree ensemble as plain arrays, scored in numpy (no pickle, no scikit-learn at scoring time).

scikit-learn fits the trees; :meth:`TreeArrays.from_sklearn` copies each tree's nodes (feature, threshold,
children, share of anomalous training items) into flat arrays, and :meth:`TreeArrays.predict` walks every
tree of a batch of rows at once, one level per numpy step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["TreeArrays"]

_KEYS = ("feature", "threshold", "left", "right", "value", "roots")


@dataclass
class TreeArrays:
    """The nodes of all trees, concatenated: ``roots[t]`` is tree ``t``'s first node, a leaf has
    ``left == -1``, ``value`` the anomalous share of the training items that reached a node."""

    feature: Any
    threshold: Any
    left: Any
    right: Any
    value: Any
    roots: Any
    depth: int

    @classmethod
    def from_sklearn(cls, trees: Sequence[Any]) -> TreeArrays:
        """From fitted scikit-learn trees (``estimators_`` of a forest) of a two-class problem."""
        import numpy as np

        feats, thrs, lefts, rights, vals, roots = [], [], [], [], [], []
        off, depth = 0, 0
        for est in trees:
            t = est.tree_
            n = t.node_count
            leaf = t.children_left < 0
            v = t.value[:, 0, :]
            pos = 1 if v.shape[1] > 1 else 0
            share = v[:, pos] / np.maximum(v.sum(axis=1), 1e-12)
            if v.shape[1] == 1 and list(est.classes_) == [0]:
                share = np.zeros(n)
            feats.append(np.where(leaf, 0, t.feature).astype(np.int32))
            thrs.append(t.threshold.astype(np.float64))
            lefts.append(np.where(leaf, -1, t.children_left + off).astype(np.int32))
            rights.append(np.where(leaf, -1, t.children_right + off).astype(np.int32))
            vals.append(share.astype(np.float64))
            roots.append(off)
            off += n
            depth = max(depth, int(t.max_depth))
        return cls(np.concatenate(feats), np.concatenate(thrs), np.concatenate(lefts), np.concatenate(rights),
                   np.concatenate(vals), np.asarray(roots, dtype=np.int32), depth)

    def votes(self, X: Any) -> Any:
        """Each tree's anomalous share for each row: shape ``(rows, trees)``."""
        import numpy as np

        X = np.asarray(X, dtype=np.float32)  # the trees split on float32 values, as scikit-learn compares
        node = np.broadcast_to(self.roots, (X.shape[0], len(self.roots))).copy()
        rows = np.arange(X.shape[0])[:, None]
        for _ in range(self.depth):
            left = self.left[node]
            inner = left >= 0
            if not inner.any():
                break
            go_left = X[rows, self.feature[node]] <= self.threshold[node]
            node = np.where(inner, np.where(go_left, left, self.right[node]), node)
        return self.value[node]

    def predict(self, X: Any) -> Any:
        """The mean of the trees' anomalous shares for each row."""
        return self.votes(X).mean(axis=1)

    def to_arrays(self, prefix: str) -> dict[str, Any]:
        """Arrays to save (names start with ``prefix``)."""
        import numpy as np

        out = {prefix + k: getattr(self, k) for k in _KEYS}
        out[prefix + "depth"] = np.asarray([self.depth])
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, Any], prefix: str) -> TreeArrays | None:
        """Inverse of :meth:`to_arrays` (None when the arrays are not there)."""
        if any(prefix + k not in arrays for k in _KEYS):
            return None
        a = {k: arrays[prefix + k] for k in _KEYS}
        return cls(a["feature"], a["threshold"], a["left"], a["right"], a["value"], a["roots"],
                   int(arrays[prefix + "depth"][0]))
