"""One parse feeding several sinks (``logkit run``) and batch jobs (local pool or Dask)."""

__all__: list[str] = []
