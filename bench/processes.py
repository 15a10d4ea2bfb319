"""The processes a bench starts and watches: celery workers on a private queue, and what a process has used."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_workers(count, queue, nice=0):
    """``count`` solo-pool celery workers on ``queue``; ``nice`` lowers their CPU priority."""
    env = {**os.environ}
    return [
        subprocess.Popen(
            [
                *(["nice", "-n", str(nice)] if nice else []),
                sys.executable,
                "-m",
                "celery",
                "-A",
                "statuspage",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=WARNING",
                f"--hostname=bench{i}-{queue}@%h",
            ],
            cwd=ROOT,
            env=env,
        )
        for i in range(count)
    ]


def cpu_seconds(pid):
    """CPU seconds (user and system) process ``pid`` of this machine has used, or None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid):
    """The peak resident set size of process ``pid`` (VmHWM), in MB, or None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None
