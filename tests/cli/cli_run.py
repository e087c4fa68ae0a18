"""What the command-line tests share: running ``aurora-evo`` in-process and capturing what it printed."""

from __future__ import annotations

from aurora_evo.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    """``(exit status, stdout, stderr)`` of ``aurora-evo ARGV...`` (each argument as ``str``)."""
    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exc:  # argparse's own errors and --help leave through exit()
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err
