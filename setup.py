"""The optional C part of the scan (src/iochannels/live/_scan.c), psutil's way.

Everything else is in pyproject.toml. ``optional=True``: without a C compiler or the
Python headers the build of the extension fails quietly and the package installs and
runs on the pure-Python path (``iochannels --version`` says which one it took).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "iochannels.live._scan",
            ["src/iochannels/live/_scan.c"],
            extra_compile_args=["-O2", "-Wall"],
            optional=True,
        ),
        Extension(
            "iochannels.live._syscalls",
            ["src/iochannels/live/_syscalls.c"],
            extra_compile_args=["-O2", "-Wall"],
            optional=True,
        ),
    ]
)
