"""Publish the provider spec's JSON Schema: ``python -m zartsalgo_pipelines.specs.schema``.

Editors use it to check ``defs.yaml`` attributes as you type; a test fails when it is stale.
"""

import json

from zartsalgo_pipelines.settings import REPOSITORY_DIR
from zartsalgo_pipelines.specs.models import spec_json_schema

SCHEMA_PATH = REPOSITORY_DIR / "docs" / "provider_spec.schema.json"


def render() -> str:
    return json.dumps(spec_json_schema(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    SCHEMA_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH.relative_to(REPOSITORY_DIR)}")


if __name__ == "__main__":
    main()
