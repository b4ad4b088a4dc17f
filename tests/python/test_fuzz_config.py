"""Fuzzing the config loader: mutated YAML from every file in configs/ must always give a
located error or a valid spec, never a crash, a hang or an unbounded allocation.

`exprun validate` checks a batch of files per process, each on its own, under a memory cap
(RLIMIT_AS) and a timeout; a batch that crashes (any exit but 0 and 2) or hangs is bisected to
the file responsible, which the failure names. EXPRUN_FUZZ_CASES sets the number of inputs: a
few thousand in make test, 100k in make fuzz."""
import os
import pathlib
import random
import re
import resource
import subprocess

from conftest import EXPRUN, ROOT

CASES = int(os.environ.get("EXPRUN_FUZZ_CASES", "3000"))
BATCH = 250
SEED = int(os.environ.get("EXPRUN_FUZZ_SEED", "20261201"))
MEMORY_CAP = 6 << 30   # bytes of address space per validate process
# Fragments that have broken YAML loaders and sweep expanders before.
TOKENS = ["*a", "&a", "<<: *a", "{", "}", "[", "]", "- ", ": ", "'", '"', "#", "\t", "!!binary", "!!python/object",
          "~", "null", "yes", "1e308", "-1e308", ".nan", ".inf", "-.inf", "0x7fffffffffffffff", "9223372036854775807",
          "-9223372036854775808", "18446744073709551616", "1.0e12", "0", "-1", "", "{logspace: [-3, 0, 1000000000]}",
          "{range: [-9223372036854775808, 9223372036854775807]}", "{range: [0, 10, 0]}", "[[[[[[[[[[[[[[[[",
          "{every: 1}", "\u00e9", "\x00", "\ufeff", "%YAML 1.1", "---", "...", "? ", "|", ">"]


def mutate(text, rng):
    lines = text.split("\n")
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        i = rng.randrange(len(lines)) if lines else 0
        if op == 0 and lines:                       # delete a line
            del lines[i]
        elif op == 1 and lines:                     # duplicate a line
            lines.insert(i, lines[i])
        elif op == 2 and lines:                     # replace a value with a hostile token
            line = lines[i]
            cut = line.find(": ")
            lines[i] = (line[:cut + 2] if cut >= 0 else line) + rng.choice(TOKENS)
        elif op == 3 and lines:                     # insert a token anywhere in a line
            line = lines[i]
            k = rng.randrange(len(line) + 1)
            lines[i] = line[:k] + rng.choice(TOKENS) + line[k:]
        elif op == 4 and lines:                     # flip a byte
            line = lines[i]
            if line:
                k = rng.randrange(len(line))
                lines[i] = line[:k] + chr(rng.randrange(32, 127)) + line[k + 1:]
        elif op == 5:                               # an alias bomb or deep nesting appended
            if rng.random() < 0.5:
                bomb = ["lol0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
                bomb += [f"lol{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * 10) + "]" for k in range(1, 9)]
                lines += bomb
            else:
                depth = rng.randint(100, 5000)
                lines.append("deep: " + "[" * depth + "]" * depth)
        else:                                       # re-indent a line
            if lines:
                lines[i] = " " * rng.randint(0, 6) + lines[i].lstrip()
    return "\n".join(lines)


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def validate(paths, timeout):
    return subprocess.run([EXPRUN, "validate", *map(str, paths)], capture_output=True, text=True, errors="replace",
                          timeout=timeout, cwd=ROOT, preexec_fn=limit_memory,
                          env={**os.environ, "EXPRUN_DATA": str(ROOT / "data")})


def culprit(paths):
    """The first file of a bad batch that crashes or hangs on its own."""
    for p in paths:
        try:
            r = validate([p], timeout=60)
        except subprocess.TimeoutExpired:
            return p, "hang (> 60 s)"
        if r.returncode not in (0, 2):
            return p, f"exit {r.returncode}\n{r.stderr[-1500:]}"
    return None, "no single file reproduces it"


def check_batch(paths):
    try:
        r = validate(paths, timeout=30 + len(paths))
    except subprocess.TimeoutExpired:
        p, why = culprit(paths)
        raise AssertionError(f"validate hung on a batch; {p}: {why}")
    if r.returncode not in (0, 2):
        p, why = culprit(paths)
        text = pathlib.Path(p).read_text(errors="replace")[:3000] if p else ""
        raise AssertionError(f"validate crashed (exit {r.returncode}) on {p}: {why}\n--- input ---\n{text}")
    # Every file: "PATH: ok (...)" on stdout or a located "PATH:line:col: ..." on stderr.
    for p in paths:
        ok = f"{p}: ok (" in r.stdout
        located = re.search(re.escape(str(p)) + r":\d+:\d+: ", r.stderr) is not None
        assert ok or located, f"{p}: neither ok nor a located error\n{r.stderr[-2000:]}"


def test_mutated_configs_never_crash(tmp_path):
    sources = sorted((ROOT / "configs").glob("*.yaml"))
    assert sources, "configs/ has no YAML files"
    rng = random.Random(SEED)
    texts = [s.read_text() for s in sources]
    batch = []
    for n in range(CASES):
        k = n % len(texts)
        # Bundled data sets resolve through EXPRUN_DATA, so the copies may live anywhere.
        path = tmp_path / f"fuzz-{n % BATCH:04d}-{sources[k].stem}.yaml"
        path.write_text(mutate(texts[k], rng), errors="surrogatepass")
        batch.append(path)
        if len(batch) == BATCH:
            check_batch(batch)
            batch = []
    if batch:
        check_batch(batch)


def test_the_reported_bomb_is_a_located_error(tmp_path):
    path = tmp_path / "bomb.yaml"
    lines = ["name: bomb", "lol0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"lol{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * 10) + "]" for k in range(1, 9)]
    path.write_text("\n".join(lines) + "\n")
    r = validate([path], timeout=60)
    assert r.returncode == 2, r.stderr
    assert re.search(re.escape(str(path)) + r":7:1: YAML aliases under 'lol5' expand to more than", r.stderr), r.stderr
