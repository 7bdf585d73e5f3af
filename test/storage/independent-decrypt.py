#!/usr/bin/env python3
"""An independent reader of the keysmith storage format v1, written from
docs/storage-format.md only, on Python's 'cryptography' package (not
node:crypto). Usage: independent-decrypt.py KEY_HEX|--passphrase PW|--identity X25519_SECRET_HEX FILE > plaintext.
Exit 1 on any authentication failure."""
import hashlib, hmac, struct, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

def hkdf(ikm, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(ikm)

def main():
    args = sys.argv[1:]
    data = open(args[-1], 'rb').read()
    assert data[:8] == b'KSTORE\r\n' and data[8] == 1 and data[9] == 1, 'not v1'
    chunk = struct.unpack('>I', data[10:14])[0]
    prefix = data[14:20]
    hlen = struct.unpack('>H', data[20:22])[0]
    wtype = data[22]
    key_id = data[24:32]
    off = 32
    if wtype == 1:
        kek = bytes.fromhex(args[0])
    elif wtype == 3:
        share = data[32:64]
        off = 64
        me = X25519PrivateKey.from_private_bytes(bytes.fromhex(args[1]))
        mine = me.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        assert hashlib.sha256(b'keysmith storage key id v1 x25519' + mine).digest()[:8] == key_id, 'wrong identity'
        shared = me.exchange(X25519PublicKey.from_public_bytes(share))
        kek = HKDF(algorithm=hashes.SHA256(), length=32, salt=share + mine, info=b'keysmith storage v1 x25519').derive(shared)
    else:
        salt = data[32:48]; logn, r, p = data[48], data[49], data[50]
        off = 51
        kek = hashlib.scrypt(args[1].encode(), salt=salt, n=2 ** logn, r=r, p=p, maxmem=2 ** 30, dklen=32)
    assert wtype == 3 or hmac.new(kek, b'keysmith storage key id v1', 'sha256').digest()[:8] == key_id, 'wrong key'
    wrap_nonce = data[off:off + 12]
    wrapped = data[off + 12:off + 60]
    dk = AESGCM(kek).decrypt(wrap_nonce, wrapped, data[:off])
    mac = hmac.new(hkdf(dk, b'keysmith storage v1 header'), data[:off + 60], 'sha256').digest()
    assert off + 92 == hlen and hmac.compare_digest(mac, data[off + 60:hlen]), 'header MAC'
    aead = AESGCM(hkdf(dk, b'keysmith storage v1 payload'))
    payload = data[hlen:]
    sealed = chunk + 16
    n = max(1, -(-len(payload) // sealed))
    out = sys.stdout.buffer
    for i in range(n):
        part = payload[i * sealed:(i + 1) * sealed]
        last = i == n - 1
        nonce = prefix + i.to_bytes(5, 'big') + (b'\x01' if last else b'\x00')
        out.write(aead.decrypt(nonce, part, data[:20]))

try:
    main()
except Exception as e:  # any failure: exit 1 without plaintext of the failing chunk
    sys.stderr.write('independent-decrypt: %s\n' % (type(e).__name__,))
    sys.exit(1)
