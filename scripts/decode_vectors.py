#!/usr/bin/env python3
"""Independent decoder for privkit's wire formats, written from docs/FORMAT.md alone.

Decodes every vector in tests/data/vectors/ (keysets, envelopes of versions 1, 2 and 3,
streams of versions 1 and 2, keyset exports, erasable fields and their sealed subject keys) with the Python `cryptography` package (no privkit code), checks
the key schedule, the commitment and the header MAC or tag, checks that every `fail` vector is
refused, and exits non-zero on any mismatch. The audit-log vectors (audit.json,
FORMAT.md section 12) are decoded too: events, segment records, the post-order tree-hash
file, the Ed25519 checkpoint note, and RFC 9162 inclusion and consistency proofs verified
with the RFC's own algorithms. Run: python3 scripts/decode_vectors.py
"""
import base64
import hashlib
import hmac
import json
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESGCMSIV, ChaCha20Poly1305
from cryptography.exceptions import InvalidTag

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def labels(*parts):
    return b"".join(struct.pack(">I", len(p)) + p for p in parts)


def hkdf_sha256(salt, ikm, info, length, prk=None):
    """RFC 5869 HKDF; with `prk` given, Expand alone (version 3 envelopes: the data key is
    the PRK)."""
    prk = prk or hmac.new(salt or b"\0" * 32, ikm, hashlib.sha256).digest()
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        out += block
        i += 1
    return out[:length]


def _rotl(v, c):
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))


def hchacha20(key, nonce16):
    s = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    s += list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))

    def qr(a, b, c, d):
        s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = _rotl(s[d] ^ s[a], 16)
        s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = _rotl(s[b] ^ s[c], 12)
        s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = _rotl(s[d] ^ s[a], 8)
        s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = _rotl(s[b] ^ s[c], 7)

    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


NONCE_LEN = {1: 12, 2: 12, 3: 24, 4: 12}


def aead_open(alg, key, nonce, ct_and_tag, aad):
    if alg == 1:
        return AESGCM(key).decrypt(nonce, ct_and_tag, aad)
    if alg == 2:
        return ChaCha20Poly1305(key).decrypt(nonce, ct_and_tag, aad)
    if alg == 3:  # XChaCha20-Poly1305 = HChaCha20 subkey + ChaCha20-Poly1305
        sub = hchacha20(key, nonce[:16])
        return ChaCha20Poly1305(sub).decrypt(b"\0\0\0\0" + nonce[16:], ct_and_tag, aad)
    if alg == 4:
        return AESGCMSIV(key).decrypt(nonce, ct_and_tag, aad)
    raise ValueError("unsupported algorithm %d" % alg)


def keyset_open(keys, ct, aad, fmt=0x01):
    """keys: {key_id: (algorithm_id, key)}. FORMAT.md section 2."""
    assert ct[0] == fmt, "format byte"
    alg = ct[1]
    (key_id,) = struct.unpack(">I", ct[2:6])
    key_alg, key = keys[key_id]
    assert key_alg == alg
    n = NONCE_LEN[alg]
    nonce, body = ct[6:6 + n], ct[6 + n:]
    assert len(body) >= 16
    if fmt == 0x02:  # section 2.1: wrapped keys use a key derived from the keyset key
        key = hkdf_sha256(b"", key, labels(b"privkit keyset wrapping key"), 32)
    return aead_open(alg, key, nonce, body, aad)


def parse_entries(buf, pos, n):
    """n wrapped-key entries from pos: u16 id_len, id (UTF-8), u16 key_len, key."""
    assert 1 <= n, "no wrapped keys"
    wrapped = []
    for _ in range(n):
        (id_len,) = struct.unpack(">H", buf[pos:pos + 2]); pos += 2
        assert 1 <= id_len <= 2048 and pos + id_len <= len(buf), "KEK id length"
        kek_id = buf[pos:pos + id_len].decode("utf-8"); pos += id_len
        (key_len,) = struct.unpack(">H", buf[pos:pos + 2]); pos += 2
        assert pos + key_len <= len(buf), "truncated wrapped key"
        wrapped.append((kek_id, buf[pos:pos + key_len])); pos += key_len
    return wrapped, pos


def check_mac(version, mac_key, signed, mac):
    if version == 2:
        assert hmac.compare_digest(hmac.new(mac_key, signed, hashlib.sha256).digest(), mac), "header MAC"


