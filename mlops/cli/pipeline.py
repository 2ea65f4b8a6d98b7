"""`mlops init`, `mlops compile`, `mlops import-dvc`, `mlops run`."""

from __future__ import annotations

import click

from mlops.cli.output import findings_once, plural
from mlops.errors import CheckFailed


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option(
    "--template",
    "-t",
    default="default",
    show_default=True,
    help="Which example to start from: default (churn model) or minimal (one stage).",
)
@click.option(
    "--force", is_flag=True, help="Add the example to a non-empty folder (existing files are kept)."
)
@click.option(
    "--install-spec",
    metavar="REQUIREMENT",
    envvar="MLOPS_INSTALL_SPEC",
    show_envvar=True,
    help="What the generated CI workflows `pip install` to get mlops, e.g. "
    "'git-mlops @ git+https://github.com/ORG/mlops@v0.1.0'.  [default: where this mlops was "
    "installed from when pip recorded a URL, else git-mlops==THIS-VERSION]",
)
def init(directory: str, template: str, force: bool, install_spec: str | None) -> None:
    """Create an mlops project: Git and DVC repositories, an example pipeline that runs offline, data
    rules, promotion policy, registry, pre-commit hooks and CI workflows.

    DIRECTORY (default: the current folder) must be empty unless --force; no existing file is ever
    overwritten. The CI workflows install this mlops: the requirement is written into them (and the
    README) now, and printed; change it with --install-spec or MLOPS_INSTALL_SPEC.

    \b
    Examples:
      mlops init demo && cd demo && mlops run
      mlops init --template minimal my-project
      mlops init . --force
      mlops init demo --install-spec 'git-mlops @ git+https://github.com/ORG/mlops@v0.1.0'
    """
    from mlops import api

    result = api.init_project(directory, template, force=force, install_spec=install_spec)
    if result.git_initialised:
        click.echo("initialised a Git repository")
    if result.dvc_initialised:
        click.echo("initialised DVC")
    click.echo(
        f"created {plural(len(result.created), 'file')} from the `{template}` template"
        + (
            f"; kept {plural(len(result.skipped), 'existing file')}: {', '.join(result.skipped)}"
            if result.skipped
            else ""
        )
    )
    for command in result.setup:
        click.echo(f"ran: {command}")
    if result.stages:
        click.echo(f"compiled dvc.yaml: {plural(len(result.stages), 'stage')}")
    click.echo(f'CI installs mlops with: pip install "{result.install}"')
    if result.install_origin == "version":
        click.echo(
            "  (this version from the package index; if your CI's index does not have it, run init with "
            "--install-spec, or edit the `pip install` lines in .github/workflows/)"
        )
    click.echo("\nnext:")
    if directory not in (".", ""):
        click.echo(f"  cd {directory}")
    click.echo("  mlops run\n  git add -A && git commit -m 'Start from mlops init'")


@click.command()
@click.option("--check", is_flag=True, help="Write nothing; exit 1 with a diff when dvc.yaml is stale.")
@click.option("--force", is_flag=True, help="Replace a dvc.yaml that mlops did not write.")
def compile_(check: bool, force: bool) -> None:
    """Compile every pipeline file (pipelines/*.yaml) into the root dvc.yaml.

    The output is deterministic: the same files give the same bytes. foreach and matrix stages are
    expanded into flat, readable stages (train-small, train-large); validate: and profile: stages become
    `mlops validate` and `mlops profile` commands. Problems (cycles, missing producers, duplicate
    outputs, undefined ${...}) are reported with their file, line and column, and nothing is written.

    \b
    Examples:
      mlops compile
      mlops compile --check          # in CI or as the pre-commit hook mlops-compile-check
      mlops compile --force          # adopt a hand-written dvc.yaml (after `mlops import-dvc`)
    """
    from mlops import api

    with findings_once():
        result = api.compile_pipelines(check=check, force=force)
    for warning in result.warnings:
        click.echo(warning.render(), err=True)
    sources = ", ".join(result.sources)
    if check:
        if result.changed:
            click.echo(result.diff, nl=False)
            raise CheckFailed(f"{result.path} is stale against {sources}; run `mlops compile`")
        click.echo(f"{result.path} is up to date ({plural(len(result.stages), 'stage')})")
        return
    verb = "wrote" if result.written else "unchanged:"
    click.echo(f"{verb} {result.path}: {plural(len(result.stages), 'stage')} from {sources}")


@click.command()
@click.argument("path", default="dvc.yaml", type=click.Path(dir_okay=False))
@click.option("--output", "-o", default=None, help="Pipeline file to write. Default: pipelines/main.yaml.")
@click.option("--force", is_flag=True, help="Overwrite the output file when it exists.")
def import_dvc(path: str, output: str | None, force: bool) -> None:
    """Turn an existing dvc.yaml (with its vars, foreach and matrix) into a Pipeline file.

    Then `mlops compile --force` replaces the hand-written dvc.yaml with the generated one: the same
    stages, commands, deps and outs, and DVC's own foreach/matrix names (train@small), so dvc.lock
    entries stay valid and nothing re-runs.

    \b
    Examples:
      mlops import-dvc
      mlops import-dvc dvc.yaml -o pipelines/train.yaml
      mlops import-dvc && mlops compile --force && dvc status
    """
    from mlops import api

    result = api.import_dvc(path, output, force=force)
    click.echo(f"wrote {result.output}: {plural(len(result.stages), 'stage')} from {result.source}")
    for item in result.skipped:
        click.echo(f"warning: not imported: {item}", err=True)
    click.echo("next: mlops compile --force")


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED, metavar="[STAGE]... [-- DVC-REPRO-ARGS]...")
def run(args: tuple[str, ...]) -> None:
    """Compile dvc.yaml when it is stale, then run `dvc repro` (all stages, or the STAGES given).

    DVC's output streams through and its exit status is passed on. When a validate: stage fails, the
    failed rules are summarised at the end and the exit status is 1. Options after the stage names (write
    `--` first to be explicit) go to `dvc repro` unchanged. A foreach or matrix stage name selects all
    its expanded stages.

    \b
    Examples:
      mlops run
      mlops run train evaluate
      mlops run -- --force --keep-going
    """
    from mlops import api

    items = list(args)
    # click drops `--`; stage names come first, and everything from the first option on goes to dvc
    cut = next((i for i, a in enumerate(items) if a.startswith("-")), len(items))
    stages, dvc_args = items[:cut], items[cut:]
    with findings_once():
        result = api.run_pipeline(stages, dvc_args)
    if result.failed_validations:
        click.echo("", err=True)
        for failed in result.failed_validations:
            click.echo(
                f"mlops: data validation failed in stage `{failed.stage}` (report: {failed.report})", err=True
            )
            for line in failed.failures:
                click.echo(f"  - {line}", err=True)
    raise SystemExit(result.returncode)
