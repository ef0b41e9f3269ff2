"""The whole lecture in order (``iochannels tour``) and its HTML report.

- :mod:`.run`: section 0 to 6, the real demos then the simulated walkthroughs
- :mod:`.report`, :mod:`.report_parts`: the report's pages and their pieces
- :mod:`.manifest`: the files a report wrote, so that the next run removes only those

Built on :mod:`iochannels.demos` and the views; only the command line imports it.
"""
