# SPDX-License-Identifier: GPL-2.0
# The consumer of a CVE case: Debian's python3 serving requests on a Unix
# socket, one line each, with a thread per connection (a server-like
# loop, the process tests/cve/check-cve.sh patches live):
#   work     CASE.work(): ordinary use of the library, "ok" when right
#   trigger  CASE.trigger() in a forked child: its answer, or
#            "crash:SIGNAME" when the child died of a signal, so that a
#            crash ends that request only and this process lives on
#   quit     stop serving
# usage: python3 server.py SOCKET CASE_DIR   (prints "ready" when serving)
import importlib.util
import os
import signal
import socketserver
import sys

sock_path, case_dir = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location(
    "case", os.path.join(case_dir, "case.py"))
case = importlib.util.module_from_spec(spec)
spec.loader.exec_module(case)


def in_child(fn):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            out = fn()
        except BaseException as e:  # the answer says what went wrong
            out = "exception:%s" % type(e).__name__
        os.write(w, out.encode(errors="replace")[:300])
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 512)
        if not chunk:
            break
        data += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return "crash:" + signal.Signals(os.WTERMSIG(status)).name
    if os.WEXITSTATUS(status):
        return "exit:%d" % os.WEXITSTATUS(status)
    # one printable line, whatever the library made of the input
    text = data.decode("ascii", errors="replace")
    return "".join(c if " " <= c <= "~" else "?" for c in text)


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            cmd = line.strip()
            if cmd == b"work":
                try:
                    out = case.work()
                except Exception as e:
                    out = "error:%s" % type(e).__name__
            elif cmd == b"trigger":
                out = in_child(case.trigger)
            elif cmd == b"quit":
                self.wfile.write(b"bye\n")
                self.wfile.flush()
                os.kill(os.getpid(), signal.SIGTERM)
                return
            else:
                out = "unknown request"
            self.wfile.write(out.encode() + b"\n")
            self.wfile.flush()


class Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


if os.path.exists(sock_path):
    os.unlink(sock_path)
srv = Server(sock_path, Handler)
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
print("ready", os.getpid(), flush=True)
srv.serve_forever()
