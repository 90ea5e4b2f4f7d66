# SPDX-License-Identifier: GPL-2.0
# Load on a CVE case's consumer (tests/cve/lib/server.py), or one request.
#   python3 load.py SOCKET ask REQUEST
#       one request on a connection of its own; prints the answer
#   python3 load.py SOCKET load COUNTS [CLIENTS]
#       CLIENTS (2) connections sending "work" without pause until
#       SIGTERM; a request is served when it is answered "ok", failed
#       otherwise (another answer, a broken connection: the client then
#       reconnects).  COUNTS gets "served N failed M" every 25 requests
#       and at the end (written whole: a new file renamed over it).
import os
import signal
import socket
import sys
import threading

path = sys.argv[1]


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s, s.makefile("rwb")


def ask(req):
    s, f = connect()
    f.write(req.encode() + b"\n")
    f.flush()
    out = f.readline().decode(errors="replace").strip()
    s.close()
    return out


if sys.argv[2] == "ask":
    print(ask(sys.argv[3]))
    sys.exit(0)

counts_path = sys.argv[3]
clients = int(sys.argv[4]) if len(sys.argv) > 4 else 2
lock = threading.Lock()
served = failed = 0
stop = threading.Event()


def write_counts():
    with lock:
        text = "served %d failed %d\n" % (served, failed)
    tmp = "%s.%d" % (counts_path, threading.get_ident())
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, counts_path)


def client():
    global served, failed
    conn = None
    while not stop.is_set():
        try:
            if conn is None:
                conn = connect()
            conn[1].write(b"work\n")
            conn[1].flush()
            ok = conn[1].readline().strip() == b"ok"
        except OSError:
            ok = False
            conn = None
        with lock:
            if ok:
                served += 1
            else:
                failed += 1
            n = served + failed
        if n % 25 == 0:
            write_counts()


signal.signal(signal.SIGTERM, lambda *_: stop.set())
threads = [threading.Thread(target=client) for _ in range(clients)]
for t in threads:
    t.start()
write_counts()
while not stop.wait(3600):
    pass
for t in threads:
    t.join()
write_counts()
