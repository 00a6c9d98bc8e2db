"""benchmarks/run_all.py: every committed result has a producer, the CLI runs, stamps are written and read back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
sys.path.insert(0, str(REPO / "benchmarks"))

import provenance  # noqa: E402
import run_all  # noqa: E402

#: entries whose results are not committed yet (written by a run on an idle machine / by a script in progress)
PENDING = {"demo", "tune_t2k"}


def _committed() -> list[str]:
    """Result files, relative to benchmarks/results (git's list where there is one, else the folder)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "ls-files", "benchmarks/results"], capture_output=True, text=True, check=True
        ).stdout.split()
        files = [Path(f).relative_to("benchmarks/results").as_posix() for f in out if (REPO / f).exists()]
    except (OSError, subprocess.CalledProcessError):
        files = []
    return files or sorted(p.relative_to(RESULTS).as_posix() for p in RESULTS.rglob("*") if p.is_file())


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run_all.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=REPO,
    )


def test_every_committed_result_has_exactly_one_producer() -> None:
    files = _committed()
    assert files, "no result files found"
    orphans = [f for f in files if not run_all.covering(f)]
    assert not orphans, f"committed results no registry entry writes (add one to benchmarks/run_all.py): {orphans}"
    shared = {f: [e.name for e in run_all.covering(f)] for f in files if len(run_all.covering(f)) > 1}
    assert not shared, f"results claimed by several entries: {shared}"


def test_every_registry_entry_has_a_committed_result_or_is_pending() -> None:
    files = _committed()
    for e in run_all.REGISTRY:
        mine = [f for f in files if e in run_all.covering(f)]
        if e.name in PENDING and not mine:
            continue  # e.g. tune_t2k before its script lands, demo before a run on an idle machine
        assert mine, f"registry entry {e.name} writes {e.writes}, none of them is committed (a typo?)"


def test_registry_is_well_formed() -> None:
    names = [e.name for e in run_all.REGISTRY]
    assert len(names) == len(set(names))
    provided = {p for e in run_all.REGISTRY for p in e.provides}
    for e in run_all.REGISTRY:
        assert e.argv and e.writes and e.gpu in ("no", "optional", "required")
        assert all(a in run_all.BY_NAME for a in e.after)
        assert all(n in provided or n in run_all.UPSTREAM for n in e.needs), e.name
        if e.script and e.name not in PENDING:
            assert (REPO / e.script).exists(), e.script
    assert [e.name for e in run_all.ordered(list(run_all.REGISTRY))].index("paper_plots") > [
        e.name for e in run_all.ordered(list(run_all.REGISTRY))
    ].index("paper_reproduction")


def test_list_prints_the_registry() -> None:
    proc = _cli("--list")
    assert proc.returncode == 0, proc.stderr[-2000:]
    for e in run_all.REGISTRY:
        assert f"| {e.name} |" in proc.stdout
    assert "python benchmarks/simulate.py --out benchmarks/results/simulate.json" in proc.stdout
    assert "runs/paper/base" in proc.stdout


def test_dry_run_plans_without_running(tmp_path: Path) -> None:
    proc = _cli("--dry-run", "--quick", "--nuwro-dir", str(tmp_path / "none"), "--results-dir", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "] simulate (~1 min): python benchmarks/simulate.py --out " in out
    assert "skip simulator_vs_nuwro: needs the NuWro samples" in out
    assert "skip study_simulated: cost 40 min > --max-cost 5 min" in out
    assert "skip tune_t2k:" in out and not (tmp_path / "r").exists()
    bad = _cli("--only", "no-such-entry", "--dry-run")
    assert bad.returncode != 0 and "unknown entry no-such-entry" in bad.stderr


def _check(prov: dict, command: str) -> None:
    assert prov["command"] == command
    assert prov["commit"] and (prov["commit"] == "unknown" or len(prov["commit"].split("-")[0]) == 40)


def test_stamps_read_back_from_json_markdown_and_png(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    js, md, png = tmp_path / "r.json", tmp_path / "r.md", tmp_path / "r.png"
    js.write_text(json.dumps({"rows": [1, 2], "x": 0.5}))
    md.write_text("# table\n\n| a |\n|---|\n| 1 |\n")
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, 1])
    fig.savefig(png, dpi=50)
    plt.close(fig)
    pixels = np.asarray(Image.open(png).convert("RGBA"))
    prov = provenance.provenance("python benchmarks/x.py --flag 1")
    for f in (js, md, png):
        provenance.stamp(f, prov=prov)
        provenance.stamp(f, prov=prov)  # idempotent: one stamp, not two
    j = provenance.read_provenance(js)
    assert j is not None and set(j) == {"commit", "command", "date", "machine"}
    _check(j, "python benchmarks/x.py --flag 1")
    assert j["date"].endswith("+00:00") and {"platform", "cpus", "torch", "device"} <= set(j["machine"])
    data = json.loads(js.read_text())
    assert list(data)[0] == "provenance" and data["rows"] == [1, 2] and data["x"] == 0.5
    m = provenance.read_provenance(md)
    assert m is not None
    _check(m, "python benchmarks/x.py --flag 1")
    text = md.read_text()
    assert text.startswith("# table\n") and text.count("<!-- generated by:") == 1
    assert text.endswith(f"<!-- generated by: python benchmarks/x.py --flag 1 at {prov['commit']} -->\n")
    p = provenance.read_provenance(png)
    assert p is not None
    _check(p, "python benchmarks/x.py --flag 1")
    assert p["date"] == prov["date"] and p["machine"] == prov["machine"]
    im = Image.open(png)
    assert im.text.get("Software", "").startswith("Matplotlib")  # matplotlib's own chunk kept
    assert np.array_equal(np.asarray(im.convert("RGBA")), pixels)
    unstamped = tmp_path / "u.json"
    unstamped.write_text("{}")
    assert provenance.read_provenance(unstamped) is None
    with pytest.raises(ValueError, match="cannot stamp"):
        provenance.stamp(tmp_path / "r.txt", prov=prov)


