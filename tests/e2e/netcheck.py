#!/usr/bin/python3
"""Reachability probes for the network-namespace harness (netns.sh), standard library only.

  netcheck.py tcp-listen PORT           accept one connection, echo one line back, exit 0
  netcheck.py tcp-send IP PORT SECS     connect (retrying up to SECS), send a line, expect it back
  netcheck.py mcast-listen GROUP PORT   print the first datagram sent to GROUP:PORT, exit 0
  netcheck.py mcast-send GROUP PORT     send one datagram to GROUP:PORT (TTL 1, as mDNS)

Exit 1 on a timeout (the listeners give up after 20 s), so a hung test ends."""
import socket
import struct
import sys
import time

LISTEN_SECS = 20


def tcp_listen(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(1)
    s.settimeout(LISTEN_SECS)
    print("listening", flush=True)
    c, _ = s.accept()
    c.settimeout(LISTEN_SECS)
    c.sendall(c.recv(100))
    c.close()


def tcp_send(ip, port, secs):
    deadline = time.monotonic() + secs
    while True:
        try:
            c = socket.create_connection((ip, port), timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline:
                return 1
            time.sleep(0.1)
    c.settimeout(5)
    c.sendall(b"hello\n")
    return 0 if c.recv(100) == b"hello\n" else 1


def mcast_listen(group, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", port))
    mreq = struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton("0.0.0.0"))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    s.settimeout(LISTEN_SECS)
    print("listening", flush=True)
    data, addr = s.recvfrom(100)
    print(addr[0], data.decode(), flush=True)


def mcast_send(group, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    s.sendto(b"announce", (group, port))


def main(argv):
    try:
        if argv[1] == "tcp-listen":
            tcp_listen(int(argv[2]))
        elif argv[1] == "tcp-send":
            return tcp_send(argv[2], int(argv[3]), float(argv[4]))
        elif argv[1] == "mcast-listen":
            mcast_listen(argv[2], int(argv[3]))
        elif argv[1] == "mcast-send":
            mcast_send(argv[2], int(argv[3]))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except socket.timeout:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
