"""`mlops doc`: Markdown pages generated from the repository (pipelines, rules, policy, registry).

sources.py gathers what the pages say (from the same loaders compile, lint and the registry use);
pages.py turns it into Markdown; site.py writes the pages atomically or reports the stale ones.
"""
