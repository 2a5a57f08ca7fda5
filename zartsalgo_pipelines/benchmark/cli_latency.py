"""How fast the data owner's command answers: `zartsalgo --help` and `zartsalgo status` as
new processes, beside `python -c pass` timed the same way in the same run (the interpreter's own
start, which no command can go below).

`status` runs on a migrated SQLite file with the shipped specs, as on a fresh clone: it loads
the specs, sweeps stuck batches and reads each provider's state. Neither command may import
pandas, pandera or Dagster (a test checks that; these figures show what it is worth).
"""

import statistics
import sys
from pathlib import Path

from zartsalgo_pipelines.benchmark.children import child_env, timed


def zartsalgo_command() -> list[str]:
    """The installed console script, as a user runs it (else the module, for a bare checkout)."""
    script = Path(sys.executable).with_name("zartsalgo")
    return [str(script)] if script.exists() else [sys.executable, "-m", "zartsalgo_pipelines.cli"]


def measure_cli(workdir: Path, repeat: int) -> dict[str, float]:
    """Medians over ``repeat`` rounds of the three processes, in seconds."""
    from zartsalgo_pipelines.storage.migrate import upgrade_head

    workdir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{workdir / 'cli.sqlite'}"
    upgrade_head(url)
    env = child_env(workdir, url)
    zartsalgo = zartsalgo_command()
    commands = {
        "python_pass_s": [sys.executable, "-c", "pass"],
        "cli_help_s": [*zartsalgo, "--help"],
        "cli_status_s": [*zartsalgo, "status"],
    }
    # Rounds alternate the commands, so a busy moment of the machine touches all three alike.
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            samples[name].append(timed(command, env))
    return {name: round(statistics.median(values), 3) for name, values in samples.items()}