def aead_seal(alg, key, nonce, pt, aad):
    if alg == 1:
        return AESGCM(key).encrypt(nonce, pt, aad)
    if alg == 2:
        return ChaCha20Poly1305(key).encrypt(nonce, pt, aad)
    if alg == 3:
        sub = hchacha20(key, nonce[:16])
        return ChaCha20Poly1305(sub).encrypt(b"\0\0\0\0" + nonce[16:], pt, aad)
    if alg == 4:
        return AESGCMSIV(key).encrypt(nonce, pt, aad)
    raise ValueError("unsupported algorithm %d" % alg)


def envelope_open_v3(env, aad, keks):
    """FORMAT.md section 3, version 3: no salt, Expand-only schedule, header tag."""
    alg = env[5]
    n = NONCE_LEN[alg]
    commitment, header_nonce = env[6:38], env[38:38 + n]
    assert len(header_nonce) == n and header_nonce[0] & 0x80, "header nonce"
    wrapped, pos = parse_entries(env, 39 + n, env[38 + n])
    signed, tag = env[:pos], env[pos:pos + 16]
    assert len(tag) == 16, "truncated header tag"
    pos += 16
    (ct_len,) = struct.unpack(">Q", env[pos:pos + 8]); pos += 8
    nonce, body = env[pos:pos + n], env[pos + n:]
    assert len(nonce) == n and not nonce[0] & 0x80, "payload nonce"
    assert len(body) - 16 == ct_len, "ciphertext length"
    ctx = labels(b"privkit envelope wrap", b"\x03", bytes([alg]), commitment)
    results = []
    for kek_id, wk in wrapped:
        if kek_id not in keks:
            continue
        dk = keyset_open(keks[kek_id], wk, ctx, fmt=0x02)
        assert len(dk) == 32, "data key length"
        okm = hkdf_sha256(None, None, labels(b"PKEV v3", bytes([alg])), 64, prk=dk)
        assert hmac.compare_digest(okm[32:64], commitment), "commitment"
        # The header tag: the payload AEAD of an empty plaintext, the header as associated data.
        assert aead_open(alg, okm[:32], header_nonce, tag, signed) == b"", "header tag"
        assert aead_seal(alg, okm[:32], header_nonce, b"", signed) == tag
        results.append((dk, okm, aead_open(alg, okm[:32], nonce, body, aad)))
    assert results, "no usable KEK"
    return results


def envelope_open(env, aad, keks):
    """keks: {kek_id: {key_id: (alg, key)}}. FORMAT.md section 3 (versions 1, 2 and 3)."""
    assert env[:4] == b"PKEV" and env[4] in (1, 2, 3), "magic or version"
    if env[4] == 3:
        return envelope_open_v3(env, aad, keks)
    version, alg, salt, commitment = env[4], env[5], env[6:38], env[38:70]
    wrapped, pos = parse_entries(env, 71, env[70])
    signed, mac = env[:pos], None
    if version == 2:
        mac = env[pos:pos + 32]; pos += 32
        (ct_len,) = struct.unpack(">Q", env[pos:pos + 8]); pos += 8
    nonce_len = NONCE_LEN[alg]
    nonce, body = env[pos:pos + nonce_len], env[pos + nonce_len:]
    assert len(body) >= 16, "payload shorter than its tag"
    if version == 2:
        assert len(body) - 16 == ct_len, "ciphertext length"
    ctx = labels(b"privkit envelope wrap", bytes([version]), bytes([alg]), salt, commitment)
    results = []
    for kek_id, wk in wrapped:
        if kek_id not in keks:
            continue
        dk = keyset_open(keks[kek_id], wk, ctx, fmt=0x02)
        prk_salt = salt
        okm = hkdf_sha256(prk_salt, dk, labels(b"privkit envelope", b"\x01", bytes([alg])), 96)
        assert hmac.compare_digest(okm[32:64], commitment), "commitment"
        check_mac(version, okm[64:], signed, mac)
        results.append((dk, okm[:64], aead_open(alg, okm[:32], nonce, body, aad)))
    assert results, "no usable KEK"
    return results


