#!/usr/bin/env python3
"""Independent generator for tests/data/vectors/pseudonym.json.

Written from docs/FORMAT.md ("Pseudonymization") with Python's hmac/hashlib, unicodedata
and the `cryptography` package (AES, AES-SIV), sharing no code with privkit. FF1 is a
direct transcription of NIST SP 800-38G algorithm 7, checked here against the NIST
AES-256 samples before use. Run: python3 tests/data/vectors/gen_pseudonym.py
(rewrites pseudonym.json), or with --check to fail when the file differs.
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import unicodedata

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

ROOT_SALT = b"privkit/pseudonym/root"
SCHEME = b"privkit/pseudonym/v1"


def labels(parts):
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def hkdf(secret, info, length):
    prk = hmac.new(ROOT_SALT, secret, hashlib.sha256).digest()
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


def derive(secret, version, purpose, domain, length):
    return hkdf(secret, labels([SCHEME, purpose, version.to_bytes(4, "big"), domain.encode()]), length)


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def bits(mac, width, n, alphabet):
    v = int.from_bytes(mac, "big")
    return "".join(alphabet[(v >> (256 - width * (i + 1))) & ((1 << width) - 1)] for i in range(n))


def encode(mac, encoding, n):
    if encoding == "hex":
        return mac.hex()[:n]
    if encoding == "base32_crockford":
        return bits(mac, 5, n, CROCKFORD)
    if encoding == "base64_url":
        return bits(mac, 6, n, B64)
    if encoding == "decimal":
        return str(int.from_bytes(mac, "big") % 10**n).zfill(n)
    raise ValueError(encoding)


def normalize(value, norm):
    if norm.get("trim"):
        value = value.strip()
    if norm.get("case_fold"):
        value = value.lower()
    if norm.get("nfc"):
        value = unicodedata.normalize("NFC", value)
    return value


def aes_ecb(key, block):
    e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return e.update(block) + e.finalize()


def ff1(key, tweak, radix, x, encrypt=True):
    n = len(x)
    u, v = n // 2, n - n // 2
    a, b_ = x[:u], x[u:]
    b = ((radix**v - 1).bit_length() + 7) // 8
    d = 4 * ((b + 3) // 4) + 4
    t = len(tweak)
    p = bytes([1, 2, 1]) + radix.to_bytes(3, "big") + bytes([10, u % 256]) + n.to_bytes(4, "big") + t.to_bytes(4, "big")

    def num(xs):
        r = 0
        for c in xs:
            r = r * radix + c
        return r

    def stri(val, m):
        out = []
        for _ in range(m):
            out.append(val % radix)
            val //= radix
        return out[::-1]

    def prf(data):
        y = bytes(16)
        for i in range(0, len(data), 16):
            y = aes_ecb(key, bytes(p ^ q for p, q in zip(y, data[i : i + 16])))
        return y

    def round_y(i, half):
        q = tweak + bytes((-t - b - 1) % 16) + bytes([i]) + num(half).to_bytes(b, "big")
        r = prf(p + q)
        s = r
        j = 1
        while len(s) < d:
            s += aes_ecb(key, bytes(c ^ k for c, k in zip(r, j.to_bytes(16, "big"))))
            j += 1
        return int.from_bytes(s[:d], "big")

    if encrypt:
        for i in range(10):
            m = u if i % 2 == 0 else v
            c = (num(a) + round_y(i, b_)) % radix**m
            a, b_ = b_, stri(c, m)
    else:
        for i in reversed(range(10)):
            m = u if i % 2 == 0 else v
            c = (num(b_) - round_y(i, a)) % radix**m
            b_, a = a, stri(c, m)
    return a + b_


ALPHABETS = {"digits": "0123456789", "lower_alnum": "0123456789abcdefghijklmnopqrstuvwxyz",
             "upper_alnum": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def ff1_text(key, tweak, alphabet, value):
    idx = {c: i for i, c in enumerate(alphabet)}
    xs = [idx[c] for c in value if c in idx]
    ys = iter(ff1(key, tweak, len(alphabet), xs))
    return "".join(alphabet[next(ys)] if c in idx else c for c in value)


def check_nist():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "ff1_nist.json")) as f:
        for v in json.load(f)["vectors"]:
            alphabet = ALPHABETS["digits" if v["radix"] == 10 else "lower_alnum"]
            ct = ff1_text(bytes.fromhex(v["key"]), bytes.fromhex(v["tweak"]), alphabet, v["plaintext"])
            assert ct == v["ciphertext"], (v["name"], ct)


def main():
    check_nist()
    secret = bytes(range(32))
    secret2 = bytes(range(100, 132))
    keyed = []
    for version, sec, domain, enc, n, norm, prefix, value in [
        (1, secret, "customer-email", "hex", 32, {}, False, "alice@example.com"),
        (1, secret, "customer-email", "hex", 64, {}, False, ""),
        (1, secret, "customer-email", "hex", 16, {}, True, "alice@example.com"),
        (1, secret, "customer-email", "base32_crockford", 26, {"trim": True, "case_fold": True, "nfc": True}, False, "  Alice@Example.COM "),
        (1, secret, "customer-email", "base32_crockford", 51, {}, False, "alice@example.com"),
        (1, secret, "name", "base64_url", 22, {"nfc": True}, False, "Zoe\u0308 Ða\u0301vid"),
        (1, secret, "name", "base64_url", 42, {"case_fold": True}, False, "ΣΊΣΥΦΟΣ"),
        (1, secret, "ssn", "decimal", 20, {}, False, "123-45-6789"),
        (1, secret, "ssn", "decimal", 64, {}, False, "x" * 100),
        (7, secret2, "customer-id", "hex", 32, {}, True, "c-000042"),
    ]:
        key = derive(sec, version, b"keyed", domain, 32)
        normalized = normalize(value, norm)
        mac = hmac.new(key, normalized.encode(), hashlib.sha256).digest()
        pseudonym = ("v%d:" % version if prefix else "") + encode(mac, enc, n)
        keyed.append({
            "root": sec.hex(), "version": version, "domain": domain,
            "config": {"encoding": enc, "length": n,
                       "normalization": {k: norm.get(k, False) for k in ("trim", "case_fold", "nfc")},
                       "version_prefix": prefix},
            "input": value, "domain_key": key.hex(), "mac": mac.hex(), "pseudonym": pseudonym,
        })
    tokens = []
    for version, sec, domain, value in [
        (1, secret, "ssn", b"123-45-6789"),
        (1, secret, "ssn", b""),
        (3, secret2, "email", "zoë@example.com".encode()),
    ]:
        key = derive(sec, version, b"token", domain, 64)
        header = bytes([1]) + version.to_bytes(4, "big")
        body = AESSIV(key).encrypt(value, [domain.encode(), header])
        token = base64.urlsafe_b64encode(header + body).decode().rstrip("=")
        tokens.append({"root": sec.hex(), "version": version, "domain": domain,
                       "plaintext": value.hex(), "token": token})
    ff1s = []
    for version, sec, domain, alpha, value in [
        (1, secret, "card", "digits", "4111-1111-1111-1111"),
        (1, secret, "card", "digits", "123456"),
        (1, secret, "account", "upper_alnum", "GB29 NWBK 6016 1331 9268 19"),
        (2, secret2, "user", "lower_alnum", "user.name_2024"),
    ]:
        key = derive(sec, version, b"ff1", domain, 32)
        ff1s.append({"root": sec.hex(), "version": version, "domain": domain, "alphabet": alpha,
                     "plaintext": value, "ciphertext": ff1_text(key, domain.encode(), ALPHABETS[alpha], value)})
    shifts = []
    for version, sec, domain, max_days, subject in [
        (1, secret, "admissions", 30, "patient-1"),
        (1, secret, "admissions", 30, "patient-2"),
        (1, secret, "admissions", 365, "patient-1"),
        (2, secret2, "visits", 1, ""),
    ]:
        key = derive(sec, version, b"date-shift", domain, 32)
        r = int.from_bytes(hmac.new(key, subject.encode(), hashlib.sha256).digest()[:8], "big") % (2 * max_days)
        offset = -(r + 1) if r < max_days else r - max_days + 1
        shifts.append({"root": sec.hex(), "version": version, "domain": domain, "max_days": max_days,
                       "subject": subject, "offset": offset})
    doc = {
        "description": "privkit pseudonymization vectors (docs/FORMAT.md, 'Pseudonymization'), "
                       "generated independently by gen_pseudonym.py.",
        "keyed": keyed, "tokens": tokens, "ff1": ff1s, "date_shift": shifts,
    }
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "pseudonym.json")
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if "--check" in sys.argv[1:]:
        with open(path, encoding="utf-8") as f:
            if f.read() != text:
                sys.exit("pseudonym.json differs from what gen_pseudonym.py computes")
        print("pseudonym.json: %d keyed, %d token, %d ff1, %d date-shift vectors agree"
              % (len(keyed), len(tokens), len(ff1s), len(shifts)))
        return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
