"""A real Alertmanager and a real Prometheus (Debian's packages), each on a free port in a folder of its own."""

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.faults.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "docs" / "prometheus-rules.yml"


def runnable(binary):
    """The binary's path, or skip the test with the reason it cannot run here."""
    path = shutil.which(binary)
    if path is None:
        pytest.skip(f"{binary} is not installed (.ci/run installs Debian's package)")
    try:
        subprocess.run([path, "--version"], capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"{binary} cannot run here: {exc}")
    return path


def http_json(method, url, body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


class Server:
    """A monitoring server subprocess; ``stop`` ends it and ``log`` shows what it said."""

    ready_path = "/-/ready"

    def __init__(self, folder, binary):
        self.folder, self.binary = Path(folder), binary
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, args, timeout=60):
        self.log_path = self.folder / "server.log"
        self.log_file = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [self.binary, *args], cwd=self.folder, stdout=self.log_file, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"{self.binary} exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + self.ready_path, timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"{self.binary} not ready within {timeout}s:\n{self.log()}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        if self.process:
            self.log_file.close()

    def log(self):
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""


class Alertmanager(Server):
    def start_with(self, webhook_url, token):
        config = f"""
route:
  receiver: offpeak
  group_by: ['alertname', 'region']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: offpeak
    webhook_configs:
      - url: {json.dumps(webhook_url)}
        send_resolved: true
        max_alerts: 1000
        http_config:
          authorization:
            type: Bearer
            credentials: {json.dumps(token)}
"""
        (self.folder / "alertmanager.yml").write_text(config)
        (self.folder / "data").mkdir(exist_ok=True)
        return self.start(
            [
                f"--config.file={self.folder / 'alertmanager.yml'}",
                f"--storage.path={self.folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",
                "--log.level=debug",
            ]
        )

    def post_alerts(self, alerts):
        return http_json("POST", f"{self.url}/api/v2/alerts", alerts)


class Prometheus(Server):
    def start_with(self, target, token):
        config = f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - {json.dumps(str(RULES))}
scrape_configs:
  - job_name: offpeak
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials: {json.dumps(token)}
    static_configs:
      - targets: [{json.dumps(target)}]
"""
        (self.folder / "prometheus.yml").write_text(config)
        (self.folder / "data").mkdir(exist_ok=True)
        return self.start(
            [
                f"--config.file={self.folder / 'prometheus.yml'}",
                f"--storage.tsdb.path={self.folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ]
        )

    def query(self, promql):
        answer = http_json("GET", f"{self.url}/api/v1/query?query={quote(promql)}")
        assert answer["status"] == "success", answer
        return answer["data"]["result"]

    def rule_groups(self):
        return http_json("GET", f"{self.url}/api/v1/rules")["data"]["groups"]


def wait_for(predicate, timeout, what, server=None, interval=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"{what} did not happen within {timeout}s\n--- server log ---\n{server.log() if server else ''}")
