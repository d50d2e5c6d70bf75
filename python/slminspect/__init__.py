"""slminspect: inspect, diff and validate small-language-model files.

Each function runs the slminspect command of the same name in
``libslminspect.so.0`` (loaded with ctypes) and returns the JSON document that
``slminspect COMMAND --json`` prints, as a :class:`Report` (a ``dict``) whose
``exit_status`` is the command's: 0 clean, 1 findings at or above the failing
severity.  Options are the command's long options by name: ``min_sqnr=10`` is
``--min-sqnr 10``, ``stats=True`` is ``--stats``; a list repeats an option.

A usage error or an input that cannot be read (exit status 2) raises
:class:`SlminspectError`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import threading
from typing import Any, Optional, Sequence, Union

__all__ = ["Report", "SlminspectError", "verify", "inspect", "quant", "diff", "hash_check", "version",
           "library_path"]

PathLike = Union[str, "os.PathLike[str]"]
OptionValue = Union[bool, int, float, str, Sequence[Union[int, float, str]], None]

_ABI_VERSION = 0
_SONAME = "libslminspect.so.0"


class SlminspectError(Exception):
    """Exit status 2: a usage error or an input that cannot be read.

    ``status`` is the exit status, ``message`` why, and ``document`` the
    JSON document the command wrote anyway (``verify`` lists unreadable
    paths in it), or None."""

    def __init__(self, message: str, status: int = 2, document: Optional[dict[str, Any]] = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.document = document


class Report(dict):  # type: ignore[type-arg]
    """A command's JSON document; ``exit_status`` is 0 (clean) or 1 (findings)."""

    exit_status: int

    def __init__(self, document: dict[str, Any], exit_status: int):
        super().__init__(document)
        self.exit_status = exit_status

    @property
    def ok(self) -> bool:
        """True when no finding reached the failing severity (exit status 0)."""
        return self.exit_status == 0


_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None
_lib_path: Optional[str] = None


def library_path() -> str:
    """The shared library this package loads: $SLMINSPECT_LIBRARY, else the
    system's ``libslminspect.so.0``."""
    return os.environ.get("SLMINSPECT_LIBRARY") or ctypes.util.find_library("slminspect") or _SONAME


def _load() -> ctypes.CDLL:
    global _lib, _lib_path
    with _lock:
        if _lib is None:
            path = library_path()
            lib = ctypes.CDLL(path)
            lib.slminspect_run.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t,
                                           ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p),
                                           ctypes.POINTER(ctypes.c_void_p)]
            lib.slminspect_run.restype = ctypes.c_int
            lib.slminspect_free.argtypes = [ctypes.c_void_p]
            lib.slminspect_free.restype = None
            lib.slminspect_version.argtypes = []
            lib.slminspect_version.restype = ctypes.c_char_p
            lib.slminspect_abi_version.argtypes = []
            lib.slminspect_abi_version.restype = ctypes.c_int
            abi = lib.slminspect_abi_version()
            if abi != _ABI_VERSION:
                raise ImportError(f"{path}: interface version {abi}, this package needs {_ABI_VERSION}")
            _lib, _lib_path = lib, path
        return _lib


def _take(lib: ctypes.CDLL, p: ctypes.c_void_p) -> Optional[str]:
    if not p.value:
        return None
    try:
        return ctypes.string_at(p.value).decode("utf-8", "replace")
    finally:
        lib.slminspect_free(p)


def _run(command: str, paths: Sequence[PathLike], options: dict[str, OptionValue]) -> Report:
    lib = _load()
    encoded = [os.fsencode(p) for p in paths]
    array = (ctypes.c_char_p * max(len(encoded), 1))(*encoded)
    opts = {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in options.items()}
    doc_p, err_p = ctypes.c_void_p(), ctypes.c_void_p()
    status = lib.slminspect_run(command.encode(), array, len(encoded), json.dumps(opts).encode(),
                                ctypes.byref(doc_p), ctypes.byref(err_p))
    text, error = _take(lib, doc_p), _take(lib, err_p)
    document = json.loads(text) if text else None
    if status not in (0, 1) or document is None:
        raise SlminspectError(error or f"slminspect {command}: exit status {status}", status, document)
    return Report(document, status)


def verify(*paths: PathLike, **options: OptionValue) -> Report:
    """Every rule on each path (files or model folders): ``slminspect verify``.

    Options: ``target`` ("webllm", "transformers.js", "hf", "auto"), ``runtime``,
    ``stats``, ``fp16``, ``hash``, ``strict``, ``fail_on``, ``jobs``."""
    if not paths:
        raise SlminspectError("verify: no path given")
    return _run("verify", paths, options)


def inspect(*paths: PathLike, **options: OptionValue) -> Report:
    """A summary of each artifact: ``slminspect inspect``.  Options: ``tensors``, ``stats``."""
    if not paths:
        raise SlminspectError("inspect: no path given")
    return _run("inspect", paths, options)


def quant(quantized: PathLike, ref: PathLike, **options: OptionValue) -> Report:
    """Quantization error of QUANTIZED against the reference checkpoint REF:
    ``slminspect quant``.  Options: ``map``, ``seed``, ``min_sqnr``,
    ``max_rel_rmse``, ``min_cosine``, ``strict``, ``fail_on``."""
    return _run("quant", [quantized], {"ref": os.fspath(ref), **options})


def diff(a: PathLike, b: PathLike, **options: OptionValue) -> Report:
    """Two artifacts compared: ``slminspect diff``.  Options: ``all``, ``top``."""
    return _run("diff", [a, b], options)


def hash_check(manifest: PathLike, path: Optional[PathLike] = None, **options: OptionValue) -> Report:
    """Checks the copy at PATH (default: MANIFEST's folder) against MANIFEST, an
    slminspect manifest or a model_signing bundle (model.sig): ``slminspect hash
    --check``.  Integrity only: a bundle's signature is not verified."""
    return _run("hash-check", [] if path is None else [path], {"check": os.fspath(manifest), **options})


def version() -> str:
    """The loaded library's version."""
    v: bytes = _load().slminspect_version()
    return v.decode()
