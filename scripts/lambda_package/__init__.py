"""``make package``: the Lambda bundle and its templates, built offline from a local wheelhouse.

One job a module: ``wheels`` (download once, install offline), ``staging`` (the project copy
Chalice packages), ``chalice_package`` and ``aws_env`` (run Chalice without reaching AWS),
``bundle`` (``.pyc``, forbidden packages, a reproducible zip), ``sqs_settings`` (per-stage SQS
knobs Chalice lacks), ``templates`` (read and write SAM), ``expand`` and ``sam_expand`` (SAM to
CloudFormation in the checks virtualenv), ``build`` (the order of it all). ``runtime`` lays an
extracted bundle out as Lambda does, for the tests and the cold-start bench.
"""
