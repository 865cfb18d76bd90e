"""Fills the zygote's partly used pymalloc pools before it forks sessions.

CPython hands out small objects (up to 512 bytes) from 16 KiB pools, one size class per pool, and
a new object goes into a pool of its class that still has free blocks. Right after the zygote's
imports, hundreds of such pools with a few free blocks each are scattered over its heap. A forked
session's first allocations would land in them, one here, one there, and every one copies a page
(and often the pool header's page too) of the zygote's shared memory into the session.

Filling those free blocks with objects the zygote keeps for its whole life sends a session's new
objects to fresh pools instead, packed next to each other. The filler takes only blocks that were
already free inside pages the zygote holds anyway.
"""

import os
import sys

# A bytes object of length n takes this many bytes more than n (header and trailing NUL), so one
# of length size - BYTES_OVERHEAD fills a block of exactly `size`.
BYTES_OVERHEAD = sys.getsizeof(b"x") - 1
# Kept for the zygote's life: what fill_partly_used_pools() placed in the free blocks.
FILLER = []


def free_blocks_by_size(stats):
    """{block size: free blocks in pools in use} from the text sys._debugmallocstats() writes:
    its table's rows are five integers (class, size, pools, blocks in use, free blocks). Any
    other text yields no rows, so the filler then does nothing."""
    free = {}
    for line in stats.splitlines():
        parts = line.split()
        if len(parts) == 5 and all(part.isdigit() for part in parts):
            free[int(parts[1])] = int(parts[4])
    return free


def malloc_stats():
    """What sys._debugmallocstats() writes to the C-level stderr (fd 2), or "" without pymalloc."""
    if not hasattr(sys, "_debugmallocstats"):
        return ""
    out = os.memfd_create("mallocstats")
    saved = os.dup(2)
    try:
        os.dup2(out, 2)
        sys._debugmallocstats()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    os.lseek(out, 0, os.SEEK_SET)
    with open(out, "rb") as f:
        return f.read().decode("ascii", "replace")


def filler(size, count):
    """`count` distinct objects that each take one block of `size` bytes, in a list allocated at
    its full length (a growing list would free its smaller arrays, leaving new free blocks)."""
    if size >= BYTES_OVERHEAD + 2:  # a one-byte bytes object is a shared singleton
        make = (lambda _i, length=size - BYTES_OVERHEAD: b"x" * length)
    elif size == 32:
        make = (lambda i: 2 ** 29 + i)  # an int of one 30-bit digit (28 bytes), never a cached one
    else:
        return []  # 16-byte blocks: no Python object is that small
    blocks = [None] * count
    for i in range(count):
        blocks[i] = make(i)
    return blocks


def fill_partly_used_pools():
    """Takes every free block of the pools in use, for as long as the process lives. Returns how
    many blocks it took. The lists holding them open pools of their own, which stay fresh."""
    taken = 0
    for size, count in free_blocks_by_size(malloc_stats()).items():
        blocks = filler(size, count)
        FILLER.append(blocks)
        taken += len(blocks)
    return taken
