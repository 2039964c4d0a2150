"""onnxopt: Python binding over the onnx-opt C library (include/onnxopt.h).

    import onnx, onnxopt
    model = onnx.load("in.onnx")
    optimized = onnxopt.optimize(model, check=2)         # a ModelProto
    data = onnxopt.optimize(open("in.onnx", "rb").read(), passes="fuse,fold")
    onnxopt.optimize("in.onnx", output="out.onnx")       # paths

It uses ctypes only, so it needs no compiler. `meson install` puts this
package into Python's site-packages next to a record of where the library
was installed (_install.py); otherwise point ONNXOPT_LIBRARY at
libonnxopt.so. `python3 -m onnxopt IN OUT [options]` mirrors the onnx-opt
command line.
"""
import ctypes
import ctypes.util
import os

__all__ = ["Error", "OnnxOptError", "CheckError", "optimize", "optimize_file",
           "list_passes", "list_options", "default_pipeline", "version"]


class Error(RuntimeError):
    """A load, pass, check or save failure; the message names the problem
    and `status` is the library's onnxopt_status code."""

    def __init__(self, message, status=0):
        super().__init__(message)
        self.status = status


OnnxOptError = Error  # the name of earlier versions


class CheckError(Error):
    """check=N found an output that differs (status ONNXOPT_ERR_CHECK)."""


# onnxopt_status codes (include/onnxopt.h)
STATUS_CHECK = 6
STATUS_UNCHECKABLE = 7


def _installed_library():
    """The library meson installed with this package: found from this
    file's own location and the relative path between the two install
    directories, so a `meson install --destdir` tree works as a real
    install does."""
    try:
        from . import _install
    except ImportError:
        return None
    here = os.path.dirname(os.path.abspath(__file__))
    relative = os.path.relpath(_install.LIBDIR, _install.PACKAGE_DIR)
    return os.path.normpath(os.path.join(here, relative, _install.SONAME))


def _load_library():
    candidates = [os.environ.get("ONNXOPT_LIBRARY"), _installed_library(),
                  ctypes.util.find_library("onnxopt"), "libonnxopt.so"]
    for path in candidates:
        if not path:
            continue
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    raise Error("cannot find libonnxopt.so (install it with meson install, "
                "or set ONNXOPT_LIBRARY)")


_lib = _load_library()
_model_p = ctypes.c_void_p
_lib.onnxopt_version.restype = ctypes.c_char_p
_lib.onnxopt_last_error.restype = ctypes.c_char_p
_lib.onnxopt_default_pipeline.restype = ctypes.c_char_p
_lib.onnxopt_load_buffer_with_base.argtypes = [
    ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
    ctypes.POINTER(_model_p)]
_lib.onnxopt_load_buffer.argtypes = [ctypes.c_char_p, ctypes.c_size_t,
                                     ctypes.POINTER(_model_p)]
_lib.onnxopt_load_file.argtypes = [ctypes.c_char_p, ctypes.POINTER(_model_p)]
_lib.onnxopt_run.argtypes = [_model_p, ctypes.c_char_p, ctypes.c_uint]
_lib.onnxopt_save_buffer.argtypes = [_model_p,
                                     ctypes.POINTER(ctypes.c_void_p),
                                     ctypes.POINTER(ctypes.c_size_t)]
_lib.onnxopt_save_file.argtypes = [_model_p, ctypes.c_char_p]
_lib.onnxopt_set_store_folder.argtypes = [_model_p, ctypes.c_char_p]
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
VERIFY = 2


def _check(status):
    if status != 0:
        message = _lib.onnxopt_last_error().decode()
        kind = CheckError if status == STATUS_CHECK else Error
        raise kind(message, status)


def _encode(passes):
    return None if passes is None else passes.encode()


def version():
    return _lib.onnxopt_version().decode()


def default_pipeline():
    return _lib.onnxopt_default_pipeline().decode()


