#!/usr/bin/env python3
# usage: python3 Scripts/bench/pager_first_screen.py ANNOT log -p   (run inside a repository)
# Measures, on a pseudo-terminal with the real pager, how soon the first screen shows
# (the text "round 3" by default) and how soon annot exits after q.
# Time from start until the pager's first screen shows, then until exit after 'q', under a pty.
import os, pty, sys, time, select
argv = sys.argv[1:]
t0 = time.time()
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "xterm"
    for k in ("PAGER", "ANNOT_PAGER", "LESS"): os.environ.pop(k, None)
    os.execv(argv[0], argv)
buf = b""; first = None; sent = None
while True:
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        try: chunk = os.read(fd, 65536)
        except OSError: break
        if not chunk: break
        buf += chunk
        if first is None and b"round 3" in buf: first = time.time() - t0
    if first is not None and sent is None and time.time() - t0 > first + 0.5:
        os.write(fd, b"q"); sent = time.time()
    done, status = os.waitpid(pid, os.WNOHANG)
    if done: break
if not done: done, status = os.waitpid(pid, 0)
end = time.time()
print(f"first screen after {first:.2f} s; exit {(end - sent) if sent else float('nan'):.2f} s after q; status {os.waitstatus_to_exitcode(status) if done else 'running'}")
