"""The transparency log's formats and algorithms, with no I/O.

`merkle`: the RFC 9162 tree, proofs planned over stored subtree hashes, and their
verification. `note`: C2SP signed notes and Ed25519 note keys. `checkpoint`: the C2SP
tlog-checkpoint body. The server, the offline verifiers and (later) witnesses share them.
"""
