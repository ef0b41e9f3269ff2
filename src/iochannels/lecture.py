"""The lecture this project implements: *IO (part 2): Inter-Process Channels*.

Its section titles, as the outline numbers them; the demos, the simulator's
scenarios and the tour all group by them. Data only, like the model.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["SECTIONS", "TITLE"]

TITLE = "IO (part 2): Inter-Process Channels"

SECTIONS: Mapping[int, str] = {
    0: "Pitch",
    1: "File descriptors, the fd table, I/O channels",
    2: "Stream vs block I/O channels",
    3: "Sockets vs pipes",
    4: "Redirection",
    5: "Socket operations",
    6: "Blocking actions",
}
