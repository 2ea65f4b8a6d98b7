"""Data validation: reading data by format, a chunked engine of mergeable partial results, the rules model
and its safe expression language, profiles, drift statistics, reports and rule inference.

Modules: source (read by format, REF:PATH), expr/evaluate (the expression language), rules (the model),
columns/checks/engine (one pass, then judge), sketch (mergeable partials), profile, drift, report/html,
infer. Nothing here prints or imports click.
"""
