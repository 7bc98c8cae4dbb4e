"""How the Dask backend runs passes: tasks per block, a fixed-order tree, a client.

A pass is one task per row block plus, for sums, a tree of ``combine`` tasks whose
shape depends only on the number of blocks, so that float results do not depend on
which worker finished first. Tasks that keep state on a worker (labels, k-means||
distances) report where they ran, and the next pass asks for the same worker
(loosely: a missing worker is no error, the task rebuilds its state elsewhere).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import dask
import numpy as np
from dask import delayed

from kmeansx._backends import _dask_blocks as B

# Partial results combined per task of the reduction tree: one level (one round
# trip) up to 32 blocks, two up to 1024; each partial is only k * (d + 1) floats.
FANIN = 32


def current_client():
    """The ``distributed`` client in use, or None (then Dask's local scheduler runs)."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None


# Arrays up to this size travel inside every task that reads them.
SHARE_INLINE_BYTES = 64 * 2**10

# A block whose own graph pickles to more than this (for instance a slice of an
# in-memory array embedded in the graph) stays a task of its own.
INLINE_MAX_BYTES = 256 * 2**10


def block_sources(array) -> list:
    """One source per row block: the block's task, or its graph to run inline.

    Blocks already in the cluster's memory (a persisted array) are task results
    that the block tasks depend on; lazy blocks travel as their own small graph
    and are computed inside the task that reads them.
    """
    from dask.optimization import cull

    blocks = list(array.to_delayed(optimize_graph=True).ravel())
    if not blocks or _has_futures(array):
        return blocks
    graph = dict(blocks[0].dask)
    sources = []
    for block in blocks:
        inline = B.InlineBlock(cull(graph, [block.key])[0], block.key)
        sources.append(block if len(inline.blob) > INLINE_MAX_BYTES else inline)
    return sources


def _has_futures(collection) -> bool:
    try:
        from distributed import futures_of
    except ImportError:
        return False
    return bool(futures_of(collection))


def _identity(value):
    return value


@dataclass
class DaskData:
    """Prepared Dask input: row blocks as Delayed objects and what the fit needs."""

    array: object
    blocks: list
    weights: list | None
    counts: np.ndarray
    n_features: int
    dtype: np.dtype
    mean: np.ndarray
    mean_variance: float
    block_weight: np.ndarray
    exponent: int = 0  # the data is X * 2**exponent (see prepare)
    spherical: bool = False  # unit rows, read as they are (see prepare)

    @property
    def shift(self):
        """What block tasks subtract from their rows as they read them: the mean,
        in the data's dtype (None for spherical k-means' unit rows)."""
        return None if self.spherical else self.mean.astype(self.dtype)

    @property
    def n_samples(self) -> int:
        return int(self.counts.sum())

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.counts)[:-1]]).astype(np.int64)

    def weight(self, b: int):
        return None if self.weights is None else self.weights[b]


class Runner:
    """Submits passes to the current client (or the local scheduler) for one fit."""

    def __init__(self, client=None):
        self.client = client
        self.token = uuid.uuid4().hex[:12]
        self.pins: dict[int, str] = {}
        self._n = 0

    def name(self, what: str) -> str:
        self._n += 1
        return f"kmeansx-{what}-{self.token}-{self._n}"

    def state_key(self, what: str) -> tuple[str, str]:
        """The key of one kind of per-block state kept on the workers for this fit;
        a block's entry is ``(*key, block)``."""
        return (self.token, self.name(what))

    def forget(self, key: tuple[str, str]) -> None:
        """Drop one kind of per-block state from every worker."""
        self._drop(key)

    def share(self, value):
        """An array (centers, the mean) that every block task of a pass reads.

        A few kilobytes travel inside each task, which saves a round trip; a larger
        array becomes one task of the graph, sent once to the scheduler and once to
        each worker that needs it. Unlike scattered data, such a task can be
        recomputed: if every worker holding the centers dies, the scheduler runs it
        again instead of failing the fit.
        """
        if self.client is None or value is None or value.nbytes <= SHARE_INLINE_BYTES:
            return value
        return delayed(_identity, pure=False)(value, dask_key_name=self.name("arr"))

    def task(self, fn, *args, name: str, block: int | None = None):
        """A Delayed call of ``fn``, pinned (loosely) to where ``block`` last ran."""
        pin = self.pins.get(block) if block is not None else None
        if pin and self.client is not None:
            with dask.annotate(workers=[pin], allow_other_workers=True):
                return delayed(fn, pure=False)(*args, dask_key_name=name)
        return delayed(fn, pure=False)(*args, dask_key_name=name)

    def per_block(self, fn, data: DaskData, args_of, what: str, pinned=False):
        """One task per block: ``fn(block, weights, *args_of(b))``."""
        base = self.name(what)
        return [
            self.task(
                fn,
                x,
                data.weight(b),
                *args_of(b),
                name=f"{base}-{b}",
                block=b if pinned else None,
            )
            for b, x in enumerate(data.blocks)
        ]

    def tree(self, parts: list, what: str):
        """Combine partial results in a tree fixed by their number and order."""
        base = self.name(what)
        level = 0
        while len(parts) > 1:
            parts = [
                delayed(B.combine, pure=False)(
                    *parts[i : i + FANIN], dask_key_name=f"{base}-{level}-{i}"
                )
                for i in range(0, len(parts), FANIN)
            ]
            level += 1
        return parts[0]

    def compute(self, obj):
        """Compute a Delayed object or a list of them; results in the same order."""
        if self.client is None:
            return dask.compute(obj)[0]
        return self.client.compute(obj, sync=True)

    def follow(self, wheres: list[str]) -> None:
        """Pin each block to the worker that ran its last stateful task."""
        for b, address in enumerate(wheres):
            if address:
                self.pins[b] = address

    def close(self) -> None:
        """Drop this fit's state from every worker (or from this process)."""
        self._drop((self.token,))

    def _drop(self, prefix: tuple) -> None:
        if self.client is None:
            B.drop_state(prefix)
            return
        try:
            self.client.run(B.drop_state, prefix)
        except Exception:  # a worker lost meanwhile keeps no state anyway
            pass
