#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal and drives it like a user.

    ptydrive.py [STEP]... -- COMMAND [ARG]...

Steps, in order:
    size:ROWS,COLS    the terminal's size (before the command starts, or a
                      resize with SIGWINCH after)
    expect:TEXT       wait (at most 30 s) until the output so far contains TEXT
    send:TEXT         type TEXT (Python escapes: \\x10 is ctrl-p, \\n enter)
    sleep:SECONDS
    eof               type ctrl-d

Everything the command wrote to the terminal is printed at the end (CR LF
turned into LF); the exit status is the command's own, 124 when an expect
timed out or the command did not end within 60 s of the last step.
"""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    steps, cmd = argv[:split], argv[split + 1:]
    size = (24, 80)
    if steps and steps[0].startswith("size:"):
        size = tuple(int(x) for x in steps.pop(0)[5:].split(","))

    pid, master = pty.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    set_size(master, *size)
    out = bytearray()

    def pump(timeout):
        r, _, _ = select.select([master], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(master, 65536)
        except OSError:
            return False
        if not data:
            return False
        out.extend(data)
        return True

    status = None
    for step in steps:
        kind, _, arg = step.partition(":")
        if kind == "expect":
            deadline = time.time() + 30
            while arg.encode() not in out:
                if time.time() > deadline or (not pump(0.1) and arg.encode() not in out):
                    sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))
                    print(f"\nptydrive: timed out waiting for {arg!r}", file=sys.stderr)
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    return 124
        elif kind == "send":
            os.write(master, arg.encode().decode("unicode_escape").encode("latin-1"))
        elif kind == "eof":
            os.write(master, b"\x04")
        elif kind == "sleep":
            end = time.time() + float(arg)
            while time.time() < end:
                pump(max(0.0, end - time.time()))
        elif kind == "size":
            rows, cols = (int(x) for x in arg.split(","))
            set_size(master, rows, cols)
            # The kernel signals the terminal's foreground process group.
        else:
            print(f"ptydrive: unknown step {step!r}", file=sys.stderr)
            return 2
    deadline = time.time() + 60
    while time.time() < deadline:
        if not pump(0.1):
            break
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
            while pump(0.1):
                pass
            break
    if status is None:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
            if not done:
                deadline2 = time.time() + 5
                while time.time() < deadline2 and not done:
                    time.sleep(0.05)
                    done, status = os.waitpid(pid, os.WNOHANG)
                if not done:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))
                    print("\nptydrive: the command did not end", file=sys.stderr)
                    return 124
        except ChildProcessError:
            status = 0
    sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    sys.exit(main())
