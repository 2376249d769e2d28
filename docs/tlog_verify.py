"""Check the ledger's transparency log with nothing but Python's standard library.

    python3 tlog_verify.py root EXPORT.jsonl NOTE.txt     # the export's tree has the note's root
    python3 tlog_verify.py receipt RECEIPT.json           # every event of a receipt is in its tree

Checks trees and proofs, not signatures: Ed25519 is not in the standard library. Verify the
note's signature with OpenSSL (docs/auditors.md shows how) or `timebank audit verify-receipt`.
"""

import base64
import hashlib
import json
import sys
from pathlib import Path


def leaf_data(previous, event):
    body = {k: v for k, v in event.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return bytes.fromhex(previous) + text.encode("utf-8")


def leaf(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaves):
    """RFC 9162 2.1.1: MTH of a list of leaf hashes."""
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node(root(leaves[:split]), root(leaves[split:]))


def root_from_proof(index, size, digest, proof):
    """RFC 9162 2.1.3.2."""
    fn, sn = index, size - 1
    for sibling in proof:
        if sn == 0:
            sys.exit("failed: proof: longer than the tree is deep")
        if fn & 1 or fn == sn:
            digest = node(sibling, digest)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            digest = node(digest, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        sys.exit("failed: proof: shorter than the tree is deep")
    return digest


def note_checkpoint(note):
    origin, size, root_hash = note.split("\n")[:3]
    return origin, int(size), base64.b64decode(root_hash)


def check_root(export, note_path):
    _, size, expected = note_checkpoint(Path(note_path).read_text(encoding="utf-8"))
    leaves, previous = [], "0" * 64
    for line in Path(export).read_text(encoding="utf-8").splitlines():
        data = leaf_data(previous, json.loads(line))
        leaves.append(leaf(data))
        previous = hashlib.sha256(data).hexdigest()
    if len(leaves) < size or root(leaves[:size]) != expected:
        sys.exit(f"failed: root: the export's first {size} events do not have the note's root")
    print(f"ok: the export's first {size} events have the note's root")


def check_receipt(path):
    receipt = json.loads(Path(path).read_text(encoding="utf-8"))
    _, size, expected = note_checkpoint(receipt["checkpoint"])
    for event, proof in zip(receipt["events"], receipt["proofs"], strict=True):
        data = leaf_data(proof["previous_hash"], event)
        if hashlib.sha256(data).hexdigest() != event["hash"] or proof["size"] != size:
            sys.exit(f"failed: event {event['position']} does not match its hash or tree")
        hashes = [base64.b64decode(h) for h in proof["hashes"]]
        if root_from_proof(proof["index"], size, leaf(data), hashes) != expected:
            sys.exit(f"failed: proof: event {event['position']} is not in the tree")
    print(f"ok: {len(receipt['events'])} events in the tree of size {size}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["root"] and len(sys.argv) == 4:
        check_root(sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["receipt"] and len(sys.argv) == 3:
        check_receipt(sys.argv[2])
    else:
        sys.exit(__doc__)
