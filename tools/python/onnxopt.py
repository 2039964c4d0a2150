"""onnxopt: Python binding over the onnx-opt C library (include/onnxopt.h).

    import onnxopt
    data = onnxopt.optimize(open("in.onnx", "rb").read(), passes="fuse,fold")
    onnxopt.optimize_file("in.onnx", "out.onnx")

It uses ctypes only, so it needs no compiler: point ONNXOPT_LIBRARY at
libonnxopt.so, or install the library where the loader finds it.
"""
import ctypes
import ctypes.util
import os

__all__ = ["OnnxOptError", "optimize", "optimize_file", "list_passes",
           "version"]


class OnnxOptError(RuntimeError):
    """A load, pass or save failure; the message names the problem."""


def _load_library():
    candidates = [os.environ.get("ONNXOPT_LIBRARY"),
                  ctypes.util.find_library("onnxopt"), "libonnxopt.so"]
    for path in candidates:
        if not path:
            continue
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    raise OnnxOptError("cannot find libonnxopt.so (set ONNXOPT_LIBRARY)")


_lib = _load_library()
_model_p = ctypes.c_void_p
_lib.onnxopt_version.restype = ctypes.c_char_p
_lib.onnxopt_last_error.restype = ctypes.c_char_p
_lib.onnxopt_load_buffer.argtypes = [ctypes.c_char_p, ctypes.c_size_t,
                                     ctypes.POINTER(_model_p)]
_lib.onnxopt_load_file.argtypes = [ctypes.c_char_p, ctypes.POINTER(_model_p)]
_lib.onnxopt_run.argtypes = [_model_p, ctypes.c_char_p, ctypes.c_uint]
_lib.onnxopt_save_buffer.argtypes = [_model_p,
                                     ctypes.POINTER(ctypes.c_void_p),
                                     ctypes.POINTER(ctypes.c_size_t)]
_lib.onnxopt_save_file.argtypes = [_model_p, ctypes.c_char_p]
_lib.onnxopt_model_free.argtypes = [_model_p]
_lib.onnxopt_free.argtypes = [ctypes.c_void_p]
_PASS_INFO = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p,
                              ctypes.c_char_p, ctypes.c_void_p)
_lib.onnxopt_list_passes.argtypes = [_PASS_INFO, ctypes.c_void_p]

FIXED_POINT = 1


def _check(status):
    if status != 0:
        raise OnnxOptError(_lib.onnxopt_last_error().decode())


def _encode(passes):
    return None if passes is None else passes.encode()


def version():
    return _lib.onnxopt_version().decode()


def optimize(model_bytes, passes=None, fixed_point=False):
    """Optimize serialized ONNX bytes; returns the optimized bytes.
    passes=None runs the default pipeline; "none" runs nothing."""
    model = _model_p()
    _check(_lib.onnxopt_load_buffer(model_bytes, len(model_bytes),
                                    ctypes.byref(model)))
    try:
        _check(_lib.onnxopt_run(model, _encode(passes),
                                FIXED_POINT if fixed_point else 0))
        data = ctypes.c_void_p()
        size = ctypes.c_size_t()
        _check(_lib.onnxopt_save_buffer(model, ctypes.byref(data),
                                        ctypes.byref(size)))
        try:
            return ctypes.string_at(data, size.value)
        finally:
            _lib.onnxopt_free(data)
    finally:
        _lib.onnxopt_model_free(model)


def optimize_file(src, dst, passes=None, fixed_point=False):
    """Optimize the model at path src into dst (written atomically)."""
    model = _model_p()
    _check(_lib.onnxopt_load_file(os.fsencode(src), ctypes.byref(model)))
    try:
        _check(_lib.onnxopt_run(model, _encode(passes),
                                FIXED_POINT if fixed_point else 0))
        _check(_lib.onnxopt_save_file(model, os.fsencode(dst)))
    finally:
        _lib.onnxopt_model_free(model)


def list_passes():
    """[(name, group, summary), ...] for every registered pass."""
    found = []

    def collect(name, group, summary, _user):
        found.append((name.decode(), group.decode(), summary.decode()))

    _lib.onnxopt_list_passes(_PASS_INFO(collect), None)
    return found
