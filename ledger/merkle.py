"""The global append-only Merkle log of DESIGN.md §4, layer 2, as specified by RFC 6962 §2.1 and RFC 9162 §2.1.

Leaves and interior nodes are hashed with different one-byte prefixes, so an interior node can never be passed off
as a leaf (the second-preimage attack on naive Merkle trees). A tree of n leaves splits at the largest power of two
below n, so the left part of the tree never changes as the log grows: that is what lets a later checkpoint prove it
extends an earlier one.

Three parts:
- `MerkleLog`, the incremental tree the ledger appends to. It keeps only the frontier, so its memory does not grow
  with the log and it can be saved with a checkpoint and resumed later.
- proof functions over an in-memory list of leaf data (the reference), and their verifiers;
- the same proofs over a stream of leaf hashes, as the ledger reads them from storage a batch at a time: one pass
  that keeps only the O(log n) subtrees the proof needs. Generators raise `ValueError` on
  arguments that make no sense (a caller's bug); verifiers judge claims made by someone else, so they answer only
  True or False: a malformed claim is a rejected claim, never an exception.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from itertools import islice

HASH_SIZE = 32
"""Bytes in every hash of the tree (SHA-256)."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()
"""MTH({}): the root of a log with no leaves (RFC 6962 §2.1)."""


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the prefix keeps a leaf from ever equalling an interior node."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): an interior node, domain-separated from leaves."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


