"""A Dask worker killed mid-experiment: its tasks run elsewhere and nothing is lost."""

import math
import os
import signal
import threading
import time

import pandas as pd
import pytest

from aiscale_sim import runner
from aiscale_sim.runner import design_from_scenarios, run_experiment

TINY = {"employees": 300, "business_units": 3}
STEPS = 260


@pytest.mark.slow
def test_killed_dask_worker_loses_no_run(tmp_path):
    from dask.distributed import Client, LocalCluster

    design = design_from_scenarios([TINY, {**TINY, "centralisation": 1.0}], 12, 3)
    serial = run_experiment(design, tmp_path / "serial", steps=STEPS, executor="serial",
                            progress=False)

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0", scheduler_kwargs={"dashboard": False},
                      ) as cluster, Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
        result = {}

        def go():
            result["exp"] = run_experiment(design, tmp_path / "dask", steps=STEPS,
                                           executor="dask",
                                           scheduler=cluster.scheduler_address, progress=False)

        t = threading.Thread(target=go)
        t.start()
        parts = tmp_path / "dask" / "parts"
        deadline = time.monotonic() + 120
        while not list(parts.glob("*.done.json")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(parts.glob("*.done.json")), "no batch finished before the deadline"
        os.kill(pids[0], signal.SIGKILL)  # a worker dies with tasks in hand
        done_at_kill = len(list(parts.glob("*.done.json")))
        t.join(timeout=300)
        assert not t.is_alive()

    exp = result["exp"]
    batches = math.ceil(len(design) / runner._batch_size(len(design), 2))
    assert done_at_kill < batches  # the kill came while work was still outstanding
    assert exp.manifest["status"] == "complete"
    assert len(exp.summaries) == len(design)
    pd.testing.assert_frame_equal(serial.summaries, exp.summaries)
    pd.testing.assert_frame_equal(serial.timeseries, exp.timeseries)
