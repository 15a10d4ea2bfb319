#!/usr/bin/env bash
# Start the web server, a Celery worker and Celery beat; Ctrl-C stops all three.
set -euo pipefail
mkdir -p var
pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
}
trap stop INT TERM EXIT

celery -A statuspage worker --loglevel=INFO --concurrency=2 &
pids+=($!)
celery -A statuspage beat --loglevel=INFO &
pids+=($!)
python manage.py runserver 127.0.0.1:8000 &
pids+=($!)

# Whichever stops first takes the others with it.
wait -n
