"""The project's benchmark: throughput (``throughput.py``) and latency (``latency.py``)."""
