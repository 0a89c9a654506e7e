"""The Merkle log of DESIGN.md §4, layer 2: RFC 6962 trees and proofs, RFC 9162 verifiers.

Known answers come from transparency-dev/merkle (the Go library behind Trillian and the CT Go tools), each cited
where it is used. The properties below them hold for every size and index we can afford to try, and the tampering
tests check them against a small model of RFC 6962 written on leaf ranges instead of hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import pytest

from ledger.merkle import (
    EMPTY_ROOT,
    MerkleLog,
    consistency_proof,
    consistency_proof_from_leaf_hashes,
    inclusion_proof,
    inclusion_proof_from_leaf_hashes,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
    verify_leaf_hash_inclusion,
)

Range = tuple[int, int]


def hexes(*values: str) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


# ---------------------------------------------------------------------------------------------------------------
# Known answers
# ---------------------------------------------------------------------------------------------------------------

# transparency-dev/merkle testonly/constants.go, LeafInputs(): the leaves of google/certificate-transparency's
# merkle_tree_test, used across the CT ecosystem.
LEAVES = hexes(
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)

# transparency-dev/merkle testonly/constants.go, RootHashes(): ROOTS[n] is the root of the first n LEAVES.
ROOTS = hexes(
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)

# transparency-dev/merkle testonly/constants.go, NodeHashes(): NODES[level][i] is the root of the perfect subtree
# over LEAVES[i * 2**level : (i + 1) * 2**level]; level 0 holds the leaf hashes.
NODES = [
    hexes(
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ),
    hexes(
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ),
    hexes(
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ),
    hexes("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# transparency-dev/merkle testonly/constants.go, CompactTrees(): the frontier after 0..8 LEAVES, as (level, i) in NODES.
FRONTIERS = [
    [],
    [(0, 0)],
    [(1, 0)],
    [(1, 0), (0, 2)],
    [(2, 0)],
    [(2, 0), (0, 4)],
    [(2, 0), (1, 2)],
    [(2, 0), (1, 2), (0, 6)],
    [(3, 0)],
]

# transparency-dev/merkle proof/verify_test.go, `inclusionProofs` (its leaf numbers count from 1, ours from 0):
# (index, size, proof) over LEAVES.
INCLUSION_VECTORS = [
    (0, 1, []),
    (
        0,
        8,
        hexes(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        5,
        8,
        hexes(
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (2, 3, hexes("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (
        1,
        5,
        hexes(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
]

# transparency-dev/merkle proof/verify_test.go, `consistencyProofs`: (old_size, new_size, proof) over LEAVES.
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        hexes(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        hexes(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (
        2,
        5,
        hexes(
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
    (
        6,
        7,
        hexes(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
]

# transparency-dev/merkle proof/proof_test.go, TestInclusion: which subtrees a proof holds, independent of the data.
# Its node IDs (level, i) are written here as leaf ranges [i * 2**level, (i + 1) * 2**level); a "rehash" of several
# IDs is the one subtree they form, e.g. l = hash(i, j) = [4, 7). (size, index, ranges).
INCLUSION_SHAPES = [
    (1, 0, []),
    (2, 0, [(1, 2)]),
    (2, 1, [(0, 1)]),
    (3, 1, [(0, 1), (2, 3)]),
    (7, 0, [(1, 2), (2, 4), (4, 7)]),
    (7, 1, [(0, 1), (2, 4), (4, 7)]),
    (7, 2, [(3, 4), (0, 2), (4, 7)]),
    (7, 3, [(2, 3), (0, 2), (4, 7)]),
    (7, 4, [(5, 6), (6, 7), (0, 4)]),
    (7, 5, [(4, 5), (6, 7), (0, 4)]),
    (7, 6, [(4, 6), (0, 4)]),
    (4, 2, [(3, 4), (0, 2)]),
    (5, 3, [(2, 3), (0, 2), (4, 5)]),
    (6, 3, [(2, 3), (0, 2), (4, 6)]),
    (6, 4, [(5, 6), (0, 4)]),
    (15, 10, [(11, 12), (8, 10), (12, 15), (0, 8)]),
    (31, 24, [(25, 26), (26, 28), (28, 31), (16, 24), (0, 16)]),
    (95, 81, [(80, 81), (82, 84), (84, 88), (88, 95), (64, 80), (0, 64)]),
]

# transparency-dev/merkle proof/proof_test.go, TestConsistency, written as above: (old_size, new_size, ranges).
CONSISTENCY_SHAPES = [
    (1, 2, [(1, 2)]),
    (1, 4, [(1, 2), (2, 4)]),
    (1, 6, [(1, 2), (2, 4), (4, 6)]),
    (2, 3, [(2, 3)]),
    (2, 8, [(2, 4), (4, 8)]),
    (3, 7, [(2, 3), (3, 4), (0, 2), (4, 7)]),
    (4, 7, [(4, 7)]),
    (5, 7, [(4, 5), (5, 6), (6, 7), (0, 4)]),
    (6, 7, [(4, 6), (6, 7), (0, 4)]),
    (7, 8, [(6, 7), (7, 8), (4, 6), (0, 4)]),
    (2, 4, [(2, 4)]),
    (3, 5, [(2, 3), (3, 4), (0, 2), (4, 5)]),
    (3, 6, [(2, 3), (3, 4), (0, 2), (4, 6)]),
    (4, 6, [(4, 6)]),
    (1, 7, [(1, 2), (2, 4), (4, 7)]),
    (10, 15, [(8, 10), (10, 12), (12, 15), (0, 8)]),
    (24, 31, [(16, 24), (24, 31), (0, 16)]),
    (81, 95, [(80, 81), (81, 82), (82, 84), (84, 88), (88, 95), (64, 80), (0, 64)]),
    *((size, size, []) for size in (1, 2, 3, 4, 5, 7, 8)),
]

# In the ledger each leaf is a 32-byte record hash.
RECORDS = [hashlib.sha256(f"record {i}".encode()).digest() for i in range(300)]
STRANGER = hashlib.sha256(b"a hash from some other tree").digest()


def subtrees(leaves: Sequence[bytes], ranges: Sequence[Range]) -> list[bytes]:
    return [root_of(leaves[lo:hi]) for lo, hi in ranges]


class TestHashes:
    """transparency-dev/merkle rfc6962/rfc6962_test.go, TestRFC6962Hasher."""

    def test_the_empty_tree_hashes_to_sha256_of_nothing(self) -> None:
        assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    def test_an_empty_leaf_is_not_the_empty_tree(self) -> None:
        assert leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"

    def test_a_leaf_is_hashed_behind_a_zero_byte(self) -> None:
        assert leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"

    def test_a_node_is_hashed_behind_a_one_byte(self) -> None:
        assert node_hash(b"N123", b"N456").hex() == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"

    def test_a_node_cannot_pass_for_a_leaf_of_its_two_children(self) -> None:
        left, right = leaf_hash(b"Hello"), leaf_hash(b"World")

        assert node_hash(left, right) != leaf_hash(left + right)
        assert node_hash(left, right) != node_hash(right, left)


class TestKnownAnswers:
    @pytest.mark.parametrize("size", range(len(ROOTS)))
    def test_the_root_of_the_first_n_leaves_is_the_published_one(self, size: int) -> None:
        assert root_of(LEAVES[:size]) == ROOTS[size]

    def test_the_leaf_hashes_are_the_published_ones(self) -> None:
        assert [leaf_hash(data) for data in LEAVES] == NODES[0]

    @pytest.mark.parametrize("size", range(len(FRONTIERS)))
    def test_the_log_grown_leaf_by_leaf_has_the_published_root_and_frontier(self, size: int) -> None:
        log = MerkleLog()
        for data in LEAVES[:size]:
            log.append(data)

        assert log.root() == ROOTS[size]
        assert log.frontier() == [NODES[level][i] for level, i in FRONTIERS[size]]

    @pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
    def test_inclusion_proofs_are_the_published_ones_and_verify(
        self, index: int, size: int, proof: list[bytes]
    ) -> None:
        assert inclusion_proof(LEAVES, index, size) == proof
        assert verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])

    @pytest.mark.parametrize(("old_size", "new_size", "proof"), CONSISTENCY_VECTORS)
    def test_consistency_proofs_are_the_published_ones_and_verify(
        self, old_size: int, new_size: int, proof: list[bytes]
    ) -> None:
        assert consistency_proof(LEAVES, old_size, new_size) == proof
        assert verify_consistency(old_size, new_size, ROOTS[old_size], ROOTS[new_size], proof)

    @pytest.mark.parametrize(("size", "index", "ranges"), INCLUSION_SHAPES)
    def test_an_inclusion_proof_holds_the_published_subtrees(self, size: int, index: int, ranges: list[Range]) -> None:
        assert inclusion_proof(RECORDS, index, size) == subtrees(RECORDS, ranges)

    @pytest.mark.parametrize(("old_size", "new_size", "ranges"), CONSISTENCY_SHAPES)
    def test_a_consistency_proof_holds_the_published_subtrees(
        self, old_size: int, new_size: int, ranges: list[Range]
    ) -> None:
        assert consistency_proof(RECORDS, old_size, new_size) == subtrees(RECORDS, ranges)


class TestMerkleLog:
    def test_an_empty_log_has_the_empty_root(self) -> None:
        log = MerkleLog()

        assert (log.size, log.root(), log.frontier()) == (0, EMPTY_ROOT, [])

    def test_after_every_append_up_to_300_the_root_is_the_reference_root(self) -> None:
        log = MerkleLog()
        for size, data in enumerate(RECORDS, start=1):
            log.append(data)

            assert log.size == size
            assert log.root() == root_of(RECORDS[:size])

    def test_the_frontier_holds_one_hash_per_1_bit_of_the_size(self) -> None:
        log = MerkleLog()
        for size, data in enumerate(RECORDS, start=1):
            log.append(data)

            assert len(log.frontier()) == size.bit_count()

    def test_appending_a_leaf_hash_is_appending_its_data(self) -> None:
        by_data, by_hash = MerkleLog(), MerkleLog()
        for data in RECORDS[:37]:
            by_data.append(data)
            by_hash.append_leaf_hash(leaf_hash(data))

        assert by_hash.frontier() == by_data.frontier()
        assert by_hash.root() == by_data.root()

    def test_a_log_resumed_from_any_checkpoint_grows_into_the_same_tree(self) -> None:
        final = root_of(RECORDS[:100])
        for saved_at in range(101):
            log = MerkleLog()
            for data in RECORDS[:saved_at]:
                log.append(data)

            resumed = MerkleLog.from_frontier(log.size, log.frontier())
            assert (resumed.size, resumed.root()) == (saved_at, log.root())
            for data in RECORDS[saved_at:100]:
                resumed.append(data)
            assert resumed.root() == final

    def test_the_frontier_handed_out_is_a_copy(self) -> None:
        log = MerkleLog()
        log.append(b"a")
        root = log.root()

        log.frontier().clear()

        assert log.root() == root

    @pytest.mark.parametrize(("size", "count"), [(0, 1), (1, 0), (3, 1), (4, 2), (7, 2), (8, 3)])
    def test_a_frontier_that_does_not_match_its_size_is_refused(self, size: int, count: int) -> None:
        with pytest.raises(ValueError, match="frontier hashes"):
            MerkleLog.from_frontier(size, [STRANGER] * count)

    def test_a_negative_size_is_refused(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            MerkleLog.from_frontier(-1, [])

    def test_a_frontier_hash_of_the_wrong_length_is_refused(self) -> None:
        with pytest.raises(ValueError, match="32 bytes"):
            MerkleLog.from_frontier(3, [STRANGER, STRANGER[:31]])

    def test_a_leaf_hash_of_the_wrong_length_is_refused(self) -> None:
        with pytest.raises(ValueError, match="32 bytes"):
            MerkleLog().append_leaf_hash(b"record data, not its hash")


class TestProofsForEveryTree:
    def test_every_leaf_of_every_tree_up_to_70_leaves_is_proven_included(self) -> None:
        for size in range(1, 71):
            root = root_of(RECORDS[:size])
            for index in range(size):
                proof = inclusion_proof(RECORDS, index, size)

                assert verify_inclusion(RECORDS[index], index, size, proof, root), (index, size)

    def test_every_tree_up_to_40_leaves_is_proven_consistent_with_each_earlier_one(self) -> None:
        roots = [root_of(RECORDS[:size]) for size in range(41)]
        for new_size in range(41):
            for old_size in range(new_size + 1):
                proof = consistency_proof(RECORDS, old_size, new_size)

                assert verify_consistency(old_size, new_size, roots[old_size], roots[new_size], proof), (
                    old_size,
                    new_size,
                )


class TestProofsFromAStreamOfLeafHashes:
    """What the ledger builds from its stored hashes, read once in log order: the reference proofs, exactly."""

    def test_every_inclusion_proof_up_to_70_leaves_is_the_reference_one_and_verifies(self) -> None:
        hashes = [leaf_hash(record) for record in RECORDS]
        for size in range(1, 71):
            root = root_of(RECORDS[:size])
            for index in range(size):
                proof = inclusion_proof_from_leaf_hashes(iter(hashes), index, size)

                assert proof == inclusion_proof(RECORDS, index, size), (index, size)
                assert verify_leaf_hash_inclusion(hashes[index], index, size, proof, root)

    def test_every_consistency_proof_up_to_40_leaves_is_the_reference_one(self) -> None:
        hashes = [leaf_hash(record) for record in RECORDS]
        for new_size in range(41):
            for old_size in range(new_size + 1):
                proof = consistency_proof_from_leaf_hashes(iter(hashes), old_size, new_size)

                assert proof == consistency_proof(RECORDS, old_size, new_size), (old_size, new_size)

    def test_the_stream_is_read_no_further_than_the_tree(self) -> None:
        stream = iter([leaf_hash(record) for record in RECORDS[:10]])
        inclusion_proof_from_leaf_hashes(stream, 2, 5)
        assert next(stream) == leaf_hash(RECORDS[5]), "the rest of the log is left for another reader"

    def test_a_stream_shorter_than_the_tree_is_refused(self) -> None:
        hashes = [leaf_hash(record) for record in RECORDS[:5]]
        with pytest.raises(ValueError, match="needs 6 leaf hashes, got 5"):
            inclusion_proof_from_leaf_hashes(iter(hashes), 2, 6)
        with pytest.raises(ValueError, match="needs 9 leaf hashes, got 5"):
            consistency_proof_from_leaf_hashes(iter(hashes), 3, 9)

    def test_a_leaf_hash_is_included_as_its_data_is(self) -> None:
        proof = inclusion_proof(LEAVES, 5, 8)
        assert verify_leaf_hash_inclusion(leaf_hash(LEAVES[5]), 5, 8, proof, ROOTS[8])
        assert not verify_leaf_hash_inclusion(LEAVES[5], 5, 8, proof, ROOTS[8]), "data is not its own hash"


class TestProofArguments:
    @pytest.mark.parametrize(("index", "size"), [(8, 8), (0, 0), (-1, 8), (3, 2)])
    def test_an_inclusion_proof_needs_an_index_inside_the_tree(self, index: int, size: int) -> None:
        with pytest.raises(ValueError, match="leaf index"):
            inclusion_proof(LEAVES, index, size)

    @pytest.mark.parametrize("size", [9, -1])
    def test_an_inclusion_proof_needs_a_size_within_the_leaves_given(self, size: int) -> None:
        with pytest.raises(ValueError, match="size"):
            inclusion_proof(LEAVES, 0, size)

    @pytest.mark.parametrize(("old_size", "new_size"), [(6, 5), (-1, 5)])
    def test_a_consistency_proof_needs_the_old_tree_not_to_be_larger(self, old_size: int, new_size: int) -> None:
        with pytest.raises(ValueError, match="a log only grows"):
            consistency_proof(LEAVES, old_size, new_size)

    @pytest.mark.parametrize("new_size", [9, -1])
    def test_a_consistency_proof_needs_a_new_size_within_the_leaves_given(self, new_size: int) -> None:
        with pytest.raises(ValueError, match="new_size"):
            consistency_proof(LEAVES, 0, new_size)

    @pytest.mark.parametrize("new_size", range(9))
    def test_nothing_proves_the_empty_tree_or_a_tree_itself_is_a_prefix(self, new_size: int) -> None:
        assert consistency_proof(LEAVES, 0, new_size) == []
        assert consistency_proof(LEAVES, new_size, new_size) == []


class TestVerifierEdgeCases:
    """Adapted from transparency-dev/merkle proof/verify_test.go: TestVerifyInclusion*, TestVerifyConsistency."""

    def test_a_single_leaf_is_its_own_root_with_an_empty_proof(self) -> None:
        root = leaf_hash(b"data")

        assert verify_inclusion(b"data", 0, 1, [], root)
        assert not verify_inclusion(b"data", 0, 1, [], b"")

    @pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (1, 1), (-1, 1), (0, -1)])
    def test_a_leaf_outside_the_tree_is_never_included(self, index: int, size: int) -> None:
        assert not verify_inclusion(b"", index, size, [], EMPTY_ROOT)
        assert not verify_inclusion(b"", index, size, [], leaf_hash(b""))

    # Each claim is verify_consistency's arguments in order: old and new size, old and new root, proof.
    @pytest.mark.parametrize(
        ("claim", "accepted"),
        [
            ((0, 0, EMPTY_ROOT, EMPTY_ROOT, []), True),
            ((0, 5, EMPTY_ROOT, ROOTS[5], []), True),
            ((3, 3, ROOTS[3], ROOTS[3], []), True),
            # Stricter than transparency-dev, which takes any old root for size 0: the empty tree has one root.
            ((0, 0, STRANGER, STRANGER, []), False),
            ((0, 5, STRANGER, ROOTS[5], []), False),
            ((3, 3, ROOTS[3], ROOTS[4], []), False),
            # Time travel to the past.
            ((1, 0, ROOTS[1], ROOTS[0], []), False),
            ((2, 1, ROOTS[2], ROOTS[1], []), False),
            ((-1, 1, ROOTS[0], ROOTS[1], []), False),
            # Growth needs a proof.
            ((1, 2, ROOTS[1], ROOTS[2], []), False),
            # Roots match but the proof is not empty.
            ((0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]), False),
            ((0, 1, EMPTY_ROOT, ROOTS[1], [EMPTY_ROOT]), False),
            ((1, 1, ROOTS[1], ROOTS[1], [EMPTY_ROOT]), False),
        ],
    )
    def test_trivial_consistency_claims(
        self, claim: tuple[int, int, bytes, bytes, list[bytes]], accepted: bool
    ) -> None:
        assert verify_consistency(*claim) is accepted

    def test_the_root_does_not_commit_to_the_size_so_checkpoints_must_sign_size_and_root_together(self) -> None:
        """Leaf 0's path is the same in trees of 5 and 7 leaves, so the root alone cannot tell those sizes apart.

        The leaf and its index are still proven; only the size is unchecked, which is why DESIGN.md §4 layer 3
        signs the size with the root.
        """
        proof = inclusion_proof(LEAVES, 0, 5)

        assert verify_inclusion(LEAVES[0], 0, 7, proof, ROOTS[5])


# ---------------------------------------------------------------------------------------------------------------
# Tampering. A verifier that accepts a falsified proof is the classic bug, so every bit of every input is flipped.
#
# One input is special: the root does not commit to the tree size (see the test just above), so a wrong size is
# accepted exactly when it makes the verifier combine the same hashes in the same way. The model below derives that
# "recipe" from RFC 6962's recursive definitions on leaf ranges, independently of the RFC 9162 bit arithmetic the
# verifiers use, and the tests require the verifiers to agree with it for every flipped size.
# ---------------------------------------------------------------------------------------------------------------


def split(n: int) -> int:
    """The largest power of two below n: where RFC 6962 splits a tree of n > 1 leaves."""
    power = 1
    while power * 2 < n:
        power *= 2
    return power


def path_ranges(index: int, lo: int, hi: int) -> list[Range]:
    """RFC 6962 §2.1.1 PATH(index, D[lo:hi]) with leaf ranges in place of hashes."""
    if hi - lo == 1:
        return []
    mid = lo + split(hi - lo)
    if index < mid:
        return [*path_ranges(index, lo, mid), (mid, hi)]
    return [*path_ranges(index, mid, hi), (lo, mid)]


def subproof_ranges(m: int, lo: int, hi: int, *, whole_old_tree: bool) -> list[Range]:
    """RFC 6962 §2.1.2 SUBPROOF(m, D[lo:hi], b) with leaf ranges in place of hashes."""
    if m == hi - lo:
        return [] if whole_old_tree else [(lo, hi)]
    k = split(hi - lo)
    if m <= k:
        return [*subproof_ranges(m, lo, lo + k, whole_old_tree=whole_old_tree), (lo + k, hi)]
    return [*subproof_ranges(m - k, lo + k, hi, whole_old_tree=False), (lo, lo + k)]


def recipe(lo: int, hi: int, labels: dict[Range, object]) -> object:
    """How MTH(D[lo:hi]) is rebuilt from labelled subtrees: a label, or a (left, right) pair per node hash."""
    if (lo, hi) in labels:
        return labels[lo, hi]
    mid = lo + split(hi - lo)
    return (recipe(lo, mid, labels), recipe(mid, hi, labels))


def inclusion_recipe(index: int, size: int) -> object:
    labels: dict[Range, object] = {(index, index + 1): "leaf"}
    labels |= {r: position for position, r in enumerate(path_ranges(index, 0, size))}
    return recipe(0, size, labels)


def consistency_recipes(old_size: int, new_size: int) -> tuple[object, object]:
    """The recipes for the old and the new root; a perfect old tree is not in the proof but is the given old root."""
    labels: dict[Range, object] = {
        r: position for position, r in enumerate(subproof_ranges(old_size, 0, new_size, whole_old_tree=True))
    }
    if old_size & (old_size - 1) == 0:
        labels[0, old_size] = "old root"
    return recipe(0, old_size, labels), recipe(0, new_size, labels)


def inclusion_claim_holds(index: int, claimed_size: int, true_size: int) -> bool:
    return 0 <= index < claimed_size and inclusion_recipe(index, claimed_size) == inclusion_recipe(index, true_size)


def consistency_claim_holds(claimed: Range, true: Range) -> bool:
    if not 0 < claimed[0] < claimed[1]:
        return False  # the proofs tampered with below are never empty, and these sizes need an empty one
    claimed_old, claimed_new = consistency_recipes(*claimed)
    true_old, true_new = consistency_recipes(*true)
    return claimed_new == true_new and claimed_old in {true_old, "old root"}


def with_bit_flipped(data: bytes, bit: int) -> bytes:
    flipped = bytearray(data)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


def bit_flips(data: bytes) -> Iterator[bytes]:
    for bit in range(len(data) * 8):
        yield with_bit_flipped(data, bit)


def int_flips(n: int) -> Iterator[int]:
    """n with each bit flipped, up to two above its highest (higher ones only make it larger still)."""
    for bit in range(n.bit_length() + 2):
        yield n ^ (1 << bit)


def forged_proofs(proof: list[bytes], roots: Sequence[bytes]) -> Iterator[list[bytes]]:
    """The proof with any bit of any element flipped, any element dropped, or an element added anywhere."""
    for i, element in enumerate(proof):
        for flipped in bit_flips(element):
            yield [*proof[:i], flipped, *proof[i + 1 :]]
        yield [*proof[:i], *proof[i + 1 :]]
    for i in range(len(proof) + 1):
        for extra in (STRANGER, b"", *roots):
            yield [*proof[:i], extra, *proof[i:]]


def leaves_for(size: int) -> list[bytes]:
    return LEAVES if size <= len(LEAVES) else RECORDS


INCLUSION_CASES = [
    *((size, index) for size in range(1, 9) for index in range(size)),
    *((size, index) for size in (13, 32, 33, 70) for index in sorted({0, 1, size // 2, size - 2, size - 1})),
]
CONSISTENCY_CASES = [
    *((old, new) for new in range(2, 9) for old in range(1, new)),
    (10, 15),
    (24, 31),
    (81, 95),
    (1, 70),
    (33, 70),
    (64, 70),
    (69, 70),
]


@pytest.mark.parametrize(("size", "index"), INCLUSION_CASES)
class TestInclusionVerifierRejectsTampering:
    def test_any_change_to_the_proof(self, size: int, index: int) -> None:
        leaves = leaves_for(size)
        root = root_of(leaves[:size])
        proof = inclusion_proof(leaves, index, size)

        for forged in forged_proofs(proof, [root]):
            assert not verify_inclusion(leaves[index], index, size, forged, root)

    def test_any_change_to_the_leaf(self, size: int, index: int) -> None:
        leaves = leaves_for(size)
        root = root_of(leaves[:size])
        proof = inclusion_proof(leaves, index, size)

        for other in [*bit_flips(leaves[index]), leaves[index] + b"\x00", leaf_hash(leaves[index])]:
            assert not verify_inclusion(other, index, size, proof, root)

    def test_any_change_to_the_root(self, size: int, index: int) -> None:
        leaves = leaves_for(size)
        root = root_of(leaves[:size])
        proof = inclusion_proof(leaves, index, size)

        for other in [*bit_flips(root), EMPTY_ROOT, STRANGER]:
            assert not verify_inclusion(leaves[index], index, size, proof, other)

    def test_any_other_index(self, size: int, index: int) -> None:
        leaves = leaves_for(size)
        root = root_of(leaves[:size])
        proof = inclusion_proof(leaves, index, size)

        for other in [*int_flips(index), index - 1, index + 1]:
            assert not verify_inclusion(leaves[index], other, size, proof, root)

    def test_a_wrong_size_unless_it_combines_the_same_hashes_the_same_way(self, size: int, index: int) -> None:
        leaves = leaves_for(size)
        root = root_of(leaves[:size])
        proof = inclusion_proof(leaves, index, size)

        for other in [*int_flips(size), size * 2, size // 2]:
            accepted = verify_inclusion(leaves[index], index, other, proof, root)
            assert accepted is inclusion_claim_holds(index, other, size), other


@pytest.mark.parametrize(("old_size", "new_size"), CONSISTENCY_CASES)
class TestConsistencyVerifierRejectsTampering:
    def test_any_change_to_the_proof(self, old_size: int, new_size: int) -> None:
        leaves = leaves_for(new_size)
        old_root, new_root = root_of(leaves[:old_size]), root_of(leaves[:new_size])
        proof = consistency_proof(leaves, old_size, new_size)

        for forged in [*forged_proofs(proof, [old_root, new_root]), []]:
            assert not verify_consistency(old_size, new_size, old_root, new_root, forged)

    def test_any_change_to_either_root(self, old_size: int, new_size: int) -> None:
        leaves = leaves_for(new_size)
        old_root, new_root = root_of(leaves[:old_size]), root_of(leaves[:new_size])
        proof = consistency_proof(leaves, old_size, new_size)

        for other in [*bit_flips(old_root), EMPTY_ROOT, STRANGER, new_root]:
            assert not verify_consistency(old_size, new_size, other, new_root, proof)
        for other in [*bit_flips(new_root), EMPTY_ROOT, STRANGER, old_root]:
            assert not verify_consistency(old_size, new_size, old_root, other, proof)
        assert not verify_consistency(old_size, new_size, new_root, old_root, proof)

    def test_a_wrong_size_unless_it_combines_the_same_hashes_the_same_way(self, old_size: int, new_size: int) -> None:
        leaves = leaves_for(new_size)
        old_root, new_root = root_of(leaves[:old_size]), root_of(leaves[:new_size])
        proof = consistency_proof(leaves, old_size, new_size)
        true = (old_size, new_size)

        for other in [*int_flips(old_size), old_size - 1, old_size + 1]:
            accepted = verify_consistency(other, new_size, old_root, new_root, proof)
            assert accepted is consistency_claim_holds((other, new_size), true), other
        for other in [*int_flips(new_size), new_size * 2, new_size // 2]:
            accepted = verify_consistency(old_size, other, old_root, new_root, proof)
            assert accepted is consistency_claim_holds((old_size, other), true), other

    def test_no_old_size_but_the_true_one(self, old_size: int, new_size: int) -> None:
        """Unlike the new size, the old one is pinned: the old root must come out of the proof's own hashes."""
        leaves = leaves_for(new_size)
        old_root, new_root = root_of(leaves[:old_size]), root_of(leaves[:new_size])
        proof = consistency_proof(leaves, old_size, new_size)

        for other in range(new_size + 2):
            if other != old_size:
                assert not verify_consistency(other, new_size, old_root, new_root, proof)
