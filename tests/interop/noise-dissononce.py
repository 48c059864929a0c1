#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Our Noise_XX_25519_ChaChaPoly_BLAKE2b (tests/interop/noise-peer) against an independent
implementation, python3-dissononce, over the peer's stdin/stdout (2-byte big-endian length,
then the message, as on the bus).

usage: noise-dissononce.py NOISE_PEER CASE
  c-initiator      our initiator, dissononce responds: handshake, records both ways, rekey
  c-responder      the same with the roles swapped
  flip-handshake   dissononce (responder) flips a bit of message 2: our initiator refuses it
  flip-transport   dissononce flips a bit of a transport record: our responder refuses it
  replay-transport dissononce sends a transport record twice: our responder refuses the copy
Exits 0 when every check holds; otherwise prints the failed check and exits 1.
"""
import os
import subprocess
import sys

from dissononce.cipher.chachapoly import ChaChaPolyCipher
from dissononce.dh.x25519.private import PrivateKey
from dissononce.dh.x25519.x25519 import X25519DH
from dissononce.hash.blake2b import Blake2bHash
from dissononce.processing.handshakepatterns.interactive.XX import XXHandshakePattern
from dissononce.processing.impl.cipherstate import CipherState
from dissononce.processing.impl.handshakestate import HandshakeState
from dissononce.processing.impl.symmetricstate import SymmetricState

PROLOGUE = b"nexus-bus/1"
EXIT_REFUSED = 3  # noise-peer's status for a message its library refused


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def keypair(secret):
    return X25519DH().generate_keypair(PrivateKey(secret))


def rekey(cs):
    """Rekey per Noise rev 34 sections 4.2 and 5.1: k = the first 32 bytes of
    ENCRYPT(k, 2^64-1, "", zeros), n unchanged. dissononce 0.34.3's CipherState.rekey keeps all
    48 bytes (then cannot encrypt) and resets n to 0, so the spec's rekey is done here on its
    cipher primitive."""
    nonce = cs._nonce
    cs.initialize_key(cs.cipher.rekey(cs._key)[:32])
    cs.set_nonce(nonce)


class Peer:
    def __init__(self, exe, role, secret):
        self.proc = subprocess.Popen([exe, "--role", role, "--static", secret.hex()],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def send(self, data):
        self.proc.stdin.write(len(data).to_bytes(2, "big") + data)
        self.proc.stdin.flush()

    def recv(self):
        head = self.proc.stdout.read(2)
        check(len(head) == 2, "peer closed instead of sending a message")
        data = self.proc.stdout.read(int.from_bytes(head, "big"))
        return data

    def finish(self):
        """Closes its input and returns its exit status and anything it still wrote."""
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        rest = self.proc.stdout.read()
        return self.proc.wait(timeout=30), rest


def handshake(peer, initiator, our_secret, flip_msg2=False):
    """Runs dissononce's side of XX; returns (send, recv, handshake hash, payloads seen)."""
    hs = HandshakeState(SymmetricState(CipherState(ChaChaPolyCipher()), Blake2bHash()), X25519DH())
    hs.initialize(XXHandshakePattern(), initiator, PROLOGUE, s=keypair(our_secret))
    seen = []
    ciphers = None
    for i in range(3):
        if (i % 2 == 0) == initiator:
            buf = bytearray()
            ciphers = hs.write_message(b"py%d" % (i + 1), buf)
            if flip_msg2 and i == 1:
                buf[40] ^= 0x01
            peer.send(bytes(buf))
        else:
            payload = bytearray()
            ciphers = hs.read_message(peer.recv(), payload)
            seen.append(bytes(payload))
    check(ciphers is not None, "dissononce did not split after three messages")
    send, recv = ciphers if initiator else (ciphers[1], ciphers[0])
    return send, recv, hs.symmetricstate.get_handshake_hash(), hs.rs.data, seen


def check_report(recv, peer, our_secret, our_hash, seen, initiator):
    report = recv.decrypt_with_ad(b"", peer.recv())
    check(report[:64] == our_hash, "handshake hashes differ")
    check(report[64:96] == keypair(our_secret).public.data,
          "the peer saw another static key than ours")
    pos, payloads = 96, []
    while pos < len(report):
        n = report[pos]
        payloads.append(report[pos + 1:pos + 1 + n])
        pos += 1 + n
    want_ours = [b"py1", b"py3"] if initiator else [b"py2"]
    want_theirs = [b"c2"] if initiator else [b"c1", b"c3"]
    check(payloads == want_ours, "the peer got our payloads as %r" % payloads)
    check(seen == want_theirs, "we got the peer's payloads as %r" % seen)


def roundtrip(peer, send, recv, text):
    peer.send(send.encrypt_with_ad(b"", text))
    check(recv.decrypt_with_ad(b"", peer.recv()) == b"echo:" + text, "echo of %r" % text)


def session(exe, initiator):
    our_secret, their_secret = os.urandom(32), os.urandom(32)
    peer = Peer(exe, "responder" if initiator else "initiator", their_secret)
    send, recv, h, rs, seen = handshake(peer, initiator, our_secret)
    check(rs == keypair(their_secret).public.data, "dissononce saw another static key")
    check_report(recv, peer, our_secret, h, seen, initiator)
    return peer, send, recv


def case_both_ways(exe, initiator):
    peer, send, recv = session(exe, initiator)
    for i in range(5):
        roundtrip(peer, send, recv, b"message %d" % i)
    roundtrip(peer, send, recv, b"x" * 65000)
    # "rekey" and its echo each change the key of their direction after them.
    peer.send(send.encrypt_with_ad(b"", b"rekey"))
    rekey(send)
    check(recv.decrypt_with_ad(b"", peer.recv()) == b"echo:rekey", "echo of rekey")
    rekey(recv)
    for i in range(3):
        roundtrip(peer, send, recv, b"after rekey %d" % i)
    peer.send(send.encrypt_with_ad(b"", b"bye"))
    status, rest = peer.finish()
    check(status == 0 and rest == b"", "peer ended with %d" % status)


def case_refused(exe, case):
    if case == "flip-handshake":
        peer = Peer(exe, "initiator", os.urandom(32))
        try:
            handshake(peer, False, os.urandom(32), flip_msg2=True)
        except Failed:
            pass  # the peer closed instead of sending message 3: expected
    else:
        peer, send, recv = session(exe, True)
        roundtrip(peer, send, recv, b"fine")
        record = send.encrypt_with_ad(b"", b"twice")
        if case == "flip-transport":
            peer.send(record[:3] + bytes([record[3] ^ 0x80]) + record[4:])
        else:
            peer.send(record)
            check(recv.decrypt_with_ad(b"", peer.recv()) == b"echo:twice", "echo of twice")
            peer.send(record)
    status, rest = peer.finish()
    check(status == EXIT_REFUSED, "peer exited %d, not %d (refused)" % (status, EXIT_REFUSED))
    check(rest == b"", "peer answered a refused message")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    exe, case = sys.argv[1], sys.argv[2]
    try:
        if case == "c-initiator":
            case_both_ways(exe, False)
        elif case == "c-responder":
            case_both_ways(exe, True)
        elif case in ("flip-handshake", "flip-transport", "replay-transport"):
            case_refused(exe, case)
        else:
            print("unknown case %s" % case, file=sys.stderr)
            return 2
    except Failed as e:
        print("FAIL %s: %s" % (case, e), file=sys.stderr)
        return 1
    print("ok %s" % case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
