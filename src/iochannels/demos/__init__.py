"""The lecture's demos on real processes, one module per lecture section, and what they share.

- the demos: :mod:`.pitch` (section 0), :mod:`.stream_vs_block` (2),
  :mod:`.sockets_vs_pipes` (3), :mod:`.redirection` (4), :mod:`.socket_operations` (5),
  :mod:`.blocking` (6); :mod:`.registry` lists them, :mod:`.runner` runs one by name
- :mod:`.stage`: what a demo is given and gives back (narration, pictures, facts, cleanup)
- :mod:`.console`: the stage printed on a terminal
- the plumbing: :mod:`.processes` (start, talk to, wait for and always end a child),
  :mod:`.proc_state` (what /proc says now about a process or a pipe),
  :mod:`.pictures` (live snapshots cut to the fds that matter)
- :mod:`.children`: the programs the demos start, named by what they do
"""
