"""The compiled module attnlab._core, imported on first use with a message
that says how to get it when it is not there."""


def core():
    try:
        from . import _core
    except ImportError as error:
        raise ImportError(
            f"attnlab's compiled module attnlab._core cannot be imported ({error}). attnlab's "
            f"CMake build makes it when pybind11 is found (apt install pybind11-dev), in "
            f"build/python/attnlab/: set PYTHONPATH=build/python (after cmake --install: "
            f"PYTHONPATH=PREFIX/share/attnlab/python) and use the Python it was built for, "
            f"Debian's /usr/bin/python3. attnlab.torch_model works without it.") from error
    return _core
