#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A hostile bus peer for tests/e2e/bus-hostile-noise.sh: python3-dissononce in a
Noise_XX_25519_ChaChaPoly_BLAKE2b session with a running dsoftbusd over TCP (2-byte big-endian
length, then the message), misbehaving in one way per run.

usage: bus-evil-noise.py HOST PORT CASE [--expect-device ID]   (we initiate)
  honest         a well-formed session: handshake, PING answered by PONG, then close
  held           as honest, but between the two PINGs it prints "open" and waits for a line
                 on stdin (the session stays open meanwhile)
  wrong-static   message 3's payload signs another Noise static key than the one we use
  wrong-signer   message 3's payload is signed by another device key than it names
  truncated      message 3 cut short (framed as sent, 20 bytes missing)
  garbage-after  a good handshake, then a record of random bytes
  replay         a good handshake, a PING answered, then the same record again
dsoftbusd must answer an honest session, and end every other one without a transport record
(after the handshake ones) or after at most its own records (the transport ones). The
responder's handshake payload must sign its Noise static key in domain bus.static, with the
device key of device id ID when given (the first 16 bytes of its SHA-256, in hex).

usage: bus-evil-noise.py serve CASE   (dsoftbusd initiates: `nx bus pair ID --address ...`)
  Listens on 127.0.0.1, prints "listening PORT ID" (ID: the device we claim), takes one
  connection and answers message 1 with a bad message 2:
  wrong-static   its payload signs another Noise static key than the one we use
  truncated      cut short (framed as sent, 20 bytes missing)
  garbage        random bytes
  honest         a good one: dsoftbusd must refuse it when it dialled another device than ID
dsoftbusd must end the connection without sending message 3 (which would show its identity).

Prints "ok CASE" and exits 0, or "FAIL CASE: why" and 1.
"""
import hashlib
import os
import socket
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from dissononce.cipher.chachapoly import ChaChaPolyCipher
from dissononce.dh.x25519.private import PrivateKey
from dissononce.dh.x25519.x25519 import X25519DH
from dissononce.exceptions.decrypt import DecryptFailedException
from dissononce.hash.blake2b import Blake2bHash
from dissononce.processing.handshakepatterns.interactive.XX import XXHandshakePattern
from dissononce.processing.impl.cipherstate import CipherState
from dissononce.processing.impl.handshakestate import HandshakeState
from dissononce.processing.impl.symmetricstate import SymmetricState

PROLOGUE = b"nexus-bus/1"
TIMEOUT = 20  # a safety net: dsoftbusd decides long before
# busmux frames (userspace/busmux/frame.h): type u8 | stream u32 BE | len u16 BE | payload.
PING, PONG, REKEY = 11, 12, 13


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def raw(pub):
    return pub.public_bytes(Encoding.Raw, PublicFormat.Raw)


def signed_message(domain, data):
    # userspace/keystore/sign.h: "nexus-sign-v1" NUL domain NUL data.
    return b"nexus-sign-v1\0" + domain + b"\0" + data


def handshake_payload(device_key, noise_static):
    """{device Ed25519 public key (32), its signature over noise_static in domain bus.static
    (64)}: what each side's handshake payload carries."""
    return raw(device_key.public_key()) + device_key.sign(signed_message(b"bus.static", noise_static))


def check_responder_payload(payload, rs, expect_device):
    check(len(payload) == 96, "responder payload of %d bytes, not 96" % len(payload))
    try:
        Ed25519PublicKey.from_public_bytes(payload[:32]).verify(
            payload[32:], signed_message(b"bus.static", rs))
    except InvalidSignature:
        raise Failed("the responder's payload does not sign its Noise static key")
    if expect_device is not None:
        device = device_id(payload[:32])
        check(device == expect_device, "responder is device %s, not %s" % (device, expect_device))


def device_id(device_pub):
    """busdisc_device_id: the first 16 bytes of SHA-256(the device's public key), in hex."""
    return hashlib.sha256(device_pub).digest()[:16].hex()


class Conn:
    def __init__(self, sock):
        self.sock = sock

    def send(self, data):
        self.sock.sendall(struct.pack(">H", len(data)) + data)

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            try:
                chunk = self.sock.recv(n - len(buf))
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return None if not buf else buf
            buf += chunk
        return buf

    def recv(self):
        """The next message, or None when dsoftbusd closed the connection."""
        head = self._read(2)
        if head is None or len(head) < 2:
            return None
        body = self._read(struct.unpack(">H", head)[0])
        check(body is not None and len(body) == struct.unpack(">H", head)[0],
              "connection closed inside a message")
        return body


def handshake(conn, case, expect_device):
    dh = X25519DH()
    static = dh.generate_keypair()
    device = Ed25519PrivateKey.generate()
    hs = new_handshake(True, static)

    msg = bytearray()
    hs.write_message(b"", msg)
    conn.send(bytes(msg))
    msg2 = conn.recv()
    check(msg2 is not None, "dsoftbusd closed instead of sending message 2")
    payload = bytearray()
    hs.read_message(msg2, payload)
    check_responder_payload(bytes(payload), hs.rs.data, expect_device)

    if case == "wrong-static":
        other = dh.generate_keypair(PrivateKey(os.urandom(32)))
        ours = handshake_payload(device, other.public.data)
    elif case == "wrong-signer":
        ours = raw(device.public_key()) + Ed25519PrivateKey.generate().sign(
            signed_message(b"bus.static", static.public.data))
    else:
        ours = handshake_payload(device, static.public.data)
    msg = bytearray()
    ciphers = hs.write_message(ours, msg)
    if case == "truncated":
        msg = msg[:-20]
    conn.send(bytes(msg))
    return ciphers


