"""PyInstaller hook for llama-cpp-python (none exists upstream: llama-cpp-python issues #1475, #1565).

llama_cpp loads its shared libraries with ctypes from `llama_cpp/lib/`, which PyInstaller's import analysis
cannot see. Collect them there, keeping their folder: the bindings look for `llama_cpp/lib/libllama.so`
next to their own module, the libraries find each other through their RPATH `$ORIGIN`, and a release
build's backend modules (`libggml-cpu-<variant>.so`, `libggml-cuda.so`) must sit in the folder
`satori_desktop/engine/backends.py` hands to ggml.

A wheel holds each library three times (`libllama.so`, `libllama.so.0`, `libllama.so.0.5.0`: real copies,
since wheels cannot hold symlinks). Only two names are ever opened: the bare one (by ctypes) and the
soname (`.so.0`, by the dynamic linker for the libraries' NEEDED entries), so the fully versioned copy
stays out. So does `libllama-common` (llama.cpp's helpers for its own tools, 4.8 MB): the build cannot
turn it off, and neither the bindings nor libllama load it.
"""

import re

from PyInstaller.utils.hooks import collect_dynamic_libs

_FULLY_VERSIONED = re.compile(r"\.so\.\d+\.\d+")

binaries = [
    (source, dest)
    for source, dest in collect_dynamic_libs("llama_cpp")
    if not _FULLY_VERSIONED.search(source) and "llama-common" not in source
]

# The multimodal bindings load libmtmd on import; the release build has none and the app never imports
# them, so keep PyInstaller from following llama_chat_format's lazy import.
excludedimports = ["llama_cpp.mtmd_cpp"]
