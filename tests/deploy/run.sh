#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The deployment's tests, called by tests/run_all.sh ("make test"): the manifests against the
# Kubernetes API's models and policy (with the checker's own test), then the image build.
# Prints "deploy: N passed, M failed" last. DEPLOY_IMAGE=0 leaves the image build out.
set -u
build=${1:-build}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
status=0
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import kubernetes, yaml' 2>/dev/null; then
	/usr/bin/python3 tests/deploy/check_manifests.py --self-test 2>&1 | tee "$log/manifests"
else
	echo "FAIL manifests: /usr/bin/python3 lacks python3-kubernetes or python3-yaml (make deps-test)"
	echo "deploy-manifests: 0 passed, 1 failed" >"$log/manifests"
fi
if [ "${DEPLOY_IMAGE:-1}" != 0 ]; then
	bash tests/deploy/image.sh "$build" 2>&1 | tee "$log/image"
else
	echo "deploy-image: 0 passed, 0 failed" >"$log/image"
fi
passed=0
failed=0
for part in manifests image; do
	line=$(grep -E "^deploy-$part: [0-9]+ passed, [0-9]+ failed" "$log/$part" | tail -1)
	if [ -z "$line" ]; then
		echo "deploy-$part: no summary line (crashed?)"
		failed=$((failed + 1))
		continue
	fi
	set -- $line
	passed=$((passed + $2))
	failed=$((failed + $4))
done
echo "deploy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
