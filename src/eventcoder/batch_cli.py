"""`eventcoder batch`: parse the options, call :func:`eventcoder.batch.run_batch`, show progress
and a summary.

The lead registers the command in ``cli.py`` (``cli.add_command(batch)``).

Exit status: 0 when every input of this invocation was coded; 1 when any was rejected (as
``extract``; the rejected records are in the store and in ``--out``/rejected/); 2 for bad
options or a store that cannot be opened or written; 130 when interrupted (Ctrl-C). A resumed run reports, and sets its status
by, the chunks it coded itself; the summary says how many were done before.
"""

from __future__ import annotations

import sys

import click

from .errors import EventcoderError

SOURCE_KINDS = ["news", "ngo", "official", "claim", "unknown"]


def _fail(exc: EventcoderError) -> None:
    # as cli._fail: the message and its fix on stderr, exit status 2
    click.echo(f"Error: {exc}", err=True)
    sys.exit(2)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _Display:
    """A rich progress line on stderr (only when it is a terminal and not --quiet)."""

    def __init__(self, enabled: bool):
        self.bar = None
        self.task = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                                console=Console(stderr=True), transient=True)

    def __enter__(self) -> "_Display":
        if self.bar is not None:
            self.bar.__enter__()
            self.task = self.bar.add_task("coding: counting inputs for the ETA...", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def update(self, p) -> None:
        if self.bar is None:
            return
        done = p.inputs + p.skipped_inputs
        total = f"/{p.total_inputs:,}" if p.total_inputs is not None else ""
        eta = _duration(p.eta_seconds) if p.total_inputs is not None else "-- (counting inputs)"
        chunks = f"{p.chunks_done}/{p.chunks_total}" if p.chunks_total is not None else f"{p.chunks_done}"
        self.bar.update(
            self.task,
            completed=p.chunks_done,
            total=p.chunks_total,
            description=(f"{done:,}{total} docs, {p.docs_per_second:.1f} docs/s, {p.incidents:,} incidents, "
                         f"{p.rejected:,} rejected, chunks {chunks}, ETA {eta}"),
        )


@click.command("batch")
@click.argument("inputs", nargs=-1, required=True, type=str)
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes (or Dask workers).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: processes on this machine; dask: a Dask cluster (pip install 'eventcoder[dask]').")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="With --engine dask: an existing cluster's scheduler (default: a LocalCluster).")
@click.option("--db", default="eventcoder.db", show_default=True,
              help="Store: a SQLite file or a postgresql:// URL; --db '' (or --no-db) writes only --out.")
@click.option("--no-db", is_flag=True, help="No store: write Parquet parts to --out only.")
@click.option("--out", type=click.Path(file_okay=False),
              help="Also write Parquet parts here: documents/, incidents/, rejected/ (needs pyarrow).")
@click.option("--chunk-size", type=int, default=100, show_default=True,
              help="Inputs per chunk: the unit of work, of commit and of what a resume redoes.")
@click.option("--rules-only", is_flag=True, help="Code with the rules alone, without the learned stage.")
@click.option("--model", "model_dir", type=click.Path(file_okay=False),
              help="A model from `eventcoder train muc4` (default: the shipped one).")
@click.option("--merge", type=click.Choice(["act", "acled"]), default="act", show_default=True,
              help="Unit of analysis: one record per act, or ACLED-style same-day same-place merging.")
@click.option("--published", metavar="YYYY-MM-DD", help="Publication date for documents that do not give one.")
@click.option("--source", metavar="NAME", help="Source name for documents that do not give one.")
@click.option("--source-kind", type=click.Choice(SOURCE_KINDS), default="unknown", show_default=True)
@click.option("--hijri-calendar", type=click.Choice(["tabular", "umm_al_qura"]), default="tabular", show_default=True)
@click.option("--month-first", is_flag=True, help="Read 07/02/89 as July 2 (default: day first).")
@click.option("--quiet", is_flag=True, help="No progress display and no summary.")
def batch(inputs, workers, engine, scheduler, db, no_db, out, chunk_size, rules_only, model_dir, merge, published,
          source, source_kind, hijri_calendar, month_first, quiet):
    """Code large inputs (files or folders of .txt, .html, .jsonl, .csv, gzipped too) in parallel,
    into the store and/or Parquet parts. Killed, it resumes when rerun with the same arguments.
    Exits 1 when any input was rejected (the records say why), 2 on bad options."""
    from .batch import BatchConfig, run_batch
    from .ingest import IngestOptions, parse_published
    from .pipeline import PipelineConfig
    from .records import SourceKind

    try:
        config = BatchConfig(
            inputs=tuple(inputs),
            pipeline=PipelineConfig(merge=merge, learned=not rules_only, model_dir=model_dir),
            ingest=IngestOptions(published=parse_published(published) if published else None, source=source,
                                 source_kind=SourceKind(source_kind), hijri_calendar=hijri_calendar,
                                 day_first=not month_first),
            workers=workers, engine=engine, scheduler=scheduler,
            db=None if no_db else db, out=out, chunk_size=chunk_size,
        )
        with _Display(not quiet and sys.stderr.isatty()) as display:
            summary = run_batch(config, progress=display.update if display.bar is not None else None)
    except EventcoderError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        click.echo("Interrupted. Every chunk written so far is kept: run the same command again to resume.",
                   err=True)
        sys.exit(130)
    if not quiet:
        reasons = ", ".join(f"{code} x{n}" for code, n in sorted(summary.reasons.items()))
        resumed = (f" Resumed: {summary.skipped_chunks} chunk{'s were' if summary.skipped_chunks != 1 else ' was'}"
                   " already done." if summary.skipped_chunks else "")
        where = ", ".join(w for w in (f"database: {config.db}" if config.db else "",
                                      f"Parquet: {config.out}" if config.out else "") if w)
        click.echo(
            f"Coded {summary.documents:,} documents in {summary.seconds:.0f} s "
            f"({summary.docs_per_second:.1f} docs/s, {summary.workers} worker{'s' if summary.workers != 1 else ''}, "
            f"{summary.engine}): {summary.incidents:,} incidents, {summary.rejected:,} rejected"
            f"{f' ({reasons})' if reasons else ''}.{resumed} {where[0].upper() + where[1:]}.",
            err=True,
        )
    sys.exit(1 if summary.rejected else 0)
