"""Copy schemas/snapshot.schema.json into walkthrough.schema.json's $defs (`make schemas`).

A walkthrough holds snapshots; its schema carries the snapshot schema inside it so that a
plain validator needs no network (a $ref by URL would be fetched). Edit the snapshot
schema, then run this; tests/cli/test_schemas.py checks the two never drift apart.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def main() -> int:
    walk_path = SCHEMAS / "walkthrough.schema.json"
    walk = json.loads(walk_path.read_text(encoding="utf-8"))
    walk["$defs"]["snapshot.schema.json"] = json.loads(
        (SCHEMAS / "snapshot.schema.json").read_text(encoding="utf-8"))
    walk_path.write_text(json.dumps(walk, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
