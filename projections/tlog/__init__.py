"""The transparency log's formats and algorithms, with no I/O.

`merkle`: the RFC 9162 tree, proofs planned over stored subtree hashes, and their
verification. `note`: C2SP signed notes and Ed25519 note keys. `checkpoint`: the C2SP
tlog-checkpoint body. `cosignature`: C2SP tlog-cosignature (`cosignature/v1`). `policy`: C2SP
tlog-policy and its quorum. `witness`: the rule a witness cosigns by, and the tlog-witness
request. The server, the offline verifiers and the witness CLI share them.
"""
