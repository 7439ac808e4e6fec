"""Writes test/fixtures/canonical/python-reference.jsonl: CPython's canonical JSON (Appendix B)
for many values, so the TypeScript implementation is checked against real CPython bytes.

Each line: {"json": <the value as plain JSON text>, "canonical": <CPython's canonical form>,
"sha256": <its hash>}. Whole-number floats (1.0) are left out: JS cannot tell them from ints.
Run: python3 scripts/python-canonical-reference.py
"""
import hashlib
import json
import random
import struct

def canonical(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False)

rng = random.Random(20261121)
values = [
    0, 1, -1, 2**53, -(2**53), 2**31, 0.1, -0.5, 1.5, 3.14159, 1e-7, 1e-5, 1e-4, 0.001, 1.5e-10,
    1e16, 1e17, 1e21, 1e22, 1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, 123456789.123,
    2**53 + 2.0, 9007199254740993.5e3, 1e15 + 0.5, 0.30000000000000004, 100.25, -1e-300, 4.35,
    "", "plain", "quote\" back\\slash", "\b\f\n\r\t", "\x00\x01\x1f\x7f", "\u2028\u2029", "é ü 中文",
    "😀 astral \U0001F600", "\ue000\uffff", "</script>",
    True, False, None, [], {}, [1, [2, [3, []]]],
    {"b": 1, "a": 2, "A": 3, "_": 4, "aa": 5, "a\u0000": 6},
    {"\U0001F600": 1, "\uffff": 2, "\ue000": 3, "z": 4},
    {"\U00010000": "a", "\uff61": "b", "\ud7ff": "c"},
    {"nested": {"z": [1.25, {"y": None, "x": "\n"}], "a": True}},
]
for _ in range(400):
    bits = rng.getrandbits(64)
    x = struct.unpack("<d", struct.pack("<Q", bits))[0]
    if x != x or x in (float("inf"), float("-inf")) or x.is_integer():
        continue
    values.append(x)
for _ in range(200):
    x = rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-25, 25)
    if not x.is_integer():
        values.append(x)

with open("test/fixtures/canonical/python-reference.jsonl", "w", encoding="utf-8") as out:
    for value in values:
        text = canonical(value)
        line = {"json": json.dumps(value), "canonical": text,
                "sha256": "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()}
        out.write(json.dumps(line, ensure_ascii=False) + "\n")

# Deterministic identifiers (spec 5.1.3), computed the Python way.
def run_id(mission_spec, inputs_hash, surfaces, code_version):
    data = canonical(mission_spec) + inputs_hash + canonical(sorted(surfaces.items())) + code_version
    return "sha256:" + hashlib.sha256(data.encode("utf-8")).hexdigest()

def call_id(run, role, prompt_hash, packet_hash):
    return "sha256:" + hashlib.sha256((run + role + prompt_hash + packet_hash).encode("utf-8")).hexdigest()

spec = {"mission": "design", "version": "1.0", "inputs": [{"name": "task_spec", "type": "str"}],
        "outputs": [], "steps": [{"id": "s", "kind": "runtime", "operation": "noop", "params": {"x": 0.1}}]}
inputs_hash = "sha256:" + hashlib.sha256(canonical({"task_spec": "Add a README ✓"}).encode()).hexdigest()
surfaces = {"config/models.yaml": "sha256:" + "a" * 64, "config/agent_roles/designer.md": "sha256:" + "b" * 64,
            "GEMINI.md": "sha256:" + "c" * 64}
rid = run_id(spec, inputs_hash, surfaces, "0123456789abcdef0123456789abcdef01234567")
cid = call_id(rid, "designer", "sha256:" + "d" * 64, "sha256:" + "e" * 64)
with open("test/fixtures/canonical/python-ids.json", "w", encoding="utf-8") as out:
    json.dump({"mission_spec": spec, "inputs": {"task_spec": "Add a README ✓"}, "inputs_hash": inputs_hash,
               "surfaces": surfaces, "code_version_id": "0123456789abcdef0123456789abcdef01234567",
               "run_id": rid, "role": "designer", "prompt_hash": "sha256:" + "d" * 64,
               "packet_hash": "sha256:" + "e" * 64, "call_id": cid}, out, ensure_ascii=False, indent=2)
    out.write("\n")
