"""Executors: where the runs of an experiment run.

``serial``
    In this process, one run after another (handy for debugging).
``processes``
    A :class:`concurrent.futures.ProcessPoolExecutor` using every core (the default), started
    from a fork server that imports the package once; each worker ends soon after the
    experiment's process is gone.
``dask``
    A Dask cluster through ``dask.distributed``'s concurrent.futures interface: a
    ``LocalCluster`` by default, or an existing scheduler given by its address, reached within
    a hard deadline.

Each pool takes tasks (a batch of runs, one run by default) and hands back results;
:mod:`aiscale_sim.runner` feeds it and writes what comes back. Stopping at once (Ctrl-C) cancels
queued tasks and ends worker processes mid-run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from typing import Any

import numpy as np

from aiscale_sim.errors import UserInputError

EXECUTORS = ("serial", "processes", "dask")
#: Seconds allowed to reach a Dask scheduler before giving up.
SCHEDULER_TIMEOUT_S = 15
#: Hard limit on connecting to a scheduler, whatever the endpoint does.
SCHEDULER_DEADLINE_S = 25


def _check_workers(workers: Any) -> int | None:
    if workers is None:
        return None
    if isinstance(workers, bool) or not isinstance(workers, int | np.integer) or workers < 1:
        raise UserInputError(f"workers must be a whole number of at least 1, got {workers!r}")
    return int(workers)


class _Serial:
    """A tiny in-process stand-in for a concurrent.futures executor."""

    def submit(self, fn, *args):
        from concurrent.futures import Future

        f: Future = Future()
        try:
            f.set_result(fn(*args))
        except BaseException as e:  # noqa: B036 - hand the error to the future, like executors
            if isinstance(e, KeyboardInterrupt):
                raise
            f.set_exception(e)
        return f

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        """Nothing to shut down."""


def _connect(client_class, scheduler: str):
    """Connect to a Dask scheduler, or fail with a clear message within the deadline.

    Dask's own ``timeout`` covers a refused connection but not an endpoint that accepts the
    connection and never answers (a dashboard port, another service); the attempt therefore
    runs in a daemon thread with a hard deadline, and any error becomes a user error.
    """
    import threading

    box: dict[str, Any] = {}

    def attempt():
        try:
            box["client"] = client_class(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s",
                                         set_as_default=False)
        except BaseException as e:  # reported below, in the caller's thread
            box["error"] = e

    t = threading.Thread(target=attempt, daemon=True, name="aiscale-dask-connect")
    t.start()
    t.join(SCHEDULER_DEADLINE_S)
    if "client" in box:
        return box["client"]
    why = (f"no answer within {SCHEDULER_DEADLINE_S} s" if t.is_alive()
           else f"{type(box['error']).__name__}: {box['error']}")
    raise UserInputError(f"cannot reach the Dask scheduler at {scheduler} ({why}); check the "
                         "address (tcp://HOST:8786 by default, not the dashboard port) and "
                         "that 'dask scheduler' is running there")


def _dask_slots(client, workers: int | None) -> int:
    """Worker threads the Dask cluster has now (at least 1)."""
    try:
        return max(1, sum(client.nthreads().values()))
    except Exception:  # a scheduler hiccup must not stop the experiment
        return max(1, workers or 1)


def _open_dask(workers: int | None, scheduler: str | None):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UserInputError("the dask executor needs dask.distributed: "
                             "pip install 'aiscale-sim[dask]'") from None
    if scheduler:
        return _connect(Client, scheduler), None
    n = workers or os.cpu_count() or 1
    with _workers_ignore_ctrl_c():
        # No dashboard, and the scheduler's small HTTP server on a free port rather than
        # 8787, which another cluster on this machine may hold.
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=":0", scheduler_kwargs={"dashboard": False},
                               silence_logs=40)
    client = Client(cluster, set_as_default=False)
    return client, cluster


@contextlib.contextmanager
def _workers_ignore_ctrl_c():
    """Start worker processes with Ctrl-C ignored, so that only the main process handles it.

    Ctrl-C in a terminal reaches every process of the group; a local Dask worker would print
    its own KeyboardInterrupt traceback under the experiment's message. An ignored signal stays
    ignored in a child process (and Python and asyncio then leave it so), while the main
    process stops the workers itself. Only the main thread may change signal handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _exit_with_parent(parent_pid: int, interval_s: float = 1.0) -> None:
    """Worker initialiser: end this worker soon after the experiment's process is gone.

    A ``kill -9`` of the main process gives it no chance to stop its pool, and the workers'
    own parent is the fork server, so they would otherwise run on as orphans.
    """
    def watch() -> None:
        while True:
            time.sleep(interval_s)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # the pid exists (reused by another user): keep going
                pass

    threading.Thread(target=watch, daemon=True, name="aiscale-parent-watch").start()


def _mp_context():
    """Worker start method: a fork server that imports the package once, else spawn."""
    import multiprocessing

    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["aiscale_sim.runner"])
        return ctx
    return multiprocessing.get_context("spawn")


def _batch_size(n_runs: int, workers: int) -> int:
    """Runs per task: one, so that every run is written to the folder as soon as it ends.

    A task costs about a millisecond on a process pool, far less than a run; sending runs
    one by one lets the main process write each result the moment it arrives, so an
    interruption loses only the runs still in progress.
    """
    return 1


# --- stopping -------------------------------------------------------------------------------

def _kill_local_dask_workers(client) -> None:
    """End the worker processes of a local Dask cluster this process started, mid-run.

    Closing a cluster asks each worker to finish its task first (seconds, for a run); a
    cancelled run's result is thrown away anyway. Workers of a scheduler given by its address
    belong to someone else and are left alone.
    """
    cluster = getattr(client, "cluster", None)
    if cluster is not None:
        # The nanny logs the end it did not expect as an error with a traceback; this end is
        # deliberate, and the experiment says itself what it kept.
        import logging

        logging.getLogger("distributed").setLevel(logging.CRITICAL)
    for nanny in list(getattr(cluster, "workers", {}).values()):
        if hasattr(nanny, "auto_restart"):
            nanny.auto_restart = False  # a killed worker is not started again
        pid = getattr(getattr(getattr(nanny, "process", None), "process", None), "pid", None)
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:  # already gone
                pass


def _stop_workers(pool: Any, pending: set, client) -> None:
    """Stop at once: cancel queued tasks and end worker processes mid-run.

    A process pool's shutdown waits for the runs in progress, which can take as long as a run;
    their results would be thrown away anyway, so the workers are terminated.
    """
    for f in pending:
        f.cancel()
    if client is not None:
        try:
            client.cancel(list(pending), force=True)
        except Exception:  # the cluster may already be gone; nothing left to stop then
            pass
        _kill_local_dask_workers(client)
        return
    processes = getattr(pool, "_processes", None) or {}
    for proc in list(processes.values()):
        try:
            proc.terminate()
        except (OSError, AttributeError):  # already gone
            pass


