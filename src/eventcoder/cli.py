"""The command line: each command parses its options, calls the public function, prints."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from .errors import ConfigError, EventcoderError

SOURCE_KINDS = ["news", "ngo", "official", "claim", "unknown"]


def _fail(exc: EventcoderError) -> None:
    click.echo(f"Error: {exc}", err=True)
    sys.exit(2)


@click.group()
@click.version_option(package_name="eventcoder")
def cli() -> None:
    """eventcoder: code reports of political violence into evidence-linked incident records."""


@cli.command()
@click.argument("paths", nargs=-1, type=str)
@click.option("--samples", is_flag=True, help="Code the sample reports bundled with eventcoder.")
@click.option("--published", metavar="YYYY-MM-DD", help="Publication date for documents that do not give one.")
@click.option("--source", metavar="NAME", help="Source name for documents that do not give one.")
@click.option("--source-kind", type=click.Choice(SOURCE_KINDS), default="unknown", show_default=True)
@click.option("--hijri-calendar", type=click.Choice(["tabular", "umm_al_qura"]), default="tabular", show_default=True,
              help="How to convert Hijri dates (tabular matched claimed attacks in our checks).")
@click.option("--month-first", is_flag=True, help="Read 07/02/89 as July 2 (default: day first).")
@click.option("--merge", type=click.Choice(["act", "acled"]), default="act", show_default=True,
              help="Unit of analysis: one record per act, or ACLED-style same-day same-place merging.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "table"]), default="jsonl", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write records here (default: standard output).")
@click.option("--db", default="eventcoder.db", show_default=True, help="Store: a SQLite file, or a postgresql://user@host/db URL (the postgres extra).")
@click.option("--codebook", "codebooks", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Your own codebook YAML; it replaces the packaged codebook of the same name (repeatable).")
@click.option("--places", "overlays", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A CSV of places of your own (the columns of the packaged overlay.csv, a source for each row); repeatable.")
@click.option("--model", "model_dir", type=click.Path(file_okay=False), help="A model from `eventcoder train muc4` (default: the shipped one).")
@click.option("--rules-only", is_flag=True, help="Code with the rules alone, without the learned stage.")
@click.option("--quiet", is_flag=True, help="No table or summary on the terminal.")
def extract(paths, samples, published, source, source_kind, hijri_calendar, month_first, merge, fmt, out, db, codebooks, overlays,
            model_dir, rules_only, quiet):
    """Code documents (PATH: .txt, .html, .jsonl, .csv, or - for standard input), store and write the records."""
    from .export import render_table, write_csv, write_jsonl
    from .ingest import IngestOptions, parse_published, read_paths
    from .pipeline import Pipeline, PipelineConfig, Summary
    from .records import SourceKind
    from .sample_reports import load_samples
    from .store import Store

    if not paths and not samples:
        raise click.UsageError("give at least one PATH (or - for standard input), or --samples")
    try:
        pipeline = Pipeline(PipelineConfig(merge=merge, codebooks=tuple(codebooks), overlays=tuple(overlays),
                                           learned=not rules_only, model_dir=model_dir))
        options = IngestOptions(
            published=parse_published(published) if published else None,
            source=source,
            source_kind=SourceKind(source_kind),
            hijri_calendar=hijri_calendar,
            day_first=not month_first,
        )
        store = Store(db)
    except EventcoderError as exc:
        _fail(exc)

    from .gazetteer import default_path

    if not quiet and not default_path(overlays).exists():
        click.echo("Building the offline gazetteer from the installed GeoNames data (once; about half a minute)...", err=True)
    items = list(load_samples()) if samples else []
    stream = read_paths(paths, options, stdin=sys.stdin.buffer) if paths else iter(())
    summary = Summary()
    incidents = []
    run_id = store.start_run(sys.argv)
    progress = _progress(quiet or not sys.stderr.isatty())
    with progress as bar:
        task = bar.add_task("coding", total=None) if bar else None
        for result in pipeline.pipe(_chain(items, stream)):
            summary.add(result)
            if result.rejected is not None:
                store.put_rejected(result.rejected)
            else:
                with store.transaction():
                    store.put_document(result.document)
                    store.put_incidents(result.document.doc_id, result.incidents, extractor=pipeline.name)
                incidents.extend(result.incidents)
            if bar:
                bar.update(task, advance=1, description=f"coding: {summary.incidents} incidents, {summary.rejected} rejected")
    store.finish_run(run_id, {"documents": summary.documents, "incidents": summary.incidents, "rejected": summary.rejected})
    rejected = list(store.rejected()) if summary.rejected else []
    store.close()

    with _open_out(out) as fh:
        if fmt == "jsonl":
            write_jsonl(incidents, fh)
        elif fmt == "csv":
            write_csv(incidents, fh)
        else:
            from rich.console import Console

            render_table(incidents, console=None if fh is sys.stdout else Console(file=fh, width=160), title="Incidents")
    if not quiet:
        if out and fmt != "table":
            render_table(incidents, title=f"{len(incidents)} incidents")
        reasons = ", ".join(f"{code} x{n}" for code, n in sorted(summary.reasons.items()))
        click.echo(
            f"Coded {summary.documents} documents: {summary.incidents} incidents, "
            f"{summary.rejected} rejected{f' ({reasons})' if reasons else ''}. Database: {db}."
            + (f" {fmt.upper()}: {out}." if out else ""),
            err=True,
        )
        for r in rejected[:20]:
            click.echo(f"  rejected {r.origin or r.doc_id}: [{r.code}] {r.detail}", err=True)
    sys.exit(1 if summary.rejected else 0)


def _chain(*iterables):
    for it in iterables:
        yield from it


def _progress(disabled: bool):
    if disabled:
        return contextlib.nullcontext(None)
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} docs"),
                    TimeElapsedColumn(), transient=True)


@contextlib.contextmanager
def _open_out(out: str | None):
    if not out:
        yield sys.stdout
        return
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="") as fh:
        yield fh


@cli.group()
def evaluate() -> None:
    """Score the extractor on a benchmark."""


def _muc4_slots(ctx, param, value: str | None) -> tuple[str, ...]:
    from .muc4.slots import SLOTS

    names = tuple(dict.fromkeys(n.strip() for n in (value or "").split(",") if n.strip()))
    unknown = [n for n in names if n not in SLOTS]
    if unknown:
        raise click.BadParameter(f"unknown slot(s) {', '.join(unknown)}; allowed: {', '.join(SLOTS)}")
    return names


@evaluate.command("muc4")
@click.option("--split", type=click.Choice(["dev", "train", "test"]), default="dev", show_default=True)
@click.option("--data-dir", type=click.Path(file_okay=False), help="Folder with gtt_<split>.json (default ../shared/data/muc4).")
@click.option("--predictions-out", type=click.Path(dir_okay=False), help="Write predicted templates as JSONL.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--limit", type=int, help="Score only the first N documents (for a quick look).")
@click.option("--slots", callback=_muc4_slots, metavar="date,location,effects",
              help="Also score these slots against the raw answer keys (comma-separated).")
@click.option("--model", "model_dir", type=click.Path(file_okay=False), help="A model from `eventcoder train muc4` (default: the shipped one).")
@click.option("--rules-only", is_flag=True, help="Score the rules alone, without the learned stage (the previous extractor).")
def evaluate_muc4(split, data_dir, predictions_out, fmt, limit, slots, model_dir, rules_only):
    """MUC-4: GTT template F1, CEAF-REE and CEAF-RME (phi-subset), per role, and docs/s."""
    from .muc4.evaluate import evaluate_muc4 as run, render_report
    from .pipeline import Pipeline, PipelineConfig

    try:
        pipeline = Pipeline(PipelineConfig(learned=not rules_only, model_dir=model_dir))
        report = run(split=split, data_dir=Path(data_dir) if data_dir else None,
                     predictions_out=Path(predictions_out) if predictions_out else None, limit=limit,
                     slots=slots, pipeline=pipeline)
    except EventcoderError as exc:
        _fail(exc)
    if fmt == "json":
        click.echo(json.dumps(report, indent=2))
    else:
        render_report(report)


@cli.group()
def train() -> None:
    """Train the learned stage of the extractor."""


@train.command("muc4")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Folder with the MUC-4 train split (default ../shared/data/muc4).")
@click.option("--out", type=click.Path(file_okay=False), default="model", show_default=True,
              help="Write the model here; use it with `extract --model DIR` or `evaluate muc4 --model DIR`.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the document order (the result is deterministic).")
@click.option("--limit", type=int, help="Train on the first N documents only (a smoke test, not a usable model).")
@click.option("--iterations", type=int, help="CRF training iterations (default: the shipped model's).")
def train_muc4_cmd(data_dir, out, seed, limit, iterations):
    """Train the role tagger and document classifiers on MUC-4 train (about 5 minutes on 2 cores)."""
    from .learn.train import train_muc4

    try:
        manifest = train_muc4(Path(data_dir) if data_dir else None, Path(out), seed=seed, limit=limit,
                              crf_iterations=iterations, progress=lambda msg: click.echo(msg, err=True))
    except EventcoderError as exc:
        _fail(exc)
    click.echo(f"Trained {manifest['model']} on {manifest['documents']} documents in {manifest['seconds']} s: {out}")


@evaluate.command("samples")
@click.option("--expected-dir", type=click.Path(file_okay=False), default="tests/data/expected", show_default=True,
              help="Hand-coded expected records, one YAML file per sample report.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--show-mismatches", is_flag=True, help="List every field that differs from the expected record.")
def evaluate_samples_cmd(expected_dir, fmt, show_mismatches):
    """Score the bundled sample reports against their hand-coded expected records."""
    from .scoring import evaluate_samples

    try:
        score = evaluate_samples(Path(expected_dir))
    except EventcoderError as exc:
        _fail(exc)
    report = score.as_dict()
    if fmt == "json":
        click.echo(json.dumps(report, indent=2))
    else:
        inc = report["incidents"]
        click.echo(f"incidents: {inc['matched']} matched of {inc['expected']} expected and {inc['predicted']} predicted: "
                   f"P {inc['p']} R {inc['r']} F1 {inc['f1']}")
        for name, acc in report["field_accuracy"].items():
            click.echo(f"  {name:<20} {acc:5.1f}% of matched incidents correct")
    if show_mismatches:
        for line in score.mismatches:
            click.echo(line)


@evaluate.command("links")
@click.option("--pairs", "pairs_files", type=click.Path(dir_okay=False), multiple=True,
              default=("tests/data/link_pairs.yaml", "tests/data/link_pairs_blind.yaml"), show_default=True,
              help="A labelled pair corpus (the shape of tests/data/link_pairs.yaml); repeatable.")
@click.option("--split", "splits", multiple=True, help="Score only this split of the corpus (repeatable; default: each split).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Your own linker config (the shape of data/link.yaml).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def evaluate_links_cmd(pairs_files, splits, config_file, fmt):
    """The linker's same-event decision on labelled pairs: precision, recall, F1, and every miss."""
    from .link import load_link_config, load_pair_corpus, score_pairs

    try:
        config = load_link_config(config_file)
        pairs = [pair for path in pairs_files for pair in load_pair_corpus(path)]
    except EventcoderError as exc:
        _fail(exc)
    known = list(dict.fromkeys(p.split for p in pairs))
    unknown = [name for name in splits if name not in known]
    if unknown:
        _fail(ConfigError(f"no pairs of split {', '.join(map(repr, unknown))} in {', '.join(pairs_files)}",
                          fix=f"use one of: {', '.join(known)}"))
    names = list(splits) or known
    reports = [score_pairs(pairs, config, split=name) for name in names]
    if fmt == "json":
        click.echo(json.dumps(reports, indent=2))
        return
    for r in reports:
        click.echo(f"{r['split']}: {r['pairs']} pairs ({r['positive']} same): P {r['precision']:.3f} R {r['recall']:.3f} "
                   f"F1 {r['f1']:.3f} (tp {r['tp']}, fp {r['fp']}, fn {r['fn']}, tn {r['tn']}; {r['linker']} {r['config_version']})")
        for m in r["misses"]:
            click.echo(f"  miss {m['id']}: labelled {'same' if m['same'] else 'different'}, score {m['score']}: "
                       f"{'; '.join(m['reasons'])} ({m['why']})")


