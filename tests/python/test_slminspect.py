"""The Python package (python/slminspect) against the build tree: every
function returns the document the command line prints with --json, and the
exit status it exits with.  Run by tests/cli/python_api.sh."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import slminspect

BIN = os.environ["SLM_BIN"]
CORPUS = os.environ["SLM_CORPUS"]
HF = os.path.join(CORPUS, "qwen2", "hf_fp16")
ONNX_DIR = os.path.join(CORPUS, "qwen2", "onnx")


def cli(*args: str) -> "tuple[int, dict]":
    p = subprocess.run([BIN, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    return p.returncode, json.loads(p.stdout)


def first_onnx_q4() -> str:
    for name in sorted(os.listdir(ONNX_DIR)):
        if name.endswith(".onnx") and "q4" in name:
            return os.path.join(ONNX_DIR, name)
    raise AssertionError(f"no 4-bit ONNX model in {ONNX_DIR}")


class SameAsCommandLine(unittest.TestCase):
    def assert_same(self, report: slminspect.Report, rc: int, doc: dict) -> None:
        self.assertEqual(report.exit_status, rc)
        self.assertEqual(dict(report), doc)

    def test_verify(self) -> None:
        r = slminspect.verify(HF, target="hf")
        self.assert_same(r, *cli("verify", "--json", "--target", "hf", HF))
        self.assertIn("findings", r)
        self.assertGreater(len(r["checked"]), 8)  # the index, eight shards, config.json

    def test_false_and_none_leave_options_out(self) -> None:
        self.assertEqual(slminspect.verify(HF, stats=False, target=None), slminspect.verify(HF))
        self.assertEqual(slminspect.inspect(HF, stats=False), slminspect.inspect(HF))
        self.assertNotEqual(slminspect.inspect(HF, stats=True), slminspect.inspect(HF))  # values read

    def test_inspect(self) -> None:
        r = slminspect.inspect(HF, tensors=True)
        self.assert_same(r, *cli("inspect", "--json", "--tensors", HF))
        self.assertEqual(r["command"], "inspect")

    def test_quant_threshold_by_python_name(self) -> None:
        q = first_onnx_q4()
        r = slminspect.quant(q, HF, min_sqnr=200)  # no 4-bit weight reaches 200 dB
        self.assert_same(r, *cli("quant", "--json", "--ref", HF, "--min-sqnr", "200", q))
        self.assertEqual(r.exit_status, 1)
        self.assertIn("QT-101", {f["rule"] for f in r["findings"]})
        self.assertEqual(slminspect.quant(q, HF).exit_status, 0)

    def test_diff(self) -> None:
        single = os.path.join(CORPUS, "qwen2", "hf_fp32_single")
        r = slminspect.diff(HF, single)
        self.assert_same(r, *cli("diff", "--json", HF, single))

    def test_hash_check(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, "m")
            shutil.copytree(os.path.join(CORPUS, "qwen2", "hf_fp32_single"), copy)
            manifest = os.path.join(tmp, "manifest.json")
            subprocess.run([BIN, "hash", "-o", manifest, copy], check=True, stderr=subprocess.DEVNULL)
            r = slminspect.hash_check(manifest, copy)
            self.assert_same(r, *cli("hash", "--check", manifest, "--json", copy))
            self.assertEqual(r.exit_status, 0)
            with open(os.path.join(copy, "config.json"), "a", encoding="utf-8") as f:
                f.write(" ")
            r = slminspect.hash_check(manifest, copy)
            self.assertEqual(r.exit_status, 1)
            self.assertTrue(any(f["file"].endswith("config.json") for f in r["findings"]))


class Errors(unittest.TestCase):
    def test_unknown_option(self) -> None:
        with self.assertRaises(slminspect.SlminspectError) as e:
            slminspect.verify(HF, no_such_option=True)
        self.assertEqual(e.exception.status, 2)
        self.assertIn("unknown option", e.exception.message)

    def test_reserved_option(self) -> None:
        for name in ("format", "quiet", "json", "output", "diffable"):
            with self.assertRaises(slminspect.SlminspectError) as e:
                slminspect.verify(HF, **{name: True})
            self.assertIn(f"'{name}'", e.exception.message)

    def test_option_names_cannot_end_the_options(self) -> None:
        for name in ("", "-", "target=hf", "a b"):
            with self.assertRaises(slminspect.SlminspectError) as e:
                slminspect.verify(HF, **{name: True})
            self.assertIn("option names", e.exception.message)

    def test_path_like_an_option_is_a_path(self) -> None:
        with self.assertRaises(slminspect.SlminspectError) as e:
            slminspect.verify("--strict")
        self.assertEqual(e.exception.document["paths"][0]["path"], "--strict")

    def test_unreadable_path(self) -> None:
        missing = os.path.join(CORPUS, "no-such-model")
        with self.assertRaises(slminspect.SlminspectError) as e:
            slminspect.verify(missing)
        self.assertEqual(e.exception.status, 2)
        self.assertIsNotNone(e.exception.document)
        self.assertEqual(e.exception.document, cli("verify", "--json", missing)[1])

    def test_version(self) -> None:
        out = subprocess.run([BIN, "--version"], stdout=subprocess.PIPE, check=True, text=True).stdout
        self.assertEqual(out.split()[1], slminspect.version())


if __name__ == "__main__":
    print(f"python {sys.version.split()[0]}, library {slminspect.library_path()}")
    unittest.main(verbosity=2)
