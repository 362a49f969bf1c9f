#!/usr/bin/env python3
"""Independent (Python stdlib) implementation of privkit's key-hierarchy derivation,
as specified in docs/FORMAT.md, section 7 "Key hierarchy". Writes
tests/data/vectors/key_hierarchy.json. Run: python3 scripts/key_hierarchy_vectors.py"""
import hashlib, hmac, json, struct

DOMAIN = b"privkit/kdf/hierarchy/v1"


def labels(*ls):
    return b"".join(struct.pack(">I", len(l)) + l for l in ls)


def expand(prk, info, n=32):
    t, okm, i = b"", b"", 1
    while len(okm) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        okm += t
        i += 1
    return okm[:n]


def derive(root_secret, path, leaf):
    prk = hmac.new(DOMAIN, root_secret, hashlib.sha256).digest()  # HKDF-Extract
    for level, ident in path:
        prk = expand(prk, labels(DOMAIN, b"node", level.encode(), ident.encode()))
    return expand(prk, labels(DOMAIN, b"key", leaf.encode()))


ROOT = bytes(range(32))
CASES = [
    ([], "aead"),
    ([], "pseudonym"),
    ([], "kek"),
    ([("tenant", "acme")], "aead"),
    ([("tenant", "acme"), ("purpose", "billing")], "aead"),
    ([("tenant", "acme"), ("purpose", "billing"), ("subject", "user-42")], "aead"),
    ([("tenant", "ab"), ("purpose", "c")], "pseudonym"),
    ([("tenant", "a"), ("purpose", "bc")], "pseudonym"),
    ([("subject", "")], "kek"),
    ([("purpose", "analytics"), ("subject", "\u00e9l\u00e8ve")], "pseudonym"),
    ([], "beacon"),
    ([("tenant", "acme"), ("purpose", "search")], "beacon"),
]
doc = {
    "source": "scripts/key_hierarchy_vectors.py (independent Python implementation of docs/FORMAT.md, section 7 'Key hierarchy')",
    "root_secret": ROOT.hex(),
    "tests": [
        {"path": [[lv, i] for lv, i in p], "key": leaf, "output": derive(ROOT, p, leaf).hex()}
        for p, leaf in CASES
    ],
}
with open("tests/data/vectors/key_hierarchy.json", "w") as f:
    json.dump(doc, f, indent=2, ensure_ascii=False)
    f.write("\n")
