#!/usr/bin/python3
"""Seeds for fuzz_msig: model_signing bundles of the harness's fixture folder
(the same bytes fuzz/fuzz_msig.c writes), made from slminspect hash --format
in-toto, then altered one way each (a flipped digest, a missing and an extra
resource, a path that leaves the model, the shards method, the v0.1
predicate, bad base64, cut short, another payload type).

    /usr/bin/python3 fuzz/seeds/msig.py build/inspect/slminspect fuzz/corpus/msig
"""
import base64
import copy
import hashlib
import json
import os
import subprocess
import sys
import tempfile


def fixture(d):
    os.makedirs(os.path.join(d, "sub"))
    open(os.path.join(d, "a.bin"), "wb").write(bytes(7 * i % 251 for i in range(3000)))
    open(os.path.join(d, "sub", "b.txt"), "wb").write(b"hello\n")


def bundle(statement, payload_type="application/vnd.in-toto+json", raw=None):
    payload = raw if raw is not None else base64.b64encode(json.dumps(statement).encode()).decode()
    return json.dumps({"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                       "verificationMaterial": {"publicKey": {"hint": ""}, "tlogEntries": []},
                       "dsseEnvelope": {"payload": payload, "payloadType": payload_type,
                                        "signatures": [{"sig": "", "keyid": ""}]}}).encode()


def main(binary, out):
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as t:
        model = os.path.join(t, "copy")
        fixture(model)
        s = json.loads(subprocess.run([binary, "hash", "--format", "in-toto", model], check=True,
                                      stdout=subprocess.PIPE).stdout)
    seeds = [bundle(s)]

    def variant(edit):
        v = copy.deepcopy(s)
        edit(v)
        seeds.append(bundle(v))

    variant(lambda v: v["predicate"]["resources"][0].update(digest="00" * 32))
    variant(lambda v: v["predicate"]["resources"].pop())
    variant(lambda v: v["predicate"]["resources"].append({"name": "gone", "algorithm": "sha256", "digest": "11" * 32}))
    variant(lambda v: v["predicate"]["resources"][0].update(name="../a.bin"))
    variant(lambda v: v["predicate"]["serialization"].update(method="shards", shard_size=1000))
    variant(lambda v: v.update(predicateType="https://model_signing/Digests/v0.1",
                               subject=[{"name": r["name"], "digest": {"sha256": r["digest"]}}
                                        for r in v["predicate"]["resources"]]))

    def resign(v):  # a consistent statement with another resource set
        v["predicate"]["resources"] = v["predicate"]["resources"][:1]
        d = hashlib.sha256(bytes.fromhex(v["predicate"]["resources"][0]["digest"])).hexdigest()
        v["subject"][0]["digest"]["sha256"] = d
    variant(resign)
    seeds.append(bundle(s, raw="!!notbase64"))
    seeds.append(bundle(s, payload_type="text/plain"))
    seeds.append(bundle(s)[:120])
    for data in seeds:
        with open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
