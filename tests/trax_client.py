#!/usr/bin/env python3
"""trax_client.py — a small TraX client (votchallenge/trax docs/protocol.rst, version 1) for
tests/test_trax.sh, standard library only. It starts a server command, speaks the protocol to
it over stdin/stdout or a TCP socket (TRAX_SOCKET), and checks what comes back. Every wait has a
deadline, so a server that hangs fails the test instead of stalling it.

  session --frames DIR --init X,Y,W,H [--reinit K:X,Y,W,H] [--polygon] [--style S] [--socket]
          [--limit N] --out STATES -- SERVER...   a whole sequence; one state per frame to STATES
  bad --expect TEXT [--init-dir DIR --init X,Y,W,H] (--line L ... | --long N | --close) -- SERVER...
          a malformed exchange: the server must end it (exit 1 or 2) and say TEXT on stderr
  compare A B [--b-from K] [--count N]           boxes A[i] against B[K+i]: the worst difference
"""
import argparse
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

PREFIX = "@@TRAX:"
TIMEOUT = float(os.environ.get("TRAX_CLIENT_TIMEOUT", "60"))


class ProtocolError(Exception):
    pass


def quote(text):
    """One argument as the protocol writes it: in double quotes, with \\ \" and newlines escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def parse(line):
    """(name, arguments, named arguments) of a message line, or None for a line without the prefix."""
    if not line.startswith(PREFIX):
        return None
    rest = line[len(PREFIX):]
    i = 0
    while i < len(rest) and rest[i].isalnum():
        i += 1
    name, rest = rest[:i], rest[i:]
    if not name or (rest and rest[0] != " "):
        raise ProtocolError(f"malformed message name in {line!r}")
    args, named, i = [], {}, 0
    while True:
        while i < len(rest) and rest[i] == " ":
            i += 1
        if i == len(rest):
            break
        quoted = rest[i] == '"'
        i += quoted
        token = []
        while True:
            if i == len(rest):
                if quoted:
                    raise ProtocolError(f"unclosed quote in {line!r}")
                break
            c = rest[i]
            i += 1
            if quoted and c == '"':
                if i < len(rest) and rest[i] != " ":
                    raise ProtocolError(f"text after a closing quote in {line!r}")
                break
            if not quoted and c == " ":
                break
            if c == "\\":
                if i == len(rest):
                    raise ProtocolError(f"dangling escape in {line!r}")
                c = "\n" if rest[i] == "n" else rest[i]
                i += 1
            token.append(c)
        token = "".join(token)
        key, eq, value = token.partition("=")
        if eq and 0 < len(key) <= 64 and all(ch.isalnum() or ch in "._" for ch in key):
            named[key] = value
        else:
            args.append(token)
    return name, args, named


class Connection:
    """The server process and the channel its messages travel on (its stdio, or a socket)."""

    def __init__(self, command, use_socket=False):
        self.err = tempfile.TemporaryFile()
        env = dict(os.environ)
        self.listener = None
        if use_socket:
            self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.listener.bind(("127.0.0.1", 0))
            self.listener.listen(1)
            env["TRAX_SOCKET"] = str(self.listener.getsockname()[1])
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, env=env)
        self.stdout_lines = []  # every line of the server's stdout, to check nothing else is there
        if use_socket:
            self.listener.settimeout(TIMEOUT)
            self.sock, _ = self.listener.accept()
            self.rfd, self.wfd = self.sock.fileno(), self.sock.fileno()
        else:
            self.sock = None
            self.rfd, self.wfd = self.proc.stdout.fileno(), self.proc.stdin.fileno()
        self.pending = b""
        self.eof = False

    def send_raw(self, text):
        data = text.encode() + b"\n"
        try:
            if self.sock:
                self.sock.sendall(data)
            else:
                os.write(self.wfd, data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server ended the session; what it said is read next

    def send(self, name, args=(), named=None):
        parts = [PREFIX + name] + [quote(a) for a in args]
        parts += [quote(f"{k}={v}") for k, v in (named or {}).items()]
        self.send_raw(" ".join(parts))

    def close_input(self):
        if self.sock:
            self.sock.shutdown(socket.SHUT_WR)
        else:
            self.proc.stdin.close()

    def read_line(self):
        """The next line the server sends, None at the end of its output; ProtocolError past the
        deadline."""
        deadline = time.monotonic() + TIMEOUT
        while b"\n" not in self.pending and not self.eof:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.rfd], [], [], left)[0]:
                raise ProtocolError(f"no answer from the server within {TIMEOUT:.0f} s")
            chunk = os.read(self.rfd, 65536)
            if not chunk:
                self.eof = True
            self.pending += chunk
        if not self.pending:
            return None
        line, _, self.pending = self.pending.partition(b"\n")
        text = line.decode()
        if not self.sock:
            self.stdout_lines.append(text)
        return text

    def receive(self):
        """The next message: (name, args, named), None at the end of the output."""
        while True:
            line = self.read_line()
            if line is None:
                return None
            msg = parse(line)
            if msg is not None:
                return msg
            if self.sock is None:
                raise ProtocolError(f"a line on stdout that is not a TraX message: {line!r}")

    def finish(self):
        """Exit status and stderr of the server, waiting for it within the deadline."""
        try:
            rc = self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise ProtocolError(f"the server did not exit within {TIMEOUT:.0f} s")
        if not self.sock:
            rest = (self.pending + self.proc.stdout.read()).decode()
            self.pending = b""
            self.stdout_lines += [l for l in rest.split("\n") if l]
        self.err.seek(0)
        return rc, self.err.read().decode(errors="replace")


def expect_hello(conn):
    msg = conn.receive()
    if msg is None or msg[0] != "hello":
        raise ProtocolError(f"expected hello, got {msg}")
    _, args, named = msg
    want = {"trax.version": "1", "trax.name": "lorat", "trax.image": "path",
            "trax.region": "rectangle", "trax.channels": "color"}
    for k, v in want.items():
        if named.get(k) != v:
            raise ProtocolError(f"hello: {k}={named.get(k)!r}, expected {v!r}")
    if not named.get("trax.identifier", "").startswith("lorat-"):
        raise ProtocolError(f"hello: trax.identifier={named.get('trax.identifier')!r}")
    if args:
        raise ProtocolError(f"hello with arguments {args}")
    return named


def parse_box(text):
    vals = [float(v) for v in text.split(",")]
    if len(vals) != 4:
        raise ValueError(f"not x,y,w,h: {text!r}")
    return vals


def diamond(box):
    """A polygon whose bounding box is box: the midpoints of its sides."""
    x, y, w, h = box
    pts = [(x + w / 2, y), (x + w, y + h / 2), (x + w / 2, y + h), (x, y + h / 2)]
    return ",".join(f"{v:.4f}" for p in pts for v in p)


def frame_list(folder):
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith((".jpg", ".jpeg", ".png")))
    return [os.path.abspath(os.path.join(folder, n)) for n in names]


def cmd_session(a):
    frames = frame_list(a.frames)[: a.limit or None]
    odd = None
    if a.style == "odd":
        # Paths with a space, a double quote and a backslash: the quoting and escapes must hold.
        odd = tempfile.mkdtemp(prefix='trax odd "dir" \\ ')
        for f in frames:
            shutil.copy(f, odd)
        frames = [os.path.join(odd, os.path.basename(f)) for f in frames]
    reinit = None
    if a.reinit:
        k, _, box = a.reinit.partition(":")
        reinit = (int(k), box)
    conn = Connection(a.server, use_socket=a.socket)
    states, worst_conf = [], None
    try:
        expect_hello(conn)
        if a.style == "plain":
            conn.send_raw("some output that is not a message")  # the protocol lets it pass
            conn.send_raw("")
        for i, path in enumerate(frames):
            image = path if a.style == "plain" else "file://" + path
            init = i == 0 or (reinit and i == reinit[0])
            if init:
                box = a.init if i == 0 else reinit[1]
                region = diamond(parse_box(box)) if a.polygon else box
                if a.style == "plain":  # unquoted arguments, a named argument between them
                    conn.send_raw(f"{PREFIX}initialize {image} custom.note=ignored {region}")
                else:
                    conn.send("initialize", [image, region], {"custom.note": 'a "quoted" value'})
            else:
                if a.style == "plain":
                    conn.send_raw(f"{PREFIX}frame {image}")
                else:
                    conn.send("frame", [image])
            msg = conn.receive()
            if msg is None or msg[0] != "state" or len(msg[1]) != 1:
                raise ProtocolError(f"frame {i}: expected a state with one region, got {msg}")
            states.append(parse_box(msg[1][0]))
            conf = msg[2].get("confidence")
            if init:  # the init state is the init box (a polygon's bounding box)
                want, got = parse_box(box), states[-1]
                if max(abs(p - q) for p, q in zip(want, got)) > 2e-4:
                    raise ProtocolError(f"frame {i}: init state {got}, expected {want}")
            else:
                if conf is None or not 0 <= float(conf) <= 1:
                    raise ProtocolError(f"frame {i}: confidence {conf!r} is not in [0, 1]")
                c = float(conf)
                worst_conf = c if worst_conf is None else min(worst_conf, c)
        conn.send("quit")
        rc, err = conn.finish()
        if rc != 0:
            raise ProtocolError(f"exit status {rc} after quit; stderr:\n{err}")
        if not conn.sock:
            bad = [l for l in conn.stdout_lines if not l.startswith(PREFIX)]
            if bad:
                raise ProtocolError(f"stdout carries more than TraX messages: {bad[:3]}")
    except ProtocolError as e:
        if conn.proc.poll() is None:
            conn.proc.kill()
        conn.proc.wait()
        conn.err.seek(0)
        sys.exit(f"trax_client: {e}\nserver stderr:\n{conn.err.read().decode(errors='replace')}")
    finally:
        if odd:
            shutil.rmtree(odd)
    with open(a.out, "w") as f:
        for b in states:
            f.write(",".join(f"{v:.4f}" for v in b) + "\n")
    print(f"trax_client: {len(states)} states, lowest confidence {worst_conf}")


def cmd_bad(a):
    conn = Connection(a.server)
    try:
        expect_hello(conn)
        if a.init:
            conn.send("initialize", ["file://" + frame_list(a.init_dir)[0], a.init])
            msg = conn.receive()
            if msg is None or msg[0] != "state":
                raise ProtocolError(f"expected the init state, got {msg}")
        for line in a.line or []:
            conn.send_raw(line)
        if a.long:
            conn.send_raw(PREFIX + "frame " + "x" * a.long)
        if a.close:
            conn.close_input()
        # The server ends the session: it may say quit, then it exits. Nothing else may come.
        said, reason = [], ""
        while True:
            msg = conn.receive()
            if msg is None:
                break
            said.append(msg[0])
            reason = msg[2].get("trax.reason", "")
        rc, err = conn.finish()
        bad = [l for l in conn.stdout_lines if not l.startswith(PREFIX)]
        if bad:
            raise ProtocolError(f"stdout carries more than TraX messages: {bad[:3]}")
    except ProtocolError as e:
        if conn.proc.poll() is None:
            conn.proc.kill()
        conn.proc.wait()
        sys.exit(f"trax_client: {e}")
    if rc not in (1, 2):
        sys.exit(f"trax_client: exit status {rc}, expected 1 or 2; stderr:\n{err}")
    if a.expect not in err:
        sys.exit(f"trax_client: stderr does not say {a.expect!r}:\n{err}")
    if said not in ([], ["quit"]):
        sys.exit(f"trax_client: after the bad message the server sent {said}, expected at most quit")
    if said and a.expect not in reason:
        sys.exit(f"trax_client: quit's trax.reason {reason!r} does not say {a.expect!r}")
    last = err.strip().splitlines()[-1]
    print(f"trax_client: exit {rc}, sent {said or 'nothing'}, said: {last}")


def cmd_compare(a):
    A = [parse_box(l) for l in open(a.a) if l.strip()]
    B = [parse_box(l) for l in open(a.b) if l.strip()]
    n = a.count if a.count else len(A)
    if len(A) < n or len(B) < a.b_from + n:
        sys.exit(f"trax_client: {a.a} has {len(A)} boxes and {a.b} {len(B)}: cannot compare {n} "
                 f"from {a.b_from}")
    worst, where = 0.0, 0
    for i in range(n):
        d = max(abs(p - q) for p, q in zip(A[i], B[a.b_from + i]))
        if d > worst:
            worst, where = d, i
    print(f"trax_client: {n} boxes, worst difference {worst:.2e} px (box {where})")
    if worst > a.tolerance:
        sys.exit(f"trax_client: box {where}: {A[where]} against {B[a.b_from + where]}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("session")
    s.add_argument("--frames", required=True)
    s.add_argument("--init", required=True)
    s.add_argument("--reinit")
    s.add_argument("--polygon", action="store_true")
    s.add_argument("--style", choices=["quoted", "plain", "odd"], default="quoted")
    s.add_argument("--socket", action="store_true")
    s.add_argument("--limit", type=int, default=0)
    s.add_argument("--out", required=True)
    s.add_argument("server", nargs="+")
    b = sub.add_parser("bad")
    b.add_argument("--expect", required=True)
    b.add_argument("--init-dir")
    b.add_argument("--init")
    b.add_argument("--line", action="append")
    b.add_argument("--long", type=int, default=0)
    b.add_argument("--close", action="store_true")
    b.add_argument("server", nargs="+")
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    c.add_argument("--b-from", type=int, default=0)
    c.add_argument("--count", type=int, default=0)
    c.add_argument("--tolerance", type=float, default=1e-4)
    a = p.parse_args()
    {"session": cmd_session, "bad": cmd_bad, "compare": cmd_compare}[a.cmd](a)


if __name__ == "__main__":
    main()