def _apply_options(model, options):
    """Set each keyword as the library option of the same name ('_' is
    '-'): True sets a flag (or an option whose argument is optional, like
    check), False or None leaves it unset, a list or tuple repeats the
    option once per item, anything else is passed as text."""
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
    each is also a keyword of optimize() with '-' written as '_'. An
    argument in brackets ("[N]") is optional: check=True or check=3."""
    found = []

    def collect(name, argument, help_text, _user):
        found.append((name.decode(),
                      argument.decode() if argument else None,
                      help_text.decode()))

    _lib.onnxopt_list_options(_OPTION_INFO(collect), None)
    return found


def _flags(fixed_point, verify):
    return (FIXED_POINT if fixed_point else 0) | (VERIFY if verify else 0)


def _optimize_bytes(data, passes, flags, options, base_dir=None):
    data = bytes(data)
    model = _model_p()
    _check(_lib.onnxopt_load_buffer_with_base(
        data, len(data), None if base_dir is None else os.fsencode(base_dir),
        ctypes.byref(model)))
    try:
        _apply_options(model, options)
        _check(_lib.onnxopt_run(model, _encode(passes), flags))
        out = ctypes.c_void_p()
        size = ctypes.c_size_t()
        _check(_lib.onnxopt_save_buffer(model, ctypes.byref(out),
                                        ctypes.byref(size)))
        try:
            return ctypes.string_at(out, size.value)
        finally:
            _lib.onnxopt_free(out)
    finally:
        _lib.onnxopt_model_free(model)


def optimize_file(src, dst, passes=None, fixed_point=False, verify=False,
                  **options):
    """Optimize the model at path src into dst (written atomically, and
    not at all when a check fails); other keywords are library options,
    as for optimize()."""
    model = _model_p()
    _check(_lib.onnxopt_load_file(os.fsencode(src), ctypes.byref(model)))
    try:
        _apply_options(model, options)
        # Computed weights are kept beside dst, where saving with external
        # data can keep them in place as the data file.
        if os.fspath(dst) != "-":
            folder = os.path.dirname(os.fspath(dst)) or "."
            _check(_lib.onnxopt_set_store_folder(model, os.fsencode(folder)))
        _check(_lib.onnxopt_run(model, _encode(passes),
                                _flags(fixed_point, verify)))
        _check(_lib.onnxopt_save_file(model, os.fsencode(dst)))
    finally:
        _lib.onnxopt_model_free(model)


def optimize(model, passes=None, fixed_point=False, verify=False,
             output=None, base_dir=None, **options):
    """Optimize a model and return it in the kind it was given:

    - an onnx.ModelProto gives a new onnx.ModelProto (onnx must be
      importable; the argument is not changed);
    - bytes (or bytearray, memoryview) of a serialized model give bytes;
    - a path (str or os.PathLike) needs output=PATH: the result is
      written there (atomically) and output is returned.

    passes: a comma-separated list of passes and groups; None runs the
    default pipeline to a fixed point, "none" runs nothing. Every library
    option is a keyword ('-' written '_', see list_options()), e.g.
    check=2, check_rtol=1e-3, fold_size_limit=1 << 20,
    input_shape=["input_ids:1,128"], dim_param="batch=1",
    stats_json="stats.json", external_data=True. base_dir: the folder
    that external data of a ModelProto or bytes is read from (None: it
    stays a reference); the result is then returned with every tensor
    inline. A failure raises onnxopt.Error (a failed
    check: onnxopt.CheckError) with the library's one-line message."""
    flags = _flags(fixed_point, verify)
    if isinstance(model, (bytes, bytearray, memoryview)):
        return _optimize_bytes(model, passes, flags, options, base_dir)
    if isinstance(model, (str, os.PathLike)):
        if output is None:
            raise Error("optimize(path) needs output=PATH to write to")
        optimize_file(model, output, passes, fixed_point, verify, **options)
        return output
    serialize = getattr(model, "SerializeToString", None)
    if serialize is None:
        raise Error("optimize() takes an onnx.ModelProto, bytes or a path, "
                    f"not {type(model).__name__}")
    import onnx  # only needed for ModelProto in, ModelProto out
    return onnx.load_from_string(
        _optimize_bytes(serialize(), passes, flags, options, base_dir))


def list_passes():
    """[(name, group, summary), ...] for every registered pass."""
    found = []

    def collect(name, group, summary, _user):
        found.append((name.decode(), group.decode(), summary.decode()))

    _lib.onnxopt_list_passes(_PASS_INFO(collect), None)
    return found
