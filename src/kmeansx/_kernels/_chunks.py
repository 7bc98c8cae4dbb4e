"""Fixed chunk sizes, so that parallel reductions do not depend on the thread count."""

from __future__ import annotations

# Rows per block handed to one distance computation: small enough that a block of
# distances stays in cache, large enough that a BLAS call pays for itself.
BLOCK_ROWS = 256

# Upper bound on the per-chunk partial sums kept during one Lloyd pass.
PARTIAL_SUMS_BUDGET_BYTES = 32 * 2**20
MAX_CHUNKS = 64


def chunk_size_for(n_samples: int, n_clusters: int, n_features: int) -> int:
    """Rows per chunk: a function of the problem's shape only, never of the threads.

    Each chunk owns one slot of partial sums (``n_clusters * (n_features + 1)``
    float64), and the slots are added in chunk order, so results are bit-for-bit the
    same whatever the number of threads.
    """
    per_chunk = 8 * max(n_clusters, 1) * (n_features + 1)
    max_chunks = max(1, min(MAX_CHUNKS, PARTIAL_SUMS_BUDGET_BYTES // per_chunk))
    size = -(-max(n_samples, 1) // max_chunks)
    return max(BLOCK_ROWS, -(-size // BLOCK_ROWS) * BLOCK_ROWS)


def n_chunks_for(n_samples: int, chunk_size: int) -> int:
    return max(1, -(-n_samples // chunk_size))