def stream_open(stream, aad, keks):
    """FORMAT.md section 5: header, key schedule, then segments with index and last flag."""
    assert stream[:4] == b"PKST" and stream[4] in (1, 2), "magic or version"
    version, alg = stream[4], stream[5]
    (seg,) = struct.unpack(">I", stream[6:10])
    assert 64 <= seg <= 16 << 20, "segment size"
    salt, commitment = stream[10:42], stream[42:74]
    np_ = NONCE_LEN[alg] - 5
    prefix = stream[74:74 + np_]
    wrapped, pos = parse_entries(stream, 75 + np_, stream[74 + np_])
    signed, mac = stream[:pos], None
    if version == 2:
        mac = stream[pos:pos + 32]; pos += 32
    size = struct.pack(">I", seg)
    ctx = labels(b"privkit stream wrap", bytes([version]), bytes([alg]), size, salt, commitment, prefix)
    kek_id, wk = next((k, w) for k, w in wrapped if k in keks)
    dk = keyset_open(keks[kek_id], wk, ctx, fmt=0x02)
    okm = hkdf_sha256(salt, dk, labels(b"privkit stream", b"\x01", bytes([alg]), size, aad), 96)
    assert hmac.compare_digest(okm[32:64], commitment), "commitment"
    check_mac(version, okm[64:], signed, mac)
    body, out, i = stream[pos:], b"", 0
    while True:
        chunk = body[:seg + 16]
        body = body[seg + 16:]
        last = len(body) == 0
        assert len(chunk) >= 16, "stream truncated inside a segment's tag"
        assert not (last and i > 0 and len(chunk) == 16), "empty final segment after full segments"
        nonce = prefix + struct.pack(">I", i) + bytes([1 if last else 0])
        out += aead_open(alg, okm[:32], nonce, chunk, b"")
        if last:
            return out
        i += 1


def kek_map(k):
    alg_ids = {"AES-256-GCM": 1, "XChaCha20-Poly1305": 3}
    return {k["kek_id"]: {k["keyset_key_id"]: (alg_ids[k["keyset_algorithm"]], bytes.fromhex(k["keyset_key"]))}}


def check_export(v):
    keks = kek_map(v["kek"])
    (_, _, plain), = envelope_open(bytes.fromhex(v["exported"]), b"privkit keyset export v1", keks)
    assert plain == bytes.fromhex(v["keyset_plaintext"])
    assert plain[:5] == b"PKKS\x01"
    (primary, c), pos, keys = struct.unpack(">IH", plain[5:11]), 11, []
    names = {1: "AES-256-GCM", 2: "ChaCha20-Poly1305", 3: "XChaCha20-Poly1305", 4: "AES-256-GCM-SIV"}
    for _ in range(c):
        kid, alg, status, has = struct.unpack(">IBBB", plain[pos:pos + 7]); pos += 7 + (32 if has else 0)
        keys.append({"id": kid, "algorithm": names[alg], "status": ["", "Enabled", "Disabled", "Destroyed"][status],
                     "primary": kid == primary})
    assert pos == len(plain) and keys == v["keys"], keys


def check_password_export(v, hash_secret_raw, Type):
    blob = bytes.fromhex(v["exported"])
    assert blob[:5] == b"PKKW\x01"
    params = blob[5:]
    assert params[0] == 1 and params[1] == 2
    m, t = struct.unpack(">II", params[2:10])
    p, n = params[10], params[11]
    salt, enc = params[12:12 + n], params[:12 + n]
    s_ = hash_secret_raw(v["password"].encode(), salt, t, m, p, 32, Type.ID, version=0x13)
    d = b"privkit/kdf/password-kek/v1"
    kek = hkdf_sha256(d, s_, labels(d, enc), 32)
    assert kek.hex() == v["derived_key"]
    keks = {v["kek_id"]: {v["kek_keyset_key_id"]: (1, kek)}}
    (_, _, plain), = envelope_open(blob[12 + n + 5:], b"privkit keyset export v1", keks)
    assert plain.hex() == v["keyset_plaintext"]


def load(name):
    with open(os.path.join(ROOT, "tests/data/vectors", name)) as f:
        return json.load(f)


# ---- audit log (FORMAT.md section 12) ----

def _h(*parts):
    return hashlib.sha256(b"".join(parts)).digest()


def leaf_hash(entry):
    return _h(b"\x00", entry)


def node_hash(left, right):
    return _h(b"\x01", left, right)


def mth(leaves):
    if not leaves:
        return _h()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


