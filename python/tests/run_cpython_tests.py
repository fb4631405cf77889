"""Runs CPython 3.11's own test files, unmodified, against chatframe's modules.

    python3.11 python/tests/run_cpython_tests.py test_asynchat [test_asyncore test_smtpd]
    python3.11 python/tests/run_cpython_tests.py --stdlib test_asynchat   # the reference run
    python3.13 python/tests/run_cpython_tests.py --from /usr/lib/python3.11 test_asynchat ...

``asynchat`` and ``asyncore`` are resolved to chatframe.asynchat and
chatframe.asyncore in sys.modules before the test files import them (and
``smtpd``, imported by test_smtpd afterwards, picks them up the same way);
the runner checks that the test modules really hold chatframe's modules.
Each file is then run again, in a child process, against the standard
library, and the two runs must have run the same tests and skipped the same
tests: a test skipped here but not there would be a silent skip.

On Python 3.12 and later, which have neither these modules nor their tests,
--from DIR loads the test files (and smtpd.py, for test_smtpd) from CPython
3.11's library folder DIR, and the reference run is made by --reference
(default /usr/bin/python3.11) against its standard library.

Tests that cannot pass against chatframe are listed in CANNOT_PASS with the
reason; they are reported, never hidden. Exit 1 on any failure, error,
unlisted difference from the standard library run, or a test module that did
not pick up chatframe's modules.
"""

import importlib.util
import json
import os
import subprocess
import sys
import unittest
import warnings

# Test id -> why it cannot pass against chatframe. Empty: every test passes.
CANNOT_PASS = {}


class _Recorder(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ran = []

    def startTest(self, test):
        self.ran.append(test.id())
        super().startTest(test)


def shadow_standard_modules():
    """Makes `import asynchat` / `import asyncore` give chatframe's modules."""
    import chatframe.asynchat
    import chatframe.asyncore
    sys.modules["asyncore"] = chatframe.asyncore
    sys.modules["asynchat"] = chatframe.asynchat
    sys.modules.pop("smtpd", None)  # imported by test_smtpd after the swap
    return {"asynchat": chatframe.asynchat, "asyncore": chatframe.asyncore}


def check_shadowed(module, wanted):
    """The modules the test module (and smtpd) actually use are chatframe's."""
    holders = [module] + ([module.smtpd] if hasattr(module, "smtpd") else [])
    for holder in holders:
        for name, mod in wanted.items():
            if name in vars(holder) and vars(holder)[name] is not mod:
                raise SystemExit("%s.%s is %r, not chatframe's" % (holder.__name__, name, vars(holder)[name]))
    if not any(name in vars(h) for h in holders for name in wanted):
        raise SystemExit("%s imports neither asynchat nor asyncore" % module.__name__)


def load_from(folder, module_name, relative):
    """Imports folder/relative as module_name (a file of CPython 3.11's library)."""
    spec = importlib.util.spec_from_file_location(module_name, os.path.join(folder, relative))
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def run(name, shadow, library=None):
    wanted = shadow_standard_modules() if shadow else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if library is None:
            suite = unittest.defaultTestLoader.loadTestsFromName("test." + name)
        else:
            if name == "test_smtpd":
                load_from(library, "smtpd", "smtpd.py")
            module = load_from(library, "test." + name, os.path.join("test", name + ".py"))
            suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    if shadow:
        check_shadowed(sys.modules["test." + name], wanted)
    stream = sys.stderr if shadow else open(os.devnull, "w")
    result = unittest.TextTestRunner(stream=stream, resultclass=_Recorder, verbosity=0).run(suite)
    return {
        "ran": result.ran,
        "failed": sorted(t.id() for t, _ in result.failures + result.errors),
        "skipped": sorted((t.id(), reason) for t, reason in result.skipped),
        "details": [(t.id(), text) for t, text in result.failures + result.errors],
    }


def stdlib_run(name, python):
    """The same file against the standard library, in a child process."""
    out = subprocess.run([python, os.path.abspath(__file__), "--stdlib", "--json", name],
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise SystemExit("the standard library run of %s failed:\n%s%s" % (name, out.stdout, out.stderr))
    return json.loads(out.stdout)


def option(argv, flag, default):
    """The value after `flag` in argv (removed from it), or default."""
    if flag not in argv:
        return default
    i = argv.index(flag)
    value = argv[i + 1]
    del argv[i:i + 2]
    return value


def main(argv):
    library = option(argv, "--from", None)
    reference_python = option(argv, "--reference", sys.executable if library is None else "/usr/bin/python3.11")
    shadow = "--stdlib" not in argv
    as_json = "--json" in argv
    names = [a for a in argv if not a.startswith("--")]
    if not names:
        raise SystemExit(__doc__)
    if as_json:
        if len(names) != 1:
            raise SystemExit("--json takes one test module")
        print(json.dumps(run(names[0], shadow)))
        return 0
    status = 0
    for name in names:
        ours = run(name, shadow, library)
        against = "chatframe's asynchat/asyncore" if shadow else "the standard library"
        against += " on Python %d.%d" % sys.version_info[:2]
        unexpected = [t for t in ours["failed"] if t not in CANNOT_PASS]
        print("%s against %s: ran %d, failed %d, skipped %d"
              % (name, against, len(ours["ran"]), len(ours["failed"]), len(ours["skipped"])))
        for test_id, text in ours["details"]:
            if test_id in CANNOT_PASS:
                print("  cannot pass (listed): %s: %s" % (test_id, CANNOT_PASS[test_id]))
            else:
                print("  FAILED: %s\n%s" % (test_id, text))
        for test_id, reason in ours["skipped"]:
            print("  skipped by the test itself: %s (%s)" % (test_id, reason))
        if unexpected:
            status = 1
        if not shadow:
            continue
        reference = stdlib_run(name, reference_python)
        print("%s against the standard library (%s): ran %d, failed %d, skipped %d"
              % (name, reference_python, len(reference["ran"]), len(reference["failed"]),
                 len(reference["skipped"])))
        if sorted(ours["ran"]) != sorted(reference["ran"]):
            print("  DIFFERENT TESTS RAN: only here %s, only there %s"
                  % (sorted(set(ours["ran"]) - set(reference["ran"])),
                     sorted(set(reference["ran"]) - set(ours["ran"]))))
            status = 1
        ours_skipped = {t for t, _ in ours["skipped"]}
        their_skipped = {t for t, _ in map(tuple, reference["skipped"])}
        if ours_skipped != their_skipped:
            print("  DIFFERENT TESTS SKIPPED: only here %s, only there %s"
                  % (sorted(ours_skipped - their_skipped), sorted(their_skipped - ours_skipped)))
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
