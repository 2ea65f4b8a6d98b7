"""Pipelines: the model built from Pipeline files, expansion, cross-file checks, compile, import, run, init.

Nothing here prints or imports click; dvc, pandas and numpy are imported only inside the functions that
run DVC or the example project, so lint and compile stay light.
"""