class Rd:
    def __init__(self, b):
        self.b, self.i = b, 0

    def take(self, n):
        assert self.i + n <= len(self.b), "truncated"
        v = self.b[self.i:self.i + n]
        self.i += n
        return v

    def u(self, fmt):
        return struct.unpack(">" + fmt, self.take(struct.calcsize(">" + fmt)))[0]

    def flag(self):
        v = self.u("B")
        assert v in (0, 1)
        return v == 1

    def s(self):
        return self.take(self.u("H")).decode("utf-8")

    def opt(self, f):
        return f() if self.flag() else None

    def ts(self):
        sec, ns = self.u("q"), self.u("i")
        assert abs(ns) < 10**9 and (sec == 0 or ns == 0 or (sec > 0) == (ns > 0))
        return [sec, ns]

    def subject(self):
        return self.take(16).hex()

    def key(self):
        tag = self.u("B")
        if tag == 1:
            name = self.s()
            return {"keyset": name, "id": self.u("I")}
        if tag == 2:
            return {"kek": self.s()}
        assert tag == 3
        return {"subject_key": self.u("I")}


def decode_event(b):
    r = Rd(b)
    assert r.u("B") == 1, "event version"
    kind = r.u("B")
    e = {"kind": kind, "at": r.ts(), "actor": r.s(), "purpose": r.opt(r.s)}
    if kind == 1:
        e.update(key=r.key(), op=r.u("B"), algorithm=r.s(), count=r.u("Q"), bytes=r.u("Q"),
                 window=r.opt(lambda: [r.ts(), r.ts()]), category=r.opt(r.s),
                 subject=r.opt(r.subject), ciphertext=r.opt(r.s))
    elif kind == 2:
        e.update(key=r.key(), action=r.u("B"), algorithm=r.opt(r.s))
    elif kind == 3:
        e.update(kek=r.s(), op=r.u("B"), error=r.opt(r.s))
    elif kind == 4:
        e.update(subject=r.subject(), key_id=r.u("I"), action=r.u("B"))
    elif kind == 5:
        e.update(record=r.opt(r.s), subject=r.opt(r.subject), category=r.s(), verdict=r.u("B"),
                 action=r.opt(r.s), due=r.opt(lambda: [r.u("h"), r.u("B"), r.u("B")]),
                 rule=r.opt(r.s), hold=r.opt(r.s), purpose=r.opt(r.s), unregulated=r.flag(),
                 reason=r.s())
    elif kind == 6:
        e.update(subject=r.subject(), purpose=r.s(), granted=r.flag(), effective=r.ts(),
                 policy_version=r.s(), source=r.s())
    elif kind == 7:
        e.update(name=r.s(), subject=r.opt(r.subject))
        e["attributes"] = [[r.s(), r.s()] for _ in range(r.u("H"))]
    elif kind == 8:
        e.update(incident=r.s(), key=r.key())
        step = r.u("B")
        e["step"] = {1: lambda: [1], 2: lambda: [2, r.key()], 3: lambda: [3],
                     4: lambda: [4, r.s()], 5: lambda: [5, r.u("Q")]}[step]()
    else:
        raise AssertionError("unknown event kind %d" % kind)
    assert r.i == len(b), "trailing bytes"
    return e


def decode_segment(seg):
    assert seg[:8] == b"PKAUDSEG" and seg[8] == 1 and seg[9:12] == b"\0\0\0"
    assert hashlib.sha256(seg[:20]).digest()[:4] == seg[20:24], "segment header check"
    first, i, entries = struct.unpack(">Q", seg[12:20])[0], 24, []
    while i < len(seg):
        n = struct.unpack(">I", seg[i:i + 4])[0]
        entry, stored = seg[i + 4:i + 4 + n], seg[i + 4 + n:i + 36 + n]
        assert len(stored) == 32 and leaf_hash(entry) == stored, "record at %d" % i
        entries.append(entry)
        i += 36 + n
    return first, entries


def postorder_nodes(leaves):
    """Every complete subtree hash in post-order: append a leaf, then each parent it completes."""
    out, peaks = [], []
    for n, leaf in enumerate(leaves):
        h, level = leaf, 0
        out.append(h)
        while (n >> level) & 1:
            h = node_hash(peaks.pop(), h)
            out.append(h)
            level += 1
        peaks.append(h)
    return out


def lsb(x):
    return x & 1


