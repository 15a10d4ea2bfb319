"""Run the project's commands (manage.py, gunicorn, celery, python -c) in a fresh process, as an operator would.

The environment is this process's minus the variables a test wants to decide itself, plus the ones it sets, so a
test says exactly which configuration it starts with.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = str(ROOT / "var" / "test")
DECIDED_BY_THE_TEST = {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "CACHE_URL"}


def run(*args, timeout=120, **environ):
    """``python *args`` in the project folder; returns the CompletedProcess with text stdout and stderr."""
    base = {k: v for k, v in os.environ.items() if k not in DECIDED_BY_THE_TEST}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={"OFFPEAK_VAR_DIR": VAR, **base, **environ},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
