"""One parse feeding several sinks (``logkit run``) and batch jobs (local pool or Dask)."""

from logkit.pipeline.batch import STAGES, BatchFailed, BatchResult, TaskSpec, run_batch, run_task
from logkit.pipeline.run import PassResult, one_pass, run_input

__all__ = ["STAGES", "BatchFailed", "BatchResult", "TaskSpec", "run_batch", "run_task", "PassResult", "one_pass",
           "run_input"]