def test_write_json_equals_writing_then_stamping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(provenance.ENV_COMMIT, "abc123")
    data = {"rows": [1, 2], "x": 0.5, "nested": {"a": [0.1, None]}}
    out = provenance.write_json(tmp_path / "sub" / "w.json", data, command="python benchmarks/x.py")
    ref = tmp_path / "ref.json"
    ref.write_text(json.dumps(data, indent=1))
    prov = provenance.read_provenance(out)
    assert prov is not None and prov["commit"] == "abc123" and prov["command"] == "python benchmarks/x.py"
    provenance.stamp(ref, prov=prov)
    assert out.read_bytes() == ref.read_bytes()


def test_commit_override_and_script_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(provenance.ENV_COMMIT, "abc123-dirty")
    assert provenance.current_commit() == "abc123-dirty"
    cmd = provenance.script_command([str(REPO / "benchmarks" / "simulate.py"), "--out", "a b.json"])
    assert cmd == "python benchmarks/simulate.py --out 'a b.json'"
    shared = str(REPO.parent / "shared" / "data")
    cmd = provenance.script_command([str(REPO / "benchmarks" / "x.py"), "--nuwro-dir", shared, f"--out={REPO}/r.json"])
    assert cmd == "python benchmarks/x.py --nuwro-dir ../shared/data --out=r.json"


def test_run_all_runs_an_entry_and_stamps_what_it_wrote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = (
        "import json, pathlib, sys; r = pathlib.Path(sys.argv[1]); r.mkdir(parents=True, exist_ok=True); "
        "(r / 'toy.json').write_text(json.dumps({'v': 1})); (r / 'toy.md').write_text('# toy\\n')"
    )
    toy = run_all.Entry("toy", ("python", "-c", code, "{results}"), ("toy.json", "toy.md"), 0.1)
    broken = run_all.Entry("broken", ("python", "-c", "pass", "{results}"), ("never.json",), 0.1)
    monkeypatch.setattr(run_all, "REGISTRY", (toy, broken))
    monkeypatch.setattr(run_all, "BY_NAME", {"toy": toy, "broken": broken})
    monkeypatch.setenv(provenance.ENV_COMMIT, "f" * 40)
    rc = run_all.main(["--results-dir", str(tmp_path), "--nuwro-dir", str(tmp_path / "none")])
    assert rc == 1  # "broken" wrote nothing it promised
    j = provenance.read_provenance(tmp_path / "toy.json")
    assert j is not None and j["commit"] == "f" * 40 and j["command"].startswith("python -c ")
    assert j["command"].endswith(run_all.rel(tmp_path))
    m = provenance.read_provenance(tmp_path / "toy.md")
    assert m is not None and m["commit"] == "f" * 40
    assert json.loads((tmp_path / "toy.json").read_text())["v"] == 1
    monkeypatch.setattr(run_all, "REGISTRY", (toy,))
    assert run_all.main(["--only", "toy", "--results-dir", str(tmp_path)]) == 0


def test_simulator_vs_nuwro_reads_the_cross_sections_from_the_sidecars(tmp_path: Path) -> None:
    import simulator_vs_nuwro as svn

    side = {
        "beam_pdg": 14,
        "target_Z": 6,
        "target_A": 12,
        "beam_energy_param_MeV": "300 10000",
        "cross_section_total_cm2_per_nucleon": 3.4586e-38,
    }
    (tmp_path / "numu_C12_base.json").write_text(json.dumps(side))
    assert svn.nuwro_flat_sigma(tmp_path, "numu", "C12") == (3.4586e-38, "numu_C12_base.json")
    (tmp_path / "numu_Ar40.json").write_text(json.dumps(side))  # a carbon sidecar under the argon name
    with pytest.raises(SystemExit, match="expected"):
        svn.nuwro_flat_sigma(tmp_path, "numu", "Ar40")
    with pytest.raises(SystemExit, match="not found"):
        svn.nuwro_flat_sigma(tmp_path, "numubar", "C12")
