"""The clustering compressor: templates plus typed variable columns in a checksummed container."""

__all__: list[str] = []
