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
           "list_options", "version"]


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
_lib.onnxopt_set_option.argtypes = [_model_p, ctypes.c_char_p,
                                    ctypes.c_char_p]
_OPTION_INFO = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p,
                                ctypes.c_char_p, ctypes.c_void_p)
_lib.onnxopt_list_options.argtypes = [_OPTION_INFO, ctypes.c_void_p]

FIXED_POINT = 1


def _check(status):
    if status != 0:
        raise OnnxOptError(_lib.onnxopt_last_error().decode())


def _encode(passes):
    return None if passes is None else passes.encode()


def version():
    return _lib.onnxopt_version().decode()


def _apply_options(model, options):
    """Set each keyword as the library option of the same name ('_' is
    '-'): True sets a flag, False or None leaves it unset, a list or tuple
    repeats the option once per item, anything else is passed as text."""
    for key, value in options.items():
        name = key.replace("_", "-").encode()
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if item is None or item is False:
                continue
            text = None if item is True else str(item).encode()
            _check(_lib.onnxopt_set_option(model, name, text))


def list_options():
    """[(name, argument or None, help), ...] for every library option;
    each is also a keyword of optimize() with '-' written as '_'."""
    found = []

    def collect(name, argument, help_text, _user):
        found.append((name.decode(),
                      argument.decode() if argument else None,
                      help_text.decode()))

    _lib.onnxopt_list_options(_OPTION_INFO(collect), None)
    return found


def optimize(model_bytes, passes=None, fixed_point=False, **options):
    """Optimize serialized ONNX bytes; returns the optimized bytes.
    passes=None runs the default pipeline; "none" runs nothing. Other
    keywords are library options (list_options()), e.g.
    fold_size_limit=1 << 20."""
    model = _model_p()
    _check(_lib.onnxopt_load_buffer(model_bytes, len(model_bytes),
                                    ctypes.byref(model)))
    try:
        _apply_options(model, options)
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


def optimize_file(src, dst, passes=None, fixed_point=False, **options):
    """Optimize the model at path src into dst (written atomically); other
    keywords are library options, as for optimize()."""
    model = _model_p()
    _check(_lib.onnxopt_load_file(os.fsencode(src), ctypes.byref(model)))
    try:
        _apply_options(model, options)
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