class MerkleLog:
    """An append-only Merkle tree that remembers only the roots of its perfect subtrees (its frontier).

    A log of n leaves is a row of perfect subtrees, one per 1 bit of n, largest first (a compact range over
    [0, n)). Appending a leaf works like adding 1 in binary: the new leaf merges with every subtree of its own height,
    carrying upwards. So an append costs at most log2(n) node hashes and two hashes on average, and the log holds
    one hash per 1 bit of its size however long it grows.
    """

    __slots__ = ("_frontier", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._frontier: list[bytes] = []

    @classmethod
    def from_frontier(cls, size: int, frontier: Sequence[bytes]) -> MerkleLog:
        """Resume a log saved at a checkpoint from its size and `frontier()`.

        The frontier has exactly one hash per 1 bit of the size; anything else is a corrupt or mismatched save, and
        resuming from it would silently produce roots that no earlier checkpoint is consistent with.
        """
        if size < 0:
            raise ValueError(f"a log cannot have a negative size, got {size}")
        expected = size.bit_count()
        if len(frontier) != expected:
            raise ValueError(
                f"a log of {size} leaves has {expected} frontier hashes (one per 1 bit of the size), "
                f"got {len(frontier)}: the saved size and frontier do not belong together"
            )
        for node in frontier:
            _require_hash(node, "frontier hash")
        log = cls()
        log._size = size
        log._frontier = list(frontier)
        return log

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    def append(self, data: bytes) -> None:
        """Append one leaf given as its data (in the ledger, a record hash)."""
        self.extend_leaf_hashes((leaf_hash(data),))

    def append_leaf_hash(self, h: bytes) -> None:
        """Append one leaf given as its already computed `leaf_hash`."""
        _require_hash(h, "leaf hash")
        self.extend_leaf_hashes((h,))

    def extend_leaf_hashes(self, hashes: Iterable[bytes]) -> None:
        """Append leaves given as their `leaf_hash`es, in order: the verifier's hot path, a million times a run.

        Each trailing 1 bit of the size is a perfect subtree as tall as the new node: merge them, as a binary carry.
        Lengths are not checked here: a hash of the wrong length read from a tampered row only changes the root.
        """
        frontier, size, sha256 = self._frontier, self._size, hashlib.sha256
        for leaf in hashes:
            node, carry = leaf, size
            while carry & 1:
                node = sha256(_NODE_PREFIX + frontier.pop() + node).digest()  # node_hash, inlined
                carry >>= 1
            frontier.append(node)
            size += 1
        self._size = size

    def root(self) -> bytes:
        """MTH of all leaves so far (RFC 6962 §2.1): the frontier folded from the right, smallest subtree first."""
        frontier, sha256 = self._frontier, hashlib.sha256
        if not frontier:
            return EMPTY_ROOT
        root = frontier[-1]
        for left in reversed(frontier[:-1]):  # the verifier folds a root at every checkpoint: node_hash, inlined
            root = sha256(_NODE_PREFIX + left + root).digest()
        return root

    def frontier_bytes(self) -> bytes:
        """The frontier as one string of hashes, as a checkpoint row stores it."""
        return b"".join(self._frontier)

    def frontier(self) -> list[bytes]:
        """The roots of the perfect subtrees, largest (leftmost) first: what a checkpoint saves to resume from."""
        return list(self._frontier)

    def __repr__(self) -> str:
        return f"MerkleLog(size={self._size}, root={self.root().hex()})"


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 §2.1 over leaf data, computed directly from the definition (the reference)."""
    if not leaves:
        return EMPTY_ROOT
    return _subtree_root(_leaf_hashes(leaves, len(leaves)), 0, len(leaves))


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) of RFC 6962 §2.1.1: the sibling hashes from the leaf up to the root, bottom first."""
    _require_tree_size(size, len(leaves), "size")
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of {size} leaves (need 0 <= index < size)")
    return _path(_leaf_hashes(leaves, size), index, 0, size)


def consistency_proof(leaves: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[new_size]) of RFC 6962 §2.1.2: what shows the old tree is a prefix of the new one.

    The empty tree is a prefix of every tree and a tree is a prefix of itself, so both need no hashes.
    """
    _require_tree_size(new_size, len(leaves), "new_size")
    if not 0 <= old_size <= new_size:
        raise ValueError(
            f"old_size {old_size} cannot precede new_size {new_size} (need 0 <= old_size <= new_size): a log only grows"
        )
    if old_size in {0, new_size}:
        return []
    return _subproof(_leaf_hashes(leaves, new_size), old_size, 0, new_size, old_root_known=True)


def verify_inclusion(leaf_data: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether `proof` shows the leaf with this data at `index` in the tree of `size` leaves with `root`."""
    return verify_leaf_hash_inclusion(leaf_hash(leaf_data), index, size, proof, root)


def verify_leaf_hash_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether `proof` shows the leaf with this `leaf_hash` at `index` in the tree of `size` leaves with `root`.

    RFC 9162 §2.1.3.2. `fn` is the node's index and `sn` the last index on its level; the proof must be used up
    exactly when `sn` reaches 0, the root's level, so a proof one hash too long or too short fails.
    """
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = _skip_levels_without_sibling(fn, sn)
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """Whether `proof` shows the tree (old_size, old_root) is a prefix of the tree (new_size, new_root).

    RFC 9162 §2.1.4.2 for 0 < old_size < new_size. Equal sizes need an empty proof and equal roots. The empty tree
    is a prefix of every tree, but its root must still be EMPTY_ROOT: a checkpoint of size 0 with any other root is
    forged (stricter than transparency-dev/merkle, which accepts any old root for size 0).
    """
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root and (old_size > 0 or old_root == EMPTY_ROOT)
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    # When the old tree is a perfect subtree, the proof omits its root: the verifier already has it.
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    return _rebuild_both_roots(old_size, new_size, path) == (old_root, new_root)


def inclusion_proof_from_leaf_hashes(leaf_hashes: Iterable[bytes], index: int, size: int) -> list[bytes]:
    """`inclusion_proof` over the first `size` of a stream of leaf hashes, read once, keeping O(log size) hashes."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of {size} leaves (need 0 <= index < size)")
    siblings: list[tuple[int, int]] = []  # from the root down, the sibling range at each split on the way to the leaf
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            siblings.append((mid, hi))
            hi = mid
        else:
            siblings.append((lo, mid))
            lo = mid
    roots = _range_roots(leaf_hashes, siblings, size)
    return [roots[sibling] for sibling in reversed(siblings)]  # bottom first


def consistency_proof_from_leaf_hashes(leaf_hashes: Iterable[bytes], old_size: int, new_size: int) -> list[bytes]:
    """`consistency_proof` over the first `new_size` of a stream of leaf hashes, read once, keeping O(log) hashes."""
    if not 0 <= old_size <= new_size:
        raise ValueError(
            f"old_size {old_size} cannot precede new_size {new_size} (need 0 <= old_size <= new_size): a log only grows"
        )
    if old_size in {0, new_size}:
        return []
    ranges: list[tuple[int, int]] = []  # SUBPROOF's subtrees from the root down, as `_subproof` adds them
    m, lo, hi, old_root_known = old_size, 0, new_size, True
    while m != hi - lo:
        mid = lo + _split(hi - lo)
        if m <= mid - lo:
            ranges.append((mid, hi))
            hi = mid
        else:
            ranges.append((lo, mid))
            m, lo, old_root_known = m - (mid - lo), mid, False
    if not old_root_known:
        ranges.append((lo, hi))
    roots = _range_roots(leaf_hashes, ranges, new_size)
    return [roots[subtree] for subtree in reversed(ranges)]  # innermost first, as SUBPROOF returns them


