"""Embedding on Ray (`qa build --ray [ADDRESS]`): the chunks a build must embed go through Ray Data,
`map_batches` over a pool of actors that each load one embedder, on a local Ray instance or a cluster.

Only the embedding moves: the build around it (what to reuse, the lock, the new version written and
made live only once every vector is in) is `qa.index.builder`'s, unchanged. Ray is imported only here,
and only when a build asks for it, so `qa` without `--ray` never pays for it.
"""

from __future__ import annotations

import logging
import math
import re
import socket
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.config import DEFAULT_MODEL
from qa.encoder.threads import usable_cores
from qa.errors import QAError, RayError
from qa.index.embedders import SLAB, BundledE5Embedder, Progress, load_embedder

INSTALL = 'pip install -e ".[ray]"'
# One CPU (and one BLAS thread) per actor: Ray places actors by the CPUs they ask for, so an actor
# running more threads than that would crowd the others on its machine; a cluster grows by actors.
CPUS_PER_WORKER = 1
# Rows per Ray batch: about a quarter of each actor's share, so the pool stays evenly busy and the
# progress bar moves; at most 256 on CPUs, a slab of a local build on a GPU (which wants large batches).
MAX_BATCH = 256
MAX_GPU_BATCH = SLAB
MAX_BLOCKS = 1000


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide to embed: ``address`` None starts a local Ray instance for the build (and
    stops it after); ``workers`` None takes one actor per CPU of the instance."""

    address: str | None = None
    workers: int | None = None


def ray_options(address: str | None, workers: int | None) -> RayOptions:
    """Checked options for a Ray build: raises RayError, before any index work, when Ray is not installed."""
    _ray()
    if workers is not None and workers < 1:
        raise RayError(f"{workers} is not a number of Ray workers; give --ray-workers 1 or more.")
    if address:
        _check_reachable(address)
    return RayOptions(address or None, workers)


def _check_reachable(address: str) -> None:
    """Fail at once on a head that does not answer: Ray itself retries one for many minutes."""
    host, sep, port = address.rpartition(":")
    if "://" in address or not sep or not port.isdigit():
        return  # "auto" and ray:// addresses: Ray finds and reports those itself, quickly
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as err:
        raise RayError(f"Cannot reach the Ray cluster at {address} ({err.strerror or err}); start it with "
                       "`ray start --head` on that machine, or check the address.") from err


def _ray():
    try:
        import ray
        import ray.data
    except ImportError as err:
        raise RayError(f"Ray is not installed; run `{INSTALL}` in the project directory, "
                       "or build without --ray.") from err
    return ray


class EmbedderActor:
    """A Ray Data actor: loads the embedder once, then embeds batch after batch. Each row carries its
    position among the texts, so the driver puts every vector back in its place whatever order the
    batches come back in."""

    def __init__(self, model: str, threads: int, device: str = "cpu") -> None:
        from qa.encoder.threads import set_threads

        set_threads(threads)  # the actor's share of the cores, not every core of its machine
        self._embedder = load_embedder(model, device)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self._embedder.embed_passages([str(t) for t in batch["text"]])
        return {"pos": batch["pos"], "vector": vectors}


def _describe(model: str) -> tuple[int, str]:
    """Dimension and encoder name of ``model``, loaded where Ray runs it."""
    embedder = load_embedder(model)
    return embedder.dim, getattr(embedder, "encoder", "sentence-transformers")


class RayEmbedder:
    """The embedder a build uses with ``--ray``: passages are embedded by actors on Ray, questions
    (never asked during a build) by the model loaded here. Ray is joined on first use and, when this
    embedder started it, shut down once the passages are in."""

    def __init__(self, model: str, options: RayOptions, device: str = "cpu") -> None:
        self.name = model
        self._options = options
        self.device = device  # "cuda": each actor asks Ray for one GPU and embeds on it
        self._started = False
        self._dim: int | None = None
        self._encoder: str | None = None
        if model == DEFAULT_MODEL:  # known without loading the model anywhere
            self._dim, self._encoder = BundledE5Embedder.dim, BundledE5Embedder.encoder

    @property
    def dim(self) -> int:
        self._learn()
        return int(self._dim)

    @property
    def encoder(self) -> str:
        self._learn()
        return str(self._encoder)

    def _learn(self) -> None:
        if self._dim is None:
            ray = self._connect()
            describe = ray.remote(num_cpus=CPUS_PER_WORKER)(_describe)
            self._dim, self._encoder = self._guarded(lambda: ray.get(describe.remote(self.name)))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return load_embedder(self.name).embed_queries(texts)

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        try:
            ray = self._connect()
            return self._guarded(lambda: self._run(ray, list(texts), progress))
        finally:
            self.close()

    def close(self) -> None:
        """Shut Ray down if this embedder started it (a Ray the caller had joined stays up)."""
        if self._started:
            import ray

            ray.shutdown()
            self._started = False

    def _connect(self):
        ray = _ray()
        if not ray.is_initialized():
            address = self._options.address
            quiet = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
            try:
                if address:
                    ray.init(address=address, **quiet)
                else:  # "local": a new instance even when RAY_ADDRESS names a cluster
                    ray.init(address="local", num_cpus=self._options.workers or usable_cores(), **quiet)
            except Exception as err:  # Ray raises ConnectionError, RuntimeError or ValueError here
                if address:  # something answers there (ray_options checked): most often a missing token
                    raise RayError(f"Cannot join the Ray cluster at {address} ({_first_line(err)}); check the "
                                   "address, and for a cluster with Ray's token authentication set "
                                   "RAY_AUTH_MODE=token and copy its ~/.ray/auth_token here.") from err
                raise RayError(f"Cannot start a local Ray instance ({_first_line(err)}); build without --ray, "
                               "or start one with `ray start --head` and pass its address.") from err
            self._started = True
        # Ray Data prints its plans, progress bars and worker tracebacks on the console; the build shows
        # its own progress bar and turns failures into one sentence. Its log file keeps everything.
        for handler in logging.getLogger("ray.data").handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                handler.setLevel(logging.CRITICAL)
        ray.data.DataContext.get_current().enable_progress_bars = False
        return ray

    def _workers(self, ray) -> int:
        if self.device == "cuda":
            gpus = int(ray.cluster_resources().get("GPU", 0))
            if gpus < 1:
                raise RayError("The Ray cluster has no GPU for --device cuda; add GPU nodes, or build with "
                               "--device cpu.")
            workers = self._options.workers or gpus
            if workers > gpus:
                raise RayError(f"Ray has {gpus} GPUs for {workers} workers of one GPU each; give --ray-workers "
                               f"{gpus} or fewer.")
            return workers
        cpus = int(ray.cluster_resources().get("CPU", 0))
        most = max(cpus // CPUS_PER_WORKER, 1)
        workers = self._options.workers or most
        if workers > most:
            raise RayError(f"Ray has {cpus} CPUs for {workers} workers of {CPUS_PER_WORKER} CPU each; "
                           f"give --ray-workers {most} or fewer.")
        return workers

    def _run(self, ray, texts: list[str], progress: Progress | None) -> np.ndarray:
        workers = self._workers(ray)
        gpu = self.device == "cuda"
        batch = max(1, min(MAX_GPU_BATCH if gpu else MAX_BATCH, math.ceil(len(texts) / (4 * workers))))
        rows = [{"pos": i, "text": t} for i, t in enumerate(texts)]
        data = ray.data.from_items(rows, override_num_blocks=min(math.ceil(len(texts) / batch), MAX_BLOCKS))
        with warnings.catch_warnings():
            # max_restarts=0 goes through Ray's deprecated extra arguments, the only way to set it: a
            # lost actor fails the build (the previous index stays live; run it again) rather than
            # restarting from constructor arguments Ray may have dropped, which it warns about on every
            # build otherwise (ray-project/ray#53727).
            warnings.simplefilter("ignore", DeprecationWarning)
            embedded = data.map_batches(
                EmbedderActor, fn_constructor_kwargs={"model": self.name, "threads": CPUS_PER_WORKER,
                                                      "device": self.device},
                compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=CPUS_PER_WORKER, num_gpus=int(gpu),
                batch_size=batch, batch_format="numpy", max_restarts=0)
        out: np.ndarray | None = None
        seen = np.zeros(len(texts), dtype=bool)
        for result in embedded.iter_batches(batch_size=None, batch_format="numpy"):
            pos, vectors = np.asarray(result["pos"], dtype=np.int64), np.asarray(result["vector"], np.float32)
            if out is None:
                out = np.zeros((len(texts), vectors.shape[1]), np.float32)
            out[pos] = vectors
            seen[pos] = True
            if progress:
                progress(len(pos))
        if out is None or not seen.all():  # the order is ours to restore, and so is the count
            raise RayError(f"Ray returned vectors for {int(seen.sum())} of {len(texts)} chunks; "
                           "run the build again.")
        return out

    def _guarded(self, work):
        """``work()``, with a failure on the workers (a model that does not load there, a worker
        without qa, a lost node ...) as one sentence."""
        import ray.data.exceptions
        import ray.exceptions

        try:
            return work()
        except (ray.exceptions.RayError, ray.data.exceptions.SystemException,
                ray.data.exceptions.ExecutionTimeoutError) as err:
            cause = getattr(err, "cause", None)
            if isinstance(cause, QAError):  # our own sentence, raised on a worker
                raise RayError(str(cause)) from err
            last = _last_line(err)
            # An actor that failed to start carries its traceback as text only; its last line is
            # the exception, ours when it starts with our package.
            if own := re.fullmatch(r"qa(?:\.\w+)+Error: (.+)", last):
                raise RayError(own.group(1)) from err
            raise RayError(f"Embedding on Ray failed ({last}); every Ray worker needs qa installed "
                           f"with `{INSTALL}`, or build without --ray.") from err


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


def _last_line(err: BaseException) -> str:
    lines = [line.strip() for line in re.sub(r"\x1b\[[0-9;]*m", "", str(err)).splitlines() if line.strip()]
    return lines[-1] if lines else type(err).__name__

