"""exprun summary, plot, target and report against a real sweep: statistics against numpy and
pandas, the tuned comparison against a pandas groupby, SVGs parse as XML, PNGs are not blank
(decoded here with zlib), and the HTML report renders in headless Chromium without errors."""
import io
import json
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib

import h5py
import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, run_exprun

CONFIG = ROOT / "tests" / "configs" / "small_sgd.yaml"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "small"
    # lr 1.0 on top of the config's grid makes some runs diverge (a realistic sweep).
    run_exprun(CONFIG, "--out", out, "--quiet", "--set", "optimizer.lr=[0.01, 0.1, 1.0]")
    return out / "results.h5"


def final_values(path, metric, view="last"):
    """index joined with each run's final value (NaN for diverged runs), from h5py alone."""
    with h5py.File(path, "r") as f:
        index = pd.DataFrame(f["index"][()])
        index = index.apply(lambda c: c.str.decode("utf-8") if c.dtype == object else c)
        vals = []
        for rid, status in zip(index.run_id, index.status):
            g = f["runs"][rid]
            s = g[metric][()] if view == "last" else g[view][metric][()]
            vals.append(s[-1] if status not in ("diverged", "failed") else np.nan)
    index["final"] = vals
    return index


def decode_png(path):
    """(width, height, pixels as uint8 array [h, w, channels]) of an 8-bit PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", chunk[:10])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert depth == 8
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = w * bpp
    out = np.zeros((h, stride), dtype=np.int32)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(h):
        ftype = raw[y * (stride + 1)]
        line = np.frombuffer(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)], dtype=np.uint8).astype(np.int32)
        cur = np.zeros(stride, dtype=np.int32)
        for x in range(stride):
            a = cur[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 0:
                p = 0
            elif ftype == 1:
                p = a
            elif ftype == 2:
                p = b
            elif ftype == 3:
                p = (a + b) // 2
            else:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[x] = (line[x] + p) & 0xFF
        out[y] = cur
        prev = cur
    return w, h, out.reshape(h, w, bpp).astype(np.uint8)


def assert_not_blank(png):
    w, h, px = decode_png(png)
    assert w > 200 and h > 150
    rgb = px[..., :3].astype(float)
    # A blank (one-colour) image has no variance; a plot has white space plus ink of several colours.
    assert rgb.std() > 10, rgb.std()
    colours = {tuple(c) for c in px[::4, ::4, :3].reshape(-1, 3)}
    assert len(colours) > 20
    dark = (rgb.sum(axis=2) < 200).mean()
    assert 0.001 < dark < 0.5  # text and axes are drawn, the page is not all black


def test_summary_matches_numpy(results):
    proc = run_exprun("summary", results, "--metric", "suboptimality", "--format", "csv", "--view", "last,avg")
    table = pd.read_csv(io.StringIO(proc.stdout))
    for view in ["last", "avg"]:
        frame = final_values(results, "suboptimality", view)
        cells = frame.groupby(["model", "optimizer.schedule", "optimizer.lr"], sort=False)
        for key, g in cells:
            row = table[(table.model == key[0]) & (table["optimizer.schedule"] == key[1])
                        & np.isclose(table["optimizer.lr"], key[2]) & (table.view == view)]
            assert len(row) == 1, key
            row = row.iloc[0]
            v = g["final"].dropna().to_numpy()
            assert row.n == len(v) and row.diverged == g["final"].isna().sum()
            if len(v):
                assert np.isclose(row["mean"], v.mean(), rtol=1e-12)
                assert np.isclose(row["median"], np.median(v), rtol=1e-12)
                assert np.isclose(row["min"], v.min()) and np.isclose(row["max"], v.max())
            if len(v) > 1:
                assert np.isclose(row["std"], v.std(ddof=1), rtol=1e-10)


def test_summary_formats_sort_and_groups(results):
    text = run_exprun("summary", results).stdout  # the config names no summary metric: train_loss
    assert text.splitlines()[0].startswith("train_loss (final value")
    md = run_exprun("summary", results, "--format", "markdown", "--by", "model").stdout
    assert "**model = ridge**" in md and "| optimizer.schedule |" in md
    js = json.loads(run_exprun("summary", results, "--format", "json", "--view", "last", "--sort", "mean").stdout)
    means = [r["mean"] for r in js["rows"] if r["mean"] is not None]
    assert means == sorted(means)
    bad = run_exprun("summary", results, "--by", "optimizer.lrr", check=False)
    assert bad.returncode == 2 and "did you mean" in bad.stderr


def test_best_over_matches_pandas(results):
    out = json.loads(run_exprun("summary", results, "--metric", "suboptimality", "--best-over", "optimizer.lr", "--view", "last",
                                "--format", "json").stdout)
    frame = final_values(results, "suboptimality")
    # A cell with any diverged seed scores +inf (cannot win).
    score = frame.groupby(["model", "optimizer.schedule", "optimizer.lr"]).final.apply(
        lambda v: np.inf if v.isna().any() else v.mean()).reset_index()
    lrs = sorted(frame["optimizer.lr"].unique())
    for row in out["rows"]:
        g = score[(score.model == row["model"]) & (score["optimizer.schedule"] == row["optimizer.schedule"])]
        best = g.loc[g.final.idxmin()]
        assert np.isclose(float(row["best"]["optimizer.lr"]), best["optimizer.lr"])
        assert np.isclose(row["score"], best.final, rtol=1e-12)
        on_edge = best["optimizer.lr"] in (lrs[0], lrs[-1])
        assert (row["edge"] == ["optimizer.lr"]) == on_edge
        assert row["excluded_diverged"] == int(np.isinf(g.final).sum())


def test_plots_are_valid_svg_and_real_png(results, tmp_path):
    out = tmp_path / "plots"
    files = run_exprun("plot", results, "--out", out, "--metric", "suboptimality").stdout.split()
    assert [p.rsplit("/", 1)[1] for p in files] == ["suboptimality.svg", "suboptimality.png"]
    run_exprun("plot", results, "--out", out, "--metric", "train_loss", "--x", "grad_evals", "--band", "iqr",
               "--view", "last,avg", "--best-over", "optimizer.lr")
    run_exprun("plot", results, "--out", out, "--metric", "suboptimality", "--x", "wall", "--band", "minmax", "--facet", "none", "--no-png")
    for svg in out.glob("*.svg"):
        root = ET.parse(svg).getroot()
        assert root.tag.endswith("svg")
        assert len(root.findall(".//{http://www.w3.org/2000/svg}polyline")) > 0
    for png in out.glob("*.png"):
        assert_not_blank(png)
    assert (out / "train_loss_grad_evals.png").exists() and (out / "suboptimality_wall.svg").exists()


def test_time_to_target_and_profile(results, tmp_path):
    proc = run_exprun("target", results, "--metric", "suboptimality", "--value", "0.01", "--view", "last", "--format", "json", "--out", tmp_path)
    rows = json.loads(proc.stdout)["rows"]
    with h5py.File(results, "r") as f:
        for r in rows[:6]:
            # Recompute the first step reaching the target for one cell's runs.
            ids = [rid for rid in f["runs"] if f["runs"][rid].attrs["model"] == r["model"]
                   and f["runs"][rid].attrs["optimizer.schedule"] == r["optimizer.schedule"]
                   and np.isclose(f["runs"][rid].attrs["optimizer.lr"], float(r["optimizer.lr"]))]
            firsts = []
            for rid in sorted(ids, key=lambda i: f["runs"][i].attrs["seed"]):
                y, s = f["runs"][rid]["suboptimality"][()], f["runs"][rid]["step"][()]
                hit = np.nonzero(y <= 0.01)[0]
                firsts.append(int(s[hit[0]]) if len(hit) else None)
            assert r["steps"] == firsts
    svg = tmp_path / "profile_suboptimality.svg"
    ET.parse(svg)
    assert_not_blank(tmp_path / "profile_suboptimality.png")


def test_report_renders_in_chromium(results, tmp_path):
    html = tmp_path / "report.html"
    run_exprun("report", results, "--metric", "suboptimality", "--out", html, "--target", "0.01")
    text = html.read_text()
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert text.count("<svg") >= 3 and "Tuned comparison" in text and "Time to target" in text
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is missing: make test installs it (Debian package chromium)"
    shot = tmp_path / "shot.png"
    proc = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                           f"--screenshot={shot}", "--window-size=1200,2000", f"file://{html}"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    js_errors = [l for l in proc.stderr.splitlines() if "Uncaught" in l or ":CONSOLE(" in l]
    assert not js_errors, js_errors
    assert shot.exists()
    assert_not_blank(shot)


def test_one_seed_has_no_band_nor_band_title(tmp_path):
    out = tmp_path / "one"
    run_exprun(ROOT / "tests" / "configs" / "small_sgd.yaml", "--out", out, "--quiet", "--set", "seeds=1")
    run_exprun("plot", out / "results.h5", "--out", out / "plots", "--metric", "suboptimality", "--no-png")
    svg = (out / "plots" / "suboptimality.svg").read_text()
    assert "seed mean" in svg and "band:" not in svg and "<polygon" not in svg


def test_pdf_output_and_font_size(results, tmp_path):
    out = tmp_path / "pdf"
    files = run_exprun("plot", results, "--out", out, "--metric", "suboptimality", "--pdf", "--no-png",
                       "--font-size", "20").stdout.split()
    assert [p.rsplit("/", 1)[1] for p in files] == ["suboptimality.svg", "suboptimality.pdf"]
    assert (out / "suboptimality.pdf").read_bytes()[:5] == b"%PDF-"
    svg = (out / "suboptimality.svg").read_text()
    assert 'font-size="20"' in svg
    bad = run_exprun("plot", results, "--out", out, "--font-size", "200", check=False)
    assert bad.returncode == 2 and "--font-size 200.0: between 4 and 72" in bad.stderr


def test_profile_of_tuned_methods(results, tmp_path):
    run_exprun("target", results, "--metric", "suboptimality", "--value", "0.01", "--view", "last", "--out", tmp_path / "all")
    every = (tmp_path / "all" / "profile_suboptimality.svg").read_text()
    assert ">isqrt / 0.01<" in every                       # one line per schedule and step size
    run_exprun("target", results, "--metric", "suboptimality", "--value", "0.01", "--view", "last",
               "--best-over", "optimizer.lr", "--out", tmp_path / "tuned")
    tuned = (tmp_path / "tuned" / "profile_suboptimality.svg").read_text()
    assert ">isqrt<" in tuned and ">const<" in tuned and " / 0.01<" not in tuned


def test_profile_takes_the_figure_options(results, tmp_path):
    # target's profile is a figure like plot's: renamed values and legend, size, font, PDF.
    out = tmp_path / "named"
    run_exprun("target", results, "--metric", "suboptimality", "--value", "0.01", "--view", "last",
               "--best-over", "optimizer.lr", "--out", out, "--no-png", "--pdf", "--size", "6x4in",
               "--font-size", "18", "--label", "optimizer.schedule:isqrt=1/√t", "--label", "method=schedule")
    svg = (out / "profile_suboptimality.svg").read_text()
    assert ">1/√t<" in svg and ">isqrt<" not in svg and ">const<" in svg and ">schedule<" in svg
    assert 'width="6in" height="4in" viewBox="0 0 576 384"' in svg and 'font-size="18"' in svg
    assert (out / "profile_suboptimality.pdf").read_bytes()[:5] == b"%PDF-"
    # Mistakes exit 2 before anything is printed or written.
    for args, message in [(["--label", "optimizer.schedule:nope=x"], "takes no value 'nope'"),
                          (["--label", "optimizer.lr=eta"], "nothing called 'optimizer.lr'"),
                          (["--size", "6x4ft"], "--size 6x4ft: write WxH")]:
        bad = run_exprun("target", results, "--metric", "suboptimality", "--value", "0.01", "--view", "last",
                         "--best-over", "optimizer.lr", "--out", tmp_path / "bad", *args, check=False)
        assert bad.returncode == 2 and message in bad.stderr and bad.stdout == "", (args, bad.stderr)
        assert not (tmp_path / "bad").exists()
