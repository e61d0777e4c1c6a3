#!/usr/bin/python3
"""Runs a command that must fail cleanly, within bounds (tests/test_hostile.sh).

usage: run_bounded.py SECONDS MB TEXT command...

Passes (exit 0) when the command exits with status 1 or 2 (not a signal, not 0), within SECONDS of
wall time and MB of peak resident memory, and its output contains TEXT. A command still running
after 30 s, or 10 times SECONDS, is killed and fails. Prints what it measured either way.
"""
import resource
import subprocess
import sys
import time


def main():
    seconds, mb, text, cmd = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4:]
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=max(30.0, 10 * seconds))
    except subprocess.TimeoutExpired:
        print(f"KILLED after {time.monotonic() - t0:.1f} s: {' '.join(cmd)}")
        return 1
    elapsed = time.monotonic() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    out = p.stdout.decode(errors="replace")
    print(f"exit {p.returncode}, {elapsed:.2f} s, peak {peak:.0f} MB: {out.strip()[:400]}")
    ok = True
    if p.returncode not in (1, 2):
        print(f"FAIL: exit status {p.returncode}, expected 1 or 2 (a clean error)")
        ok = False
    if elapsed > seconds:
        print(f"FAIL: {elapsed:.2f} s, over the {seconds:g} s bound")
        ok = False
    if peak > mb:
        print(f"FAIL: {peak:.0f} MB, over the {mb:g} MB bound")
        ok = False
    if text not in out:
        print(f"FAIL: the message does not say '{text}'")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