@cli.group()
def codebook() -> None:
    """List and explain the codebooks (versioned YAML data)."""


@codebook.command("list")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), help="A codebook file of your own to validate and list.")
def codebook_list(path):
    """Every codebook with its version, and its codes."""
    from rich.console import Console
    from rich.markup import escape

    from .codebook import PACKAGED, load_codebook

    console = Console()
    try:
        books = [load_codebook(path)] if path else [load_codebook(n) for n in PACKAGED]
    except EventcoderError as exc:
        _fail(exc)
    for b in books:
        console.print(f"[bold]{escape(b.name)}[/bold] {escape(b.version)} ({len(b.entries)} codes): "
                      + escape(", ".join(b.codes)))


@codebook.command("explain")
@click.argument("code")
def codebook_explain(code):
    """Explain a code or an alias (e.g. vbied, istishhadi, suicide_bomb)."""
    from .codebook import explain

    hits = explain(code)
    if not hits:
        click.echo(f"No codebook entry or alias matches {code!r}. Try: eventcoder codebook list", err=True)
        sys.exit(1)
    for book, e in hits:
        click.echo(f"{book.ref}  {e.code}: {e.label}")
        if e.definition:
            click.echo(f"  {e.definition}")
        if e.aliases:
            click.echo(f"  aliases: {', '.join(e.aliases[:25])}{' ...' if len(e.aliases) > 25 else ''}")


def _register() -> None:
    from .export_cli import export
    from .gazetteer_cli import gazetteer
    from .batch_cli import batch
    from .link_cli import compare, link
    from .web_cli import serve

    for command in (gazetteer, link, compare, export, serve, batch):
        cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="eventcoder")


if __name__ == "__main__":  # pragma: no cover
    main()
