#!/usr/bin/env bash
# Builds the Airlock worker template on E2B: packages the bridge with its dependencies into e2b/lib, then asks the
# E2B CLI (npm i -g @e2b/cli; e2b auth login, or E2B_ACCESS_TOKEN) to build the template from e2b.Dockerfile.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."

rm -rf "$here/lib"
mkdir -p "$here/lib"
mvn -B -q -pl airlock-cloud -am -DskipTests package dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$here/lib"
cp airlock-cloud/target/airlock-cloud-*[0-9T].jar "$here/lib/"
# Test jars of the reactor are not part of the bridge.
rm -f "$here"/lib/*-tests.jar

# shellcheck source=template.env
source "$here/template.env"
cd "$here"
if [ "${1:-}" = "--package-only" ]; then
  echo "packaged $(ls lib | wc -l) jars into $here/lib"
  exit 0
fi
e2b template create "$TEMPLATE_NAME" -d e2b.Dockerfile \
  -c "$START_CMD" --ready-cmd "$READY_CMD" \
  --cpu-count "$CPU_COUNT" --memory-mb "$MEMORY_MB"
