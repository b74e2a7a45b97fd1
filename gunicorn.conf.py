"""Gunicorn settings for SRE Academy (gunicorn reads ./gunicorn.conf.py): what /metrics needs with workers.

With PROMETHEUS_MULTIPROC_DIR set, every worker writes its request metrics to that directory and /metrics
sums them. The directory must start empty (old files would add yesterday's counts), and a worker that
exits is marked dead (its live gauges go; its counts stay in the sums). See README.md, "Metrics".
"""

import logging
import os
import re
from pathlib import Path

log = logging.getLogger("gunicorn.error")
METRICS_FILE = re.compile(r"(counter|gauge_[a-z]+|histogram|summary)_\d+\.db")  # prometheus_client's, by pid


def on_starting(server):
    """In the master, before any worker starts: a clean metrics directory, or a warning when none is set."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        if server.cfg.workers > 1:
            log.warning("PROMETHEUS_MULTIPROC_DIR is not set: /metrics will count the requests of one worker only")
        return
    Path(directory).mkdir(parents=True, exist_ok=True)
    for path in Path(directory).glob("*.db"):
        if METRICS_FILE.fullmatch(path.name):
            path.unlink()
        else:  # never delete what is not ours; but prometheus_client reads every *.db file there
            log.error("%s is not a metrics file: give PROMETHEUS_MULTIPROC_DIR a directory of its own", path)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
