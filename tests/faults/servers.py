"""Private servers for fault tests: a PostgreSQL cluster and a Redis server of the test's own.

The fault tests stop and restart these while the application works, so they
must never be the machine's shared services. Each listens on 127.0.0.1 at a
free port and lives in a temporary folder.
"""

import glob
import os
import shutil
import socket
import subprocess
import time


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class PrivateRedis:
    def __init__(self, workdir):
        self.workdir = workdir
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def _pg_bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise FileNotFoundError(f"PostgreSQL's {name} is not installed")
    return found[-1]


def postgres_available():
    try:
        _pg_bin("initdb")
    except FileNotFoundError:
        return False
    return shutil.which("runuser") is not None or os.geteuid() != 0


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (trust auth) that a test may restart at will."""

    def __init__(self, workdir):
        self.datadir = os.path.join(workdir, "pgdata")
        self.port = free_port()
        self.workdir = workdir

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/offpeak"

    def _as_postgres(self, *args):
        command = list(args)
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def start(self):
        if not os.path.exists(self.datadir):
            os.makedirs(self.datadir)
            if os.geteuid() == 0:
                shutil.chown(self.workdir, "postgres")
                shutil.chown(self.datadir, "postgres")
            self._as_postgres(_pg_bin("initdb"), "-D", self.datadir, "-U", "postgres", "--auth=trust", "-E", "UTF8")
            self._pg_ctl("start")
            self._as_postgres(_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "offpeak")
        else:
            self._pg_ctl("start")
        return self

    def _pg_ctl(self, action, mode="fast"):
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.datadir} -c fsync=off"
        args = [_pg_bin("pg_ctl"), "-D", self.datadir, "-w", "-t", "60", "-m", mode, "-o", options]
        if action in ("start", "restart"):
            args += ["-l", os.path.join(self.datadir, "server.log")]
        self._as_postgres(*args, action)

    def restart(self):
        """Stop at once (cutting every connection) and start again."""
        self._pg_ctl("restart", mode="fast")

    def stop(self):
        try:
            self._pg_ctl("stop", mode="immediate")
        except subprocess.CalledProcessError:
            pass
