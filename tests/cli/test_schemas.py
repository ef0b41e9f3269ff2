"""The published JSON Schemas work with a plain validator, offline, as a user would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def _load(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((SCHEMAS / name).read_text())
    return loaded


def test_the_walkthrough_schema_needs_no_network() -> None:
    """It referred to snapshot.schema.json by a URL under its $id that no server answers:
    jsonschema.validate() failed offline. The snapshot schema is bundled in its $defs."""
    run = subprocess.run([sys.executable, "-m", "iochannels", "sim", "run", "two-pipes",
                          "--format", "json"], capture_output=True, text=True, timeout=60,
                         check=True)
    doc = json.loads(run.stdout)
    jsonschema.validate(doc, _load("walkthrough.schema.json"))
    doc["steps"][0]["snapshot"]["processes"] = "not a list"
    try:
        jsonschema.validate(doc, _load("walkthrough.schema.json"))
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("the bundled snapshot schema was not applied")


def test_the_bundled_copy_is_the_published_snapshot_schema() -> None:
    """Run `make schemas` after editing snapshot.schema.json."""
    defs = _load("walkthrough.schema.json")["$defs"]
    assert isinstance(defs, dict)
    assert defs["snapshot.schema.json"] == _load("snapshot.schema.json")


def test_help_and_readme_name_the_same_schema() -> None:
    helped = subprocess.run([sys.executable, "-m", "iochannels", "fds", "--help"],
                            capture_output=True, text=True, timeout=60, check=True).stdout
    assert "schemas/snapshot.schema.json" in helped
    readme = (SCHEMAS.parent / "README.md").read_text()
    assert "schemas/snapshot.schema.json" in readme