def _range_roots(
    leaf_hashes: Iterable[bytes], ranges: Iterable[tuple[int, int]], size: int
) -> dict[tuple[int, int], bytes]:
    """The root of each of these disjoint leaf ranges, from one pass over the first `size` leaf hashes."""
    pending = sorted(ranges)
    roots: dict[tuple[int, int], bytes] = {}
    log, index, current = MerkleLog(), 0, 0
    for leaf in islice(leaf_hashes, size):
        while current < len(pending) and index >= pending[current][1]:
            current += 1
        if current < len(pending) and pending[current][0] <= index:
            log.extend_leaf_hashes((leaf,))
            if index == pending[current][1] - 1:
                roots[pending[current]] = log.root()
                log = MerkleLog()
        index += 1
    if index < size:
        raise ValueError(f"a tree of {size} leaves needs {size} leaf hashes, got {index}")
    return roots


def _rebuild_both_roots(old_size: int, new_size: int, path: Sequence[bytes]) -> tuple[bytes, bytes] | None:
    """Steps 3-7 of RFC 9162 §2.1.4.2: the old and new roots the path implies, or None if its length is wrong.

    Hashes left of the old tree's right edge feed both roots; hashes right of it feed only the new root.
    """
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            fn, sn = _skip_levels_without_sibling(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return (fr, sr) if sn == 0 else None


def _skip_levels_without_sibling(fn: int, sn: int) -> tuple[int, int]:
    """Climb past the levels where a node on the tree's right edge has no sibling (the tree is not perfect).

    RFC 9162: "right-shift both fn and sn equally until either LSB(fn) is set or fn is equal to 0".
    """
    while fn and not fn & 1:
        fn >>= 1
        sn >>= 1
    return fn, sn


def _split(n: int) -> int:
    """The largest power of two below n (n > 1): where RFC 6962 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def _leaf_hashes(leaves: Sequence[bytes], size: int) -> list[bytes]:
    return [leaf_hash(data) for data in leaves[:size]]


def _subtree_root(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) from the leaf hashes, for 0 <= lo < hi."""
    if hi - lo == 1:
        return hashes[lo]
    mid = lo + _split(hi - lo)
    return node_hash(_subtree_root(hashes, lo, mid), _subtree_root(hashes, mid, hi))


def _path(hashes: Sequence[bytes], index: int, lo: int, hi: int) -> list[bytes]:
    """PATH(index - lo, D[lo:hi]) of RFC 6962 §2.1.1, on indices into one list instead of copied slices."""
    if hi - lo == 1:
        return []
    mid = lo + _split(hi - lo)
    if index < mid:
        return [*_path(hashes, index, lo, mid), _subtree_root(hashes, mid, hi)]
    return [*_path(hashes, index, mid, hi), _subtree_root(hashes, lo, mid)]


def _subproof(hashes: Sequence[bytes], m: int, lo: int, hi: int, *, old_root_known: bool) -> list[bytes]:
    """SUBPROOF(m, D[lo:hi], b) of RFC 6962 §2.1.2, with b named for what it means.

    `old_root_known` stays True while D[lo:lo+m] is the whole old tree, whose root the verifier already holds.
    """
    if m == hi - lo:
        return [] if old_root_known else [_subtree_root(hashes, lo, hi)]
    mid = lo + _split(hi - lo)
    if m <= mid - lo:
        return [*_subproof(hashes, m, lo, mid, old_root_known=old_root_known), _subtree_root(hashes, mid, hi)]
    return [*_subproof(hashes, m - (mid - lo), mid, hi, old_root_known=False), _subtree_root(hashes, lo, mid)]


def _require_tree_size(size: int, available: int, name: str) -> None:
    if not 0 <= size <= available:
        raise ValueError(f"{name} {size} is not a tree over the {available} leaves given (need 0 <= {name} <= len)")


def _require_hash(h: bytes, what: str) -> None:
    if len(h) != HASH_SIZE:
        raise ValueError(f"a {what} is {HASH_SIZE} bytes (SHA-256), got {len(h)}")