def frame(ftype, stream, payload):
    return struct.pack(">BIH", ftype, stream, len(payload)) + payload


class Session:
    def __init__(self, conn, ciphers):
        self.conn, self.send_cs, self.recv_cs = conn, ciphers[0], ciphers[1]

    def send(self, plaintext):
        record = self.send_cs.encrypt_with_ad(b"", plaintext)
        self.conn.send(record)
        return record

    def frames(self):
        """Frames of the next record, or None at the end of the connection."""
        record = self.conn.recv()
        if record is None:
            return None
        try:
            pt = self.recv_cs.decrypt_with_ad(b"", record)
        except DecryptFailedException:
            raise Failed("a record from dsoftbusd failed to decrypt")
        out, pos = [], 0
        while pos < len(pt):
            check(len(pt) - pos >= 7, "a truncated frame from dsoftbusd")
            ftype, stream, n = struct.unpack(">BIH", pt[pos:pos + 7])
            out.append((ftype, stream, pt[pos + 7:pos + 7 + n]))
            pos += 7 + n
        if any(f[0] == REKEY for f in out):
            rekey(self.recv_cs)
        return out

    def ping(self, token):
        record = self.send(frame(PING, 0, struct.pack(">Q", token)))
        while True:
            frames = self.frames()
            check(frames is not None, "dsoftbusd closed instead of answering a PING")
            if (PONG, 0, struct.pack(">Q", token)) in frames:
                return record

    def expect_end(self):
        """dsoftbusd may still send what it had queued, then must close."""
        while self.frames() is not None:
            pass


def rekey(cs):
    # Noise rev 34 section 11.3 (dissononce 0.34.3's own rekey keeps 48 bytes and resets n).
    nonce = cs._nonce
    cs.initialize_key(cs.cipher.rekey(cs._key)[:32])
    cs.set_nonce(nonce)


def new_handshake(initiator, static):
    hs = HandshakeState(SymmetricState(CipherState(ChaChaPolyCipher()), Blake2bHash()), X25519DH())
    hs.initialize(XXHandshakePattern(), initiator, PROLOGUE, s=static)
    return hs


def serve(case):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(TIMEOUT)
    dh = X25519DH()
    static, device = dh.generate_keypair(), Ed25519PrivateKey.generate()
    port = listener.getsockname()[1]
    print("listening %d %s" % (port, device_id(raw(device.public_key()))), flush=True)
    sock, _ = listener.accept()
    sock.settimeout(TIMEOUT)
    conn = Conn(sock)
    hs = new_handshake(False, static)
    msg1 = conn.recv()
    check(msg1 is not None, "dsoftbusd closed instead of sending message 1")
    hs.read_message(msg1, bytearray())
    if case == "garbage":
        msg = os.urandom(96 + 96)
    else:
        signed = static.public.data
        if case == "wrong-static":
            signed = dh.generate_keypair(PrivateKey(os.urandom(32))).public.data
        msg = bytearray()
        hs.write_message(handshake_payload(device, signed), msg)
        if case == "truncated":
            msg = msg[:-20]
    conn.send(bytes(msg))
    check(conn.recv() is None, "dsoftbusd answered a message 2 it should have refused")


def run(host, port, case, expect_device):
    conn = Conn(socket.create_connection((host, port), timeout=TIMEOUT))
    ciphers = handshake(conn, case, expect_device)
    if case in ("wrong-static", "wrong-signer", "truncated"):
        # Refused at message 3: nothing may come back, not even to a PING.
        if case != "truncated":
            conn.send(ciphers[0].encrypt_with_ad(b"", frame(PING, 0, struct.pack(">Q", 1))))
        check(conn.recv() is None, "dsoftbusd sent a record after refusing the handshake")
        return
    session = Session(conn, ciphers)
    if case in ("honest", "held"):
        session.ping(0x1122334455667788)
        if case == "held":
            print("open", flush=True)
            sys.stdin.readline()
        session.ping(2)
    elif case == "garbage-after":
        conn.send(os.urandom(64))
        session.expect_end()
    elif case == "replay":
        record = session.ping(7)
        conn.send(record)
        session.expect_end()
    else:
        raise Failed("unknown case")


def main():
    args = sys.argv[1:]
    expect_device = None
    if len(args) == 2 and args[0] == "serve" and args[1] in (
            "wrong-static", "truncated", "garbage", "honest"):
        try:
            serve(args[1])
        except (Failed, OSError) as e:
            print("FAIL serve %s: %s" % (args[1], e), file=sys.stderr)
            return 1
        print("ok serve %s" % args[1], flush=True)
        return 0
    if len(args) == 5 and args[3] == "--expect-device":
        expect_device = args[4]
        args = args[:3]
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    host, port, case = args[0], int(args[1]), args[2]
    try:
        run(host, port, case, expect_device)
    except (Failed, OSError) as e:
        print("FAIL %s: %s" % (case, e), file=sys.stderr)
        return 1
    print("ok %s" % case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
