"""Monitoring: a live batch against what a model version was trained on.

Modules, one concept each:
    reference  which data or profile a version was trained on, read at the version's commit
    metrics    live model metrics (numpy only), overall and per slice
    labels     label lag: which rows have matured labels, and the coverage
    checks     candidates: drifted columns, prediction drift, metric drops, failed quality rules
    quality    the rules file's data-quality rules, through the validation engine
    policy     when a candidate fires: consecutive windows, min drifted columns, p-value corrections
    history    the JSON-lines history (run and acknowledgement records)
    alerts     the alert report (how often each rule fired, how often it was ignored) and acks
    tuning     threshold suggestions from acknowledgements
    run        one monitoring run, from a batch to a history record
    render     text, markdown, JSON and self-contained HTML reports with trend charts
"""
