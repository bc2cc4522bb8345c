import os
import secrets

import pyDes
import rsa as pyrsa
from Crypto.Cipher import AES, ARC4, DES, DES3, Blowfish
from Crypto.PublicKey import RSA
from Crypto.Random import get_random_bytes
from cryptography.hazmat.primitives.asymmetric import dsa, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

STATIC_IV = b"0123456789abcdef"


def cryptography_weak(key, data):
    # ruleid: flywheel.python.weak-cipher
    enc = Cipher(algorithms.TripleDES(key), modes.CBC(os.urandom(8))).encryptor()
    # ruleid: flywheel.python.weak-cipher
    rc4 = Cipher(algorithms.ARC4(key), mode=None).encryptor()
    # ruleid: flywheel.python.weak-cipher
    bf = Cipher(algorithms.Blowfish(key), modes.ECB()).encryptor()
    # ruleid: flywheel.python.ecb-mode
    ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc, rc4, bf, ecb


def cryptography_good(key, data):
    nonce = os.urandom(12)
    # ok: flywheel.python.weak-cipher, flywheel.python.ecb-mode
    ct = AESGCM(key).encrypt(nonce, data, None)
    iv = os.urandom(16)
    # ok: flywheel.python.weak-cipher, flywheel.python.ecb-mode, flywheel.python.static-iv
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    # ok: flywheel.python.weak-cipher
    chacha = ChaCha20Poly1305(key)
    return ct, enc, chacha


def pycryptodome_weak(key, data):
    # ruleid: flywheel.python.weak-cipher
    des = DES.new(key, DES.MODE_ECB)
    # ruleid: flywheel.python.weak-cipher
    tdes = DES3.new(key, DES3.MODE_CBC, iv=get_random_bytes(8))
    # ruleid: flywheel.python.weak-cipher
    arc4 = ARC4.new(key)
    # ruleid: flywheel.python.weak-cipher
    bf = Blowfish.new(key, Blowfish.MODE_CBC)
    # ruleid: flywheel.python.ecb-mode
    aes = AES.new(key, AES.MODE_ECB)
    # ruleid: flywheel.python.weak-cipher
    legacy = pyDes.triple_des(key)
    return des, tdes, arc4, bf, aes, legacy


def pycryptodome_good(key, data):
    # ok: flywheel.python.weak-cipher, flywheel.python.ecb-mode, flywheel.python.static-iv
    gcm = AES.new(key, AES.MODE_GCM)
    ct, tag = gcm.encrypt_and_digest(data)
    # ok: flywheel.python.weak-cipher, flywheel.python.ecb-mode, flywheel.python.static-iv
    cbc = AES.new(key, AES.MODE_CBC, iv=get_random_bytes(16))
    return gcm.nonce, ct, tag, cbc


def key_sizes():
    # ruleid: flywheel.python.rsa-weak-key-size
    k1 = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    # ruleid: flywheel.python.rsa-weak-key-size
    k2 = RSA.generate(1024)
    # ruleid: flywheel.python.rsa-weak-key-size
    k3 = dsa.generate_private_key(key_size=1024)
    # ruleid: flywheel.python.rsa-weak-key-size
    k4 = rsa.generate_private_key(65537, 512)
    # ruleid: flywheel.python.rsa-weak-key-size
    pub, priv = pyrsa.newkeys(512)
    return k1, k2, k3, k4, pub, priv


def good_key_sizes(bits):
    # ok: flywheel.python.rsa-weak-key-size
    k1 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # ok: flywheel.python.rsa-weak-key-size
    k2 = RSA.generate(3072)
    # ok: flywheel.python.rsa-weak-key-size
    k3 = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    # ok: flywheel.python.rsa-weak-key-size
    k4 = dsa.generate_private_key(key_size=4096)
    return k1, k2, k3, k4


def static_ivs(key, data):
    # ruleid: flywheel.python.static-iv
    c1 = Cipher(algorithms.AES(key), modes.CBC(b"\x00" * 16)).encryptor()
    # ruleid: flywheel.python.static-iv
    c2 = Cipher(algorithms.AES(key), modes.CBC(STATIC_IV)).encryptor()
    # ruleid: flywheel.python.static-iv
    c3 = AES.new(key, AES.MODE_CBC, iv=b"fixedinitvector!")
    nonce = b"123456789012"
    # ruleid: flywheel.python.static-iv
    c4 = AESGCM(key).encrypt(nonce, data, None)
    aead = ChaCha20Poly1305(key)
    # ruleid: flywheel.python.static-iv
    c5 = aead.encrypt(bytes(12), data, None)
    # ruleid: flywheel.python.static-iv
    c6 = AES.new(key, AES.MODE_CTR, nonce="abcdefgh".encode())
    return c1, c2, c3, c4, c5, c6


def random_ivs(key, data):
    iv = secrets.token_bytes(16)
    # ok: flywheel.python.static-iv
    c1 = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    aead = AESGCM(key)
    nonce = os.urandom(12)
    # ok: flywheel.python.static-iv
    c2 = aead.encrypt(nonce, data, None)
    # ok: flywheel.python.static-iv
    c3 = AES.new(key, AES.MODE_CTR, nonce=get_random_bytes(8))
    # ok: flywheel.python.static-iv
    c4 = Cipher(algorithms.AES(key), modes.GCM(os.urandom(12))).encryptor()
    return c1, c2, c3, c4
