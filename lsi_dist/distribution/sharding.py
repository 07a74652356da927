"""Cutting a batch into contiguous shards, sized by each actor's speed."""

import numpy as np

from lsi_dist.evaluation import MIN_SHARD_ROWS


def plan_shards(rows, speeds, min_rows=MIN_SHARD_ROWS):
    """Splits ``rows`` into contiguous shards, one per chosen actor.

    Shard sizes are proportional to the actors' speeds (rows per second), and
    no shard is smaller than ``min_rows`` unless the whole batch is: a small
    batch goes to fewer, faster actors. This keeps results bitwise independent
    of the number of actors (see :mod:`lsi_dist.evaluation`).

    Args:
        rows: Number of rows in the batch, >= 0.
        speeds: One positive speed per available actor.
        min_rows: The smallest shard to cut.

    Returns:
        list[tuple[int, int, int]]: ``(actor_index, start, stop)`` in row order;
        empty for an empty batch.
    """
    speeds = np.asarray(speeds, dtype=float)
    if len(speeds) == 0:
        raise ValueError("plan_shards needs at least one actor speed.")
    if rows <= 0:
        return []
    # The fastest actors take the work (ties keep the actors' order); an actor
    # too slow to earn min_rows of a proportional split is left out.
    by_speed = np.argsort(-speeds, kind="stable")
    count = int(min(len(speeds), max(1, rows // min_rows)))
    while count > 1:
        weights = speeds[by_speed[:count]]
        if rows * weights.min() / weights.sum() >= min_rows:
            break
        count -= 1
    chosen = np.sort(by_speed[:count])
    weights = speeds[chosen]
    share = rows * weights / weights.sum()
    sizes = np.floor(share).astype(int)
    # Largest remainders take the rows that rounding down left over.
    leftover = rows - sizes.sum()
    sizes[np.argsort(-(share - sizes), kind="stable")[:leftover]] += 1

    plan, start = [], 0
    for actor, size in zip(chosen, sizes):
        plan.append((int(actor), start, start + int(size)))
        start += int(size)
    return plan
