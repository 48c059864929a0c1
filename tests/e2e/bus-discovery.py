#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# The independent side of tests/e2e/bus-discovery.sh, run with Debian's python3-zeroconf and
# python3-cryptography (never our code):
#   bus-discovery.py browse ADDR        browse _nexus._tcp.local. from ADDR, resolve the one
#                                       instance, check its id and signature; prints
#                                       "resolved <id> <port> <addresses> <svc> sig=ok"
#   bus-discovery.py register ADDR      register a device of our format with zeroconf's own
#                                       responder (signed here); prints "registered <id>"
#                                       and serves until SIGTERM, then says goodbye
#   bus-discovery.py capture ADDR ID FILE
#                                       keep the first response announcing device ID heard
#                                       from ADDR's link in FILE, as it came; prints
#                                       "listening" once joined, "captured" when done
#   bus-discovery.py replay ADDR FILE   send FILE's bytes to the mDNS group from ADDR
#   bus-discovery.py hostile ADDR       send announcements built by zeroconf's own encoder
#                                       and signed here: one good, then forged, replayed,
#                                       stale, future, mismatched, unsigned, oversized,
#                                       garbage; prints the good one's id
import hashlib
import json
import signal
import socket
import sys
import threading
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from zeroconf import (DNSIncoming, DNSOutgoing, DNSPointer, DNSService, DNSText, ServiceBrowser, ServiceInfo,
                      ServiceListener, Zeroconf)
from zeroconf import const

SERVICE = "_nexus._tcp.local."
DOMAIN = b"bus.announce"
PREFIX = b"nexus-sign-v1"
WINDOW_MS = 15 * 60 * 1000  # BUSDISC_TS_WINDOW_MS
SKEW_MS = 2 * 60 * 1000     # BUSDISC_TS_SKEW_MS


def signed_data(f):
    """announce.h's signed bytes, rebuilt from the documented format."""
    return ("v=1\nid=%s\ndk=%s\nnk=%s\nport=%d\nsvc=%s\nts=%s" %
            (f["id"], f["dk"], f["nk"], f["port"], f["svc"], f["ts"])).encode()


def message(data):
    """keystore's construction: "nexus-sign-v1" NUL domain NUL data."""
    return PREFIX + b"\0" + DOMAIN + b"\0" + data


def raw(key):
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def device_id(dk):
    return hashlib.sha256(dk).hexdigest()[:32]


def browse(addr):
    found = threading.Event()
    names = []

    class Listener(ServiceListener):
        def add_service(self, zc, type_, name):
            names.append(name)
            found.set()

        def update_service(self, zc, type_, name):
            pass

        def remove_service(self, zc, type_, name):
            pass

    zc = Zeroconf(interfaces=[addr])
    try:
        ServiceBrowser(zc, SERVICE, Listener())
        if not found.wait(30):
            sys.exit("no _nexus._tcp instance found")
        info = zc.get_service_info(SERVICE, names[0], timeout=10000)
        if info is None:
            sys.exit("instance %s did not resolve" % names[0])
        props = {k.decode(): v.decode() for k, v in info.properties.items()}
        f = dict(props, port=info.port)
        dk = bytes.fromhex(f["dk"])
        if device_id(dk) != f["id"] or names[0] != "%s.%s" % (f["id"], SERVICE):
            sys.exit("id %s is not dk's, or not the instance name %s" % (f["id"], names[0]))
        if f["v"] != "1" or len(bytes.fromhex(f["nk"])) != 32:
            sys.exit("bad TXT: %s" % json.dumps(props))
        Ed25519PublicKey.from_public_bytes(dk).verify(bytes.fromhex(f["sig"]),
                                                      message(signed_data(f)))
        print("resolved %s %d %s %s dk=%s nk=%s sig=ok" % (f["id"], info.port,
              ",".join(info.parsed_addresses()), f["svc"] or "-", f["dk"], f["nk"]), flush=True)
    finally:
        zc.close()


def fields(key, ts, port, svc, id_=None):
    dk = raw(key)
    return {"id": id_ or device_id(dk), "dk": dk.hex(), "nk": "11" * 32, "port": port,
            "svc": svc, "ts": str(ts)}


