"""``nugan convert IN OUT``: any supported event file -> Parquet, NuHepMC or CSV (by extension)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer

from nugan.commands.common import console, err_console, user_errors

__all__ = ["register", "convert", "OUTPUT_FORMATS", "output_format"]

#: Output extension -> format written.
OUTPUT_FORMATS: dict[str, str] = {
    ".parquet": "parquet",
    ".hepmc3": "nuhepmc",
    ".hepmc": "nuhepmc",
    ".csv": "csv",
}


def output_format(path: Path) -> str:
    """Format to write for ``path`` from its extension."""
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"{path}: cannot tell the output format from the extension "
            f"{path.suffix!r}; use one of {', '.join(OUTPUT_FORMATS)}"
        )
    return fmt


@user_errors
def convert(
    src: Annotated[Path, typer.Argument(help="Input event file (any supported format).")],
    dst: Annotated[Path, typer.Argument(help="Output: .parquet, .hepmc3/.hepmc (NuHepMC), .csv.")],
    fmt_in: Annotated[str | None, typer.Option("--format-in", help="Force the input format.")] = None,
    probe: Annotated[str | None, typer.Option(help="Keep only this beam: numu or numubar.")] = None,
    target: Annotated[str | None, typer.Option(help="Keep only this nucleus: C12, Ar40, ...")] = None,
    lenient: Annotated[bool, typer.Option(help="Drop unphysical rows (counted) instead of failing.")] = False,
    xsec: Annotated[
        float | None,
        typer.Option(
            help="Flux-averaged cross section per nucleon, in cm^2, for NuHepMC output when the "
            "input does not record it."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the NuHepMC muon azimuth.")] = 0,
    chunk: Annotated[int, typer.Option(min=1, help="Events per NuHepMC write chunk.")] = 100_000,
) -> None:
    """Convert an event file, keeping CC nu_mu events; prints counts read, written, dropped."""
    from nugan.events.readers import load_events
    from nugan.events.validation import validate

    out_fmt = output_format(dst)
    if dst.resolve() == src.resolve():
        raise ValueError(f"{dst}: output would overwrite the input")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = load_events(src, fmt_in, probe=probe, target=target)
    for note in caught:
        err_console.print(f"warning: {note.message}", highlight=False)
    console.print(f"read {res.n_records} events from {src} ({res.fmt})", highlight=False)
    if res.skipped:
        console.print(f"skipped {res.n_skipped}: {res.skipped_summary()}", highlight=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the counts are printed below
        report = validate(res.table, strict=not lenient, source=str(src))
    if report.n_bad:
        console.print(f"dropped {report.n_bad} invalid: {report.summary()}", highlight=False)
    t = report.table
    if out_fmt == "parquet":
        from nugan.events.parquet_io import write_parquet

        write_parquet(t, dst)
    elif out_fmt == "nuhepmc":
        from nugan.events.nuhepmc import NuHepMCWriter

        with NuHepMCWriter(dst, t.meta, xsec_cm2=xsec, seed=seed) as w:
            for start in range(0, len(t), chunk):
                w.write(t[start : start + chunk])
    else:
        from nugan.events.csv_io import write_csv

        write_csv(t, dst)
    console.print(f"wrote {len(t)} events ({t.meta.probe}-{t.meta.target}) to {dst} ({out_fmt})", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``convert`` to the app."""
    app.command("convert")(convert)
