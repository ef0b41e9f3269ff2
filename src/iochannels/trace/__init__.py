"""A real program under strace(1) -> a :class:`~iochannels.model.Walkthrough`."""
