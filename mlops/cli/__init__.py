"""The `mlops` command line: a thin layer that parses, calls mlops.api, renders and picks the exit code.

Commands are imported only when run, so `mlops --help` and `mlops lint` (a pre-commit hook, run on every
commit) never pay for importing dvc, pandas or GitPython.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any

import click

from mlops import __version__
from mlops.errors import EXIT_CANNOT_PROCEED, EXIT_INTERNAL, EXIT_INTERRUPTED, MlopsError, describe_os_error

# name, module in mlops.cli, section, one-line help. The help text lives here so `mlops --help` can list
# commands without importing them. The function is the name in snake case (`compile_`: not the builtin).
_COMMAND_ROWS = (
    ("init", "pipeline", "Project", "Scaffold a repository: example pipeline, rules, policy, CI."),
    ("lint", "lint", "Project", "Check every mlops file: schemas and cross-file rules."),
    ("doc", "docgen", "Project", "Write Markdown pages from the repository (--check: stale?)."),
    ("compile", "pipeline", "Pipelines", "Write dvc.yaml from the pipeline files."),
    ("import-dvc", "pipeline", "Pipelines", "Turn an existing dvc.yaml into a Pipeline file."),
    ("run", "pipeline", "Pipelines", "Compile when stale, then `dvc repro`."),
    ("validate", "data", "Data", "Check a data file against a rules file."),
    ("profile", "data", "Data", "Write a reference profile of a data file."),
    ("infer-rules", "data", "Data", "Write a starter rules file from data."),
    ("register", "registry", "Registry", "Tag a new version of an artifact."),
    ("deregister", "registry", "Registry", "Mark a version as withdrawn."),
    ("deprecate", "registry", "Registry", "Mark an artifact as deprecated."),
    ("show", "registry", "Registry", "Artifacts, latest versions and stages."),
    ("versions", "registry", "Registry", "Every version of an artifact."),
    ("history", "registry", "Registry", "Every registry event, newest first."),
    ("which", "registry", "Registry", "The version now in a stage."),
    ("promote", "promotion", "Promotion", "Evaluate gates and update registry.yaml."),
    ("gate", "promotion", "Promotion", "Evaluate the gates of changed assignments (PR check)."),
    ("sync", "promotion", "Promotion", "Write the tags that make Git match registry.yaml."),
    ("rollback", "promotion", "Promotion", "Put the previous version of a stage back."),
    ("status", "promotion", "Promotion", "Where registry.yaml and the tags differ."),
    ("verify", "promotion", "Promotion", "Check that assignment tags went through review."),
    ("get", "serving", "Serving", "An artifact's bytes at a version or stage (no checkout)."),
    ("check-ref", "serving", "Serving", "What a registry tag means (for CI)."),
    ("env", "serving", "Serving", "Training environments of versions: `env diff A B`."),
    ("fallback", "operations", "Promotion", "Break glass: put a stage's declared fallback in now."),
    ("slo", "operations", "Monitoring", "Each stage's service-level objectives, with evidence."),
    (
        "evalset",
        "evaluation",
        "Evaluation",
        "Evaluation sets: add production failures, show versions, score.",
    ),
    (
        "evaluate",
        "evaluation",
        "Evaluation",
        "Score a version on today's evaluation sets (incumbent comparisons).",
    ),
    ("checkout", "reproduce", "Reproduce", "git checkout + dvc checkout of a version."),
    ("reproduce", "reproduce", "Reproduce", "Rebuild a version and compare hashes."),
    ("diff", "reproduce", "Reproduce", "Params, metrics, data and rules between versions."),
    ("monitor", "monitor", "Monitoring", "Drift and live metrics of a batch against a version."),
    ("alerts", "monitor", "Monitoring", "Alert history: report and acknowledge."),
    ("report", "report", "Promotion", "Reports: time in each stage (`report stages`)."),
)
# name -> (module, function, section, one-line help)
COMMANDS: dict[str, tuple[str, str, str, str]] = {
    name: (f"mlops.cli.{module}", {"compile": "compile_"}.get(name, name.replace("-", "_")), section, help_)
    for name, module, section, help_ in _COMMAND_ROWS
}
SECTIONS = [
    "Project",
    "Pipelines",
    "Data",
    "Registry",
    "Promotion",
    "Evaluation",
    "Serving",
    "Reproduce",
    "Monitoring",
]


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, spec in COMMANDS.items() if _available(spec[0])]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        spec = COMMANDS.get(name)
        if spec is None or not _available(spec[0]):
            return None
        module = importlib.import_module(spec[0])
        command = getattr(module, spec[1])
        if not isinstance(command, click.Command):  # pragma: no cover - programming error
            raise TypeError(f"{spec[0]}.{spec[1]} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = set(self.list_commands(ctx))
        for section in SECTIONS:
            rows = [(n, s[3]) for n, s in COMMANDS.items() if s[2] == section and n in names]
            if rows:
                with formatter.section(f"{section} commands"):
                    formatter.write_dl(rows)

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """One handler maps every error to its exit code and a one-line message (SPEC section 5)."""
        try:
            code = super().main(
                args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra
            )
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.ClickException as exc:
            exc.show()
            code = exc.exit_code  # usage errors: 2
        except (click.Abort, KeyboardInterrupt):
            click.echo("Interrupted.", err=True)
            code = EXIT_INTERRUPTED
        except MlopsError as exc:  # CheckFailed included: exit 1, with a line only when the report needs one
            code = _report(exc)
        except BrokenPipeError:  # `mlops history | head`
            code = 0
        except OSError as exc:  # read-only file system, full disk, permission denied: the user's to fix
            click.echo(f"mlops: error: {describe_os_error(exc)}", err=True)
            code = EXIT_CANNOT_PROCEED
        except Exception:  # noqa: BLE001 - the one place that turns surprises into exit 3
            log = _write_crash_log()
            click.echo(f"mlops: internal error (a bug in mlops); details written to {log}", err=True)
            code = EXIT_INTERNAL
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        name = args[0] if args else None
        if name and name not in COMMANDS and not name.startswith("-"):
            from mlops.suggest import closest

            match = closest(name, COMMANDS)
            hint = f" Did you mean `{match}`?" if match else ""
            raise click.UsageError(f"no such command `{name}`.{hint}", ctx)
        return super().resolve_command(ctx, args)


@click.group(
    cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, "--version", "-V", prog_name="mlops")
def cli() -> None:
    """Git-native MLOps: pipelines, data contracts and promotion policy as reviewed YAML;
    model versions and stage assignments as Git tags.

    \b
    Examples:
      mlops init demo && cd demo && mlops run
      mlops lint
      mlops validate data/clean.parquet --rules rules/clean.yaml
      mlops show churn-model
    """


def _report(exc: MlopsError) -> int:
    """The one-line message and hint of a user-facing error; its exit code."""
    if exc.message:
        click.echo(f"mlops: error: {exc.message}", err=True)
    if exc.hint:
        click.echo(f"hint: {exc.hint}", err=True)
    return exc.exit_code


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    _progress_to_terminal()
    cli.main(args=argv, prog_name="mlops")


def _progress_to_terminal() -> None:
    """The core reports long waits (downloads from a DVC remote) on the `mlops` logger at INFO; a person
    at a terminal sees them on standard error, a pipe or a CI log parser does not."""
    import logging

    if not sys.stderr.isatty():
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("mlops")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _write_crash_log() -> str:
    import platform
    import tempfile
    import time
    import traceback

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "mlops")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        folder = tempfile.gettempdir()
    path = os.path.join(folder, f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f"mlops {__version__}\npython {sys.version}\nplatform {platform.platform()}\n")
        handle.write(f"argv {sys.argv}\ncwd {os.getcwd()}\n\n")
        handle.write(traceback.format_exc())
    return path
