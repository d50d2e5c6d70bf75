#!/usr/bin/python3
"""Seeds for fuzz_manifest: manifests of the harness's fixture folder (the
same bytes fuzz/fuzz_manifest.c writes), made by slminspect hash, then
damaged one way each (cut short, a repeated key, wrong types, paths that
leave the copy, a flipped hash, overlapping tensors, integers out of range).

    /usr/bin/python3 fuzz/seeds/manifest.py build/inspect/slminspect fuzz/corpus/manifest
"""
import json
import os
import struct
import subprocess
import sys
import tempfile


def fixture(d):
    os.makedirs(os.path.join(d, "sub"))
    open(os.path.join(d, "a.bin"), "wb").write(bytes(7 * i % 251 for i in range(3000)))
    open(os.path.join(d, "sub", "b.txt"), "wb").write(b"hello\n")
    hdr = (b'{"x":{"dtype":"U8","shape":[5],"data_offsets":[0,5]},'
           b'"y":{"dtype":"U8","shape":[7],"data_offsets":[5,12]}}  ')
    open(os.path.join(d, "w.safetensors"), "wb").write(struct.pack("<Q", len(hdr)) + hdr + bytes(range(12)))


def main(binary, out):
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as t:
        copy = os.path.join(t, "copy")
        fixture(copy)
        text = subprocess.run([binary, "hash", "--jobs", "1", copy], check=True, capture_output=True).stdout
    m = json.loads(text)
    seeds = {"valid.json": text, "valid_compact.json": json.dumps(m, separators=(",", ":")).encode()}
    seeds["cut.json"] = text[: len(text) // 2]
    seeds["dup_key.json"] = text.replace(b'"size":', b'"size": 1, "size":', 1)

    def edited(name, fn):
        d = json.loads(text)
        fn(d)
        seeds[name] = json.dumps(d, indent=1).encode()

    def traversal(d):
        d["files"] += [dict(d["files"][0], path=p) for p in ("../a.bin", "/etc/hostname", "sub/../a.bin", "sub//b.txt", "./a.bin", "")]
    edited("traversal.json", traversal)
    edited("flipped.json", lambda d: d["files"][0].update(xxh3_128="0" * 32))
    edited("missing.json", lambda d: d["files"].append(dict(d["files"][0], path="gone.bin")))
    edited("wrong_size.json", lambda d: d["files"][0].update(size=2999))
    edited("types.json", lambda d: d["files"][1].update(size="6", xxh3_128=5, kind=[], md5sum="z"))
    edited("tensor_flip.json", lambda d: d["files"][2]["tensors"][1].update(xxh3_128="f" * 32))

    def file_and_tensor(d):
        d["files"][2].update(xxh3_128="e" * 32)
        d["files"][2]["tensors"][1].update(xxh3_128="f" * 32)
    edited("file_and_tensor.json", file_and_tensor)

    def overlap(d):
        d["files"][2]["tensors"][1]["offset"] -= 1
    edited("overlap.json", overlap)
    edited("beyond.json", lambda d: d["files"][2]["tensors"][1].update(nbytes=10**6))
    edited("version.json", lambda d: d.update(manifest_version=2))
    edited("not_listed.json", lambda d: d["files"].pop(1))
    edited("twice.json", lambda d: d["files"].append(d["files"][0]))
    edited("folder.json", lambda d: d["files"].append(dict(d["files"][0], path="sub")))
    seeds["big_int.json"] = text.replace(b'"size":\t3000', b'"size":\t18446744073709551616', 1)
    seeds["fraction.json"] = text.replace(b'"size":\t3000', b'"size":\t3e3', 1)
    for name, data in seeds.items():
        open(os.path.join(out, name), "wb").write(data)
    print(f"{len(seeds)} seeds in {out}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