def rfc9162_inclusion(index, size, leaf, path, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if lsb(fn) or fn == sn:
            r = node_hash(p, r)
            if not lsb(fn):
                while not lsb(fn) and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def rfc9162_consistency(first, second, first_hash, second_hash, path):
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_hash] + path
    fn, sn = first - 1, second - 1
    while lsb(fn):
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if lsb(fn) or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not lsb(fn):
                while not lsb(fn) and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_hash and sr == second_hash and sn == 0


def verify_note(note, vkey):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
    name, kid, data = vkey.split("+")
    data = base64.b64decode(data)
    assert data[0] == 1 and len(data) == 33
    assert hashlib.sha256(name.encode() + b"\n\x01" + data[1:]).digest()[:4].hex() == kid, "key id"
    text, sigs = note[:note.rindex("\n\n") + 1], note[note.rindex("\n\n") + 2:]
    ok = False
    for line in sigs.rstrip("\n").split("\n"):
        assert line.startswith("\u2014 ")
        sname, b64 = line[2:].split(" ")
        blob = base64.b64decode(b64)
        if sname == name and blob[:4].hex() == kid:
            Ed25519PublicKey.from_public_bytes(data[1:]).verify(blob[4:], text.encode())
            ok = True
    assert ok, "no signature by the verifier key"
    return text, Ed25519PrivateKey


def audit_vectors():
    count = 0
    with open(os.path.join(ROOT, "tests/data/vectors/audit.json")) as f:
        v = json.load(f)
    sp = v["subject_pseudonym"]
    mac = hmac.new(bytes.fromhex(sp["key"]), b"privkit audit subject v1\x00" + sp["subject"].encode(), hashlib.sha256)
    assert mac.digest()[:16].hex() == sp["pseudonym"]
    count += 1
    for e in v["events"]:
        assert decode_event(bytes.fromhex(e["encoding"])) == e["fields"], e["fields"]
        count += 1
    lg = v["log"]
    first, entries = decode_segment(bytes.fromhex(lg["segment"]))
    assert first == 0 and entries == [bytes.fromhex(e["encoding"]) for e in v["events"]]
    leaves = [leaf_hash(e) for e in entries]
    root = mth(leaves)
    assert root.hex() == lg["root"] and len(entries) == lg["size"]
    nodes = bytes.fromhex(lg["tree_nodes"])
    assert nodes[:16] == b"PKAUDNOD\x01" + b"\0" * 7
    assert nodes[16:] == b"".join(postorder_nodes(leaves)), "tree-hash file"
    text, priv = verify_note(lg["checkpoint_note"], lg["verifier_key"])
    assert text == "%s\n%d\n%s\n" % (lg["origin"], lg["size"], base64.b64encode(root).decode())
    # The signature is deterministic (RFC 8032): the seed reproduces it.
    sk = priv.from_private_bytes(bytes.fromhex(lg["signer_seed"]))
    blob = base64.b64decode(lg["checkpoint_note"].rstrip("\n").rsplit(" ", 1)[1])
    assert sk.sign(text.encode()) == blob[4:]
    count += 3
    head, cp = lg["inclusion_proof_tlog"].split("\n\n", 1)
    assert cp == lg["checkpoint_note"]
    lines = head.split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1" and lines[1].startswith("extra ")
    assert lines[2] == "index %d" % lg["inclusion_index"]
    path = [base64.b64decode(x) for x in lines[3:]]
    i = lg["inclusion_index"]
    assert rfc9162_inclusion(i, lg["size"], leaves[i], path, root)
    assert not rfc9162_inclusion(i, lg["size"], leaves[i - 1], path, root)
    lines = lg["consistency_proof"].rstrip("\n").split("\n")
    m = lg["consistency_old_size"]
    assert lines[:3] == ["privkit.dev/tlog-consistency@v1", "old %d" % m, "new %d" % lg["size"]]
    path = [base64.b64decode(x) for x in lines[3:]]
    assert rfc9162_consistency(m, lg["size"], mth(leaves[:m]), root, path)
    assert not rfc9162_consistency(m, lg["size"], mth(leaves[:m - 1]), root, path)
    count += 2
    return count


