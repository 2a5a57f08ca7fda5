"""Scenario: importing the package changes nothing in the process; a batch's tuning context
switches Arrow to the system allocator (mimalloc held freed chunk memory) and restores GC."""

import gc
import subprocess
import sys

from zartsalgo_pipelines.pipeline.tuning import batch_tuning

PROBE = """
import pyarrow
before = pyarrow.default_memory_pool().backend_name
import zartsalgo_pipelines.definitions, zartsalgo_pipelines.pipeline.run
import zartsalgo_pipelines.mapping.apply
print(before, pyarrow.default_memory_pool().backend_name)
"""


def test_importing_the_package_leaves_arrow_and_the_process_alone() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == out[1], f"an import changed Arrow's allocator: {out}"


def test_a_batch_uses_the_system_allocator_and_gives_gc_back() -> None:
    import pyarrow

    enabled = gc.isenabled()
    with batch_tuning() as after_chunk:
        assert pyarrow.default_memory_pool().backend_name == "system"
        assert not gc.isenabled()
        after_chunk()
    assert gc.isenabled() == enabled
