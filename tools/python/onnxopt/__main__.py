"""python3 -m onnxopt IN OUT [options]: the onnx-opt command line, through
the library this package binds.

The options are the CLI's: -p/--passes, --fixed-point, --verify,
--list-passes, --version, and every library option (list_options()), with
the same names, arguments and exit statuses (0 success, 1 a pass failed,
2 bad input, 3 --check found a difference, 4 --check cannot run the
model). --stats prints the sizes before and after.
"""
import argparse
import json
import os
import sys
import tempfile

import onnxopt

EXIT_PASS_FAILED, EXIT_BAD_INPUT, EXIT_CHECK, EXIT_UNCHECKABLE = 1, 2, 3, 4
STATUS_PASS = 5
DEFAULT = "\0default"  # a bare optional-argument option


def exit_status(error):
    return {STATUS_PASS: EXIT_PASS_FAILED,
            onnxopt.STATUS_CHECK: EXIT_CHECK,
            onnxopt.STATUS_UNCHECKABLE: EXIT_UNCHECKABLE}.get(
                error.status, EXIT_BAD_INPUT)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python3 -m onnxopt",
        description="Optimize the ONNX model IN and write it to OUT.")
    parser.add_argument("input", metavar="IN", nargs="?")
    parser.add_argument("output", metavar="OUT", nargs="?")
    parser.add_argument("-p", "--passes", metavar="LIST",
                        help="comma-separated passes and groups (default: "
                        f"{onnxopt.default_pipeline()}, to a fixed point)")
    parser.add_argument("--fixed-point", action="store_true")
    parser.add_argument("--verify", action="store_true")
    parser.add_argument("--list-passes", action="store_true")
    parser.add_argument("--version", action="store_true")
    parser.add_argument("--stats", action="store_true",
                        help="sizes before and after (stderr); "
                        "--stats-json FILE has everything")
    library = []
    for name, argument, help_text in onnxopt.list_options():
        dest = "lib_" + name.replace("-", "_")
        library.append((name, dest))
        if argument is None:
            parser.add_argument("--" + name, dest=dest, action="store_true",
                                help=help_text)
        elif argument.startswith("["):
            parser.add_argument("--" + name, dest=dest, nargs="?",
                                const=True, metavar=argument.strip("[]"),
                                help=help_text)
        else:
            parser.add_argument("--" + name, dest=dest, action="append",
                                metavar=argument, help=help_text)
    # As with getopt, an optional argument only comes as --NAME=VALUE: a
    # bare --check must not swallow IN.
    argv = list(sys.argv[1:] if argv is None else argv)
    optional = {"--" + name for name, argument, _ in onnxopt.list_options()
                if argument and argument.startswith("[")}
    argv = [a + "=" + DEFAULT if a in optional else a for a in argv]
    args = parser.parse_args(argv)
    if args.version:
        print(f"onnx-opt {onnxopt.version()}")
        return 0
    if args.list_passes:
        for name, group, summary in onnxopt.list_passes():
            print(f"  {name:40} {summary} ({group})")
        return 0
    if not args.input or not args.output:
        print("onnx-opt: expected IN and OUT paths (try --help)",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    options = {}
    for name, dest in library:
        value = getattr(args, dest)
        if value == DEFAULT:
            value = True
        if value not in (None, False):
            options[name.replace("-", "_")] = value
    # --stats prints what --stats-json writes: the library's numbers.
    temporary = None
    wants_stats = args.stats or "check" in options
    if wants_stats and "stats_json" not in options:
        fd, temporary = tempfile.mkstemp(suffix=".json")
        os.close(fd)
        options["stats_json"] = temporary
    try:
        onnxopt.optimize(args.input, passes=args.passes,
                         fixed_point=args.fixed_point, verify=args.verify,
                         output=args.output, **options)
    except onnxopt.Error as error:
        print(f"onnx-opt: {error}", file=sys.stderr)
        return exit_status(error)
    finally:
        stats_path = options.get("stats_json")
        if isinstance(stats_path, list):
            stats_path = stats_path[-1]
        stats = None
        if wants_stats and stats_path and os.path.exists(stats_path) and \
                stats_path != "-":
            with open(stats_path) as f:
                text = f.read()
            stats = json.loads(text) if text else None
        if temporary:
            os.unlink(temporary)
    if stats and args.stats:
        print_stats(stats)
    if stats and stats.get("check"):
        print_check(stats["check"])
    return 0


def print_check(check):
    """The CLI's --check summary."""
    runs, outputs = check["runs"], check["outputs"]
    print(f"check: {runs} run{'s' if runs != 1 else ''}, {len(outputs)} "
          f"output{'s' if len(outputs) != 1 else ''} equal within "
          f"tolerance ({check['ms']:.1f} ms)", file=sys.stderr)
    for o in outputs:
        print(f"  {o['name']:30} max abs diff {o['max_abs_diff']:.3g}, "
              f"max rel diff {o['max_rel_diff']:.3g}", file=sys.stderr)


def print_stats(stats):
    """The CLI's --stats tables: op counts, then sizes, then times."""
    out = sys.stderr
    ops = {}
    for column, side in enumerate(("before", "after")):
        for domain, counts in stats[side]["ops"].items():
            for op, n in counts.items():
                name = op if domain == "ai.onnx" else f"{domain}:{op}"
                ops.setdefault(name, [0, 0])[column] += n
    print(f"{'op':32} {'before':>8} {'after':>8}", file=out)
    for name in sorted(ops):
        print(f"{name:32} {ops[name][0]:8} {ops[name][1]:8}", file=out)
    print(f"{'total':32} {sum(v[0] for v in ops.values()):8} "
          f"{sum(v[1] for v in ops.values()):8}\n", file=out)
    print(f"{'size':32} {'before':>12} {'after':>12}", file=out)
    for row, key in (("nodes", "nodes"), ("initializers", "initializers"),
                     ("initializer bytes", "initializer_bytes"),
                     ("file bytes", "file_bytes")):
        before, after = stats["before"][key], stats["after"][key]
        print(f"{row:32} {'-' if before is None else before:>12} "
              f"{'-' if after is None else after:>12}", file=out)
    ms = stats["ms"]
    print(f"\nload {ms['load']:.1f} ms, passes {ms['passes']:.1f} ms, "
          f"save {ms['save']:.1f} ms", file=out)


if __name__ == "__main__":
    sys.exit(main())