def erasable_vectors():
    """FORMAT.md section 9.1: the sealed subject key, then the field under it."""
    count = 0
    for v in load("erasable_field.json")["cases"]:
        subject = v["subject"].encode()
        sealed = bytes.fromhex(v["sealed"])
        wrap_aad = labels(b"privkit erasable subject key v1", subject,
                          struct.pack(">I", v["subject_key_id"]))
        assert wrap_aad == bytes.fromhex(v["wrap_aad"])
        wrapping = {v["wrapping_key_id"]: (sealed[1], bytes.fromhex(v["wrapping_key"]))}
        opened = keyset_open(wrapping, sealed, wrap_aad, fmt=0x02)
        assert len(opened) == 33
        alg, sk = opened[0], opened[1:]
        assert sk == bytes.fromhex(v["subject_key"])
        field = bytes.fromhex(v["field"])
        assert field[0] == 0x03 and field[1] == alg
        assert struct.unpack(">I", field[2:6])[0] == v["subject_key_id"]
        fk = hkdf_sha256(b"", sk, labels(b"privkit erasable field key v1", subject), 32)
        assert fk == bytes.fromhex(v["field_key"])
        pt = keyset_open({v["subject_key_id"]: (alg, fk)}, field,
                         bytes.fromhex(v["aad"]), fmt=0x03)
        assert pt == bytes.fromhex(v["plaintext"])
        # Another subject's key derivation must not open it.
        other = hkdf_sha256(b"", sk, labels(b"privkit erasable field key v1", subject + b"x"), 32)
        try:
            keyset_open({v["subject_key_id"]: (alg, other)}, field,
                        bytes.fromhex(v["aad"]), fmt=0x03)
        except InvalidTag:
            pass
        else:
            raise AssertionError("a field opened under another subject's key")
        count += 1
    return count


def main():
    count = audit_vectors()
    count += erasable_vectors()
    for v in load("keyset.json")["vectors"]:
        keys = {v["key_id"]: (v["algorithm_id"], bytes.fromhex(v["key"]))}
        pt = keyset_open(keys, bytes.fromhex(v["ciphertext"]), bytes.fromhex(v["aad"]))
        assert pt == bytes.fromhex(v["plaintext"]), v["comment"]
        count += 1
    for name, version in (("envelope.json", 1), ("envelope_v2.json", 2), ("envelope_v3.json", 3)):
        file = load(name)
        for v in file["vectors"]:
            keks = {}
            for k in v["keks"]:
                keks.update(kek_map(k))
            env = bytes.fromhex(v["envelope"])
            assert env[4] == version
            if version == 3:
                assert env[38:38 + NONCE_LEN[env[5]]].hex() == v["header_nonce"]
                n = v["header_len"]
                assert env[n - 16:n].hex() == v["header_tag"]
                assert labels(b"privkit envelope wrap", b"\x03", env[5:6], env[6:38]).hex() == v["wrap_context"]
            for dk, okm, pt in envelope_open(env, bytes.fromhex(v["aad"]), keks):
                assert dk.hex() == v["data_key"]
                assert okm[:32].hex() == v["payload_key"] and okm[32:].hex() == v["commitment"]
                assert pt == bytes.fromhex(v["plaintext"])
                count += 1
        for case in file.get("fail", []):
            only_first = kek_map(file["vectors"][0]["keks"][0])
            try:
                envelope_open(bytes.fromhex(case["envelope"]), b"", only_first)
            except Exception:
                count += 1
                continue
            raise AssertionError("opened a fail vector: " + case["comment"])
    for name, version in (("stream.json", 1), ("stream_v2.json", 2)):
        for v in load(name)["vectors"]:
            stream = bytes.fromhex(v["stream"])
            assert stream[4] == version
            pt = stream_open(stream, bytes.fromhex(v["aad"]), kek_map(v["kek"]))
            assert pt == bytes.fromhex(v["plaintext"]), v["comment"]
            count += 1
    for name in ("keyset_export_v1.json", "keyset_export.json"):
        check_export(load(name))
        count += 1
    # Password export (section 6.1): needs argon2-cffi (the reference C Argon2) to derive the key.
    try:
        from argon2.low_level import Type, hash_secret_raw
    except ImportError:
        hash_secret_raw = None
        print("interop: argon2-cffi not installed, password export vectors skipped")
    if hash_secret_raw is not None:
        for name in ("keyset_export_password_v1.json", "keyset_export_password.json"):
            check_password_export(load(name), hash_secret_raw, Type)
            count += 1
    print("interop: decoded %d vectors independently, all match" % count)


if __name__ == "__main__":
    sys.exit(main())
