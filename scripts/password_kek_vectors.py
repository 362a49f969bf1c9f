#!/usr/bin/env python3
"""Independent implementation of docs/FORMAT.md, section 8 "Password-derived keys": Argon2id from
argon2-cffi (the reference C implementation) and HKDF-SHA256 from the standard library.
Writes tests/data/vectors/password_kek.json.
Run: pip install argon2-cffi && python3 scripts/password_kek_vectors.py"""
import hashlib, hmac, json, struct
import importlib.metadata as md

from argon2.low_level import Type, hash_secret_raw

DOMAIN = b"privkit/kdf/password-kek/v1"


def encode(m, t, p, salt):
    return bytes([1, 2]) + struct.pack(">II", m, t) + bytes([p, len(salt)]) + salt


def kek(password, m, t, p, salt):
    stretched = hash_secret_raw(password.encode(), salt, time_cost=t, memory_cost=m,
                                parallelism=p, hash_len=32, type=Type.ID, version=19)
    prk = hmac.new(DOMAIN, stretched, hashlib.sha256).digest()
    info = b"".join(struct.pack(">I", len(x)) + x for x in (DOMAIN, encode(m, t, p, salt)))
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()  # one block: 32 bytes


CASES = [
    ("correct horse battery staple", 19456, 2, 1, bytes(range(16))),
    ("p\u00e4ssw\u00f6rd \U0001f511", 7168, 5, 1, bytes([0xa5] * 16)),
    ("", 8192, 5, 2, bytes(range(100, 132))),
    ("rfc 9106 second option", 65536, 3, 4, bytes(range(16, 32))),
]
doc = {
    "source": "scripts/password_kek_vectors.py with argon2-cffi %s / argon2-cffi-bindings %s "
              "(reference C Argon2id) and Python's hmac for HKDF-SHA256"
              % (md.version("argon2-cffi"), md.version("argon2-cffi-bindings")),
    "tests": [
        {"password": pw, "encoded": encode(m, t, p, s).hex(), "kek": kek(pw, m, t, p, s).hex()}
        for pw, m, t, p, s in CASES
    ],
    "fail": [
        {"encoded": "02" + encode(19456, 2, 1, bytes(16)).hex()[2:], "error": "UnsupportedVersion"},
        {"encoded": "0101" + encode(19456, 2, 1, bytes(16)).hex()[4:], "error": "UnsupportedAlgorithm"},
        {"encoded": encode(0xFFFFFFFF, 2, 1, bytes(16)).hex(), "error": "LimitExceeded"},
        {"encoded": encode(19456, 0xFFFFFFFF, 1, bytes(16)).hex(), "error": "LimitExceeded"},
        {"encoded": encode(19456, 2, 255, bytes(16)).hex(), "error": "LimitExceeded"},
        {"encoded": encode(1024, 2, 1, bytes(16)).hex(), "error": "Malformed"},
        {"encoded": encode(19456, 2, 1, bytes(8)).hex(), "error": "Malformed"},
        {"encoded": encode(19456, 2, 1, bytes(16)).hex()[:-2], "error": "Malformed"},
        {"encoded": encode(19456, 2, 1, bytes(16)).hex() + "00", "error": "Malformed"},
        {"encoded": "0102", "error": "Malformed"},
    ],
}
with open("tests/data/vectors/password_kek.json", "w") as f:
    json.dump(doc, f, indent=2, ensure_ascii=False)
    f.write("\n")
