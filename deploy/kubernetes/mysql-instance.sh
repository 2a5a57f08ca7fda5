#!/bin/sh
# Helm post-renderer (PLAN, NOT EXERCISED HERE): swaps the chart's Postgres storage block in the
# instance ConfigMap for deploy/dagster.yaml's MySQL storage, read from the pods' environment.
# Needs yq v4. Helm passes the rendered manifests on stdin and reads them back from stdout.
set -eu
here=$(dirname "$0")
yq eval-all '
  (select(.kind == "ConfigMap" and (.metadata.name | test("-instance$"))) | .data["dagster.yaml"]) |=
    (. | from_yaml
       | del(.storage) | del(.run_storage) | del(.event_log_storage) | del(.schedule_storage)
       | .storage = (load("'"$here"'/../dagster.yaml") | .storage)
       | .concurrency = (load("'"$here"'/../dagster.yaml") | .concurrency)
       | .run_retries = (load("'"$here"'/../dagster.yaml") | .run_retries)
       | to_yaml)
' -
