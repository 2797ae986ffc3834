#!/usr/bin/env python3
"""answer-prompt.py PROMPT_TEXT ANSWER COMMAND...: runs COMMAND on a new pseudo-terminal (its
controlling terminal, so /dev/tty is the pty), waits until PROMPT_TEXT appears, types ANSWER and a
newline, and copies everything the terminal showed to stdout. Exits with COMMAND's status; 124
if the prompt never came within 60 seconds."""
import os
import pty
import select
import sys
import time

prompt, answer, command = sys.argv[1].encode(), sys.argv[2].encode(), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)

shown = b""
answered = False
deadline = time.monotonic() + 60
while True:
    if time.monotonic() > deadline:
        os.kill(pid, 9)
        sys.stdout.buffer.write(shown)
        sys.exit(124)
    ready, _, _ = select.select([fd], [], [], 0.5)
    if ready:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
        if not answered and prompt in shown:
            os.write(fd, answer + b"\n")
            answered = True
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(shown)
sys.exit(os.waitstatus_to_exitcode(status))