def register(addr):
    """zeroconf's responder announces a device of ours and answers queries for it."""
    key = Ed25519PrivateKey.from_private_bytes(bytes([9]) * 32)
    f = fields(key, int(time.time() * 1000), 7003, "logd")
    props = {k: f[k] for k in ("id", "dk", "nk", "svc", "ts")}
    props["v"] = "1"
    props["sig"] = key.sign(message(signed_data(f))).hex()
    info = ServiceInfo(SERVICE, "%s.%s" % (f["id"], SERVICE), port=7003, properties=props,
                       server=f["id"] + ".local.", parsed_addresses=[addr])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    zc = Zeroconf(interfaces=[addr])
    try:
        zc.register_service(info)
        print("registered %s" % f["id"], flush=True)
        stop.wait()
        zc.unregister_service(info)  # goodbye: the records again with TTL 0
    finally:
        zc.close()


def mdns_socket(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(addr))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    return s


def capture(addr, id_, path):
    """A listener sharing port 5353, as any responder on the link can."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("", 5353))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                 socket.inet_aton("224.0.0.251") + socket.inet_aton(addr))
    s.settimeout(60)
    print("listening", flush=True)
    instance = "%s.%s" % (id_, SERVICE)
    while True:
        data, _ = s.recvfrom(9000)
        msg = DNSIncoming(data)
        if msg.is_response() and any(r.name == instance and r.type == const._TYPE_TXT
                                     for r in msg.answers):
            break
    with open(path, "wb") as f:
        f.write(data)
    print("captured", flush=True)


def replay(addr, path):
    with open(path, "rb") as f:
        data = f.read()
    s = mdns_socket(addr)
    s.bind((addr, 0))
    s.sendto(data, ("224.0.0.251", 5353))


def announcement(key, ts, port=7001, svc="echod", id_=None, sign_key=None, signed=True):
    """A response announcing key's device, encoded by zeroconf."""
    f = fields(key, ts, port, svc, id_)
    strings = ["v=1", "id=" + f["id"], "dk=" + f["dk"], "nk=" + f["nk"], "svc=" + svc,
               "ts=" + f["ts"]]
    if signed:
        sig = (sign_key or key).sign(message(signed_data(f)))
        strings.append("sig=" + sig.hex())
    text = b"".join(bytes([len(s)]) + s.encode() for s in strings)
    instance = "%s.%s" % (f["id"], SERVICE)
    unique = const._CLASS_IN | const._CLASS_UNIQUE
    out = DNSOutgoing(const._FLAGS_QR_RESPONSE | const._FLAGS_AA)
    out.add_answer_at_time(DNSPointer(SERVICE, const._TYPE_PTR, const._CLASS_IN, 120, instance), 0)
    out.add_answer_at_time(DNSService(instance, const._TYPE_SRV, unique, 120, 0, 0, port,
                                      f["id"] + ".local."), 0)
    out.add_answer_at_time(DNSText(instance, const._TYPE_TXT, unique, 120, text), 0)
    packets = out.packets()
    assert len(packets) == 1
    return packets[0]


def hostile(addr):
    key = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)
    other = Ed25519PrivateKey.from_private_bytes(bytes([8]) * 32)
    now = int(time.time() * 1000)
    sends = [
        announcement(key, now),                              # new
        announcement(key, now, sign_key=other),              # signature: forged
        announcement(key, now - 1000),                       # replay: older
        announcement(key, now, port=7002),                   # replay: same ts, other content
        announcement(other, now - WINDOW_MS - 60000),        # stale
        announcement(other, now + SKEW_MS + 60000),          # future
        announcement(other, now, id_=device_id(raw(key))),  # id
        announcement(other, now, signed=False),              # signature: missing
        bytes(2000),                                         # malformed: oversized
        b"\x00\x01garbage" * 8,                              # malformed: garbage
    ]
    s = mdns_socket(addr)
    s.bind((addr, 0))
    for p in sends:
        s.sendto(p, ("224.0.0.251", 5353))
    s.close()
    print(device_id(raw(key)), flush=True)


if __name__ == "__main__":
    modes = {"browse": browse, "register": register, "hostile": hostile, "capture": capture,
             "replay": replay}
    modes[sys.argv[1]](*sys.argv[2:])
