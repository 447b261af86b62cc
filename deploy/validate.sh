#!/usr/bin/env bash
# Validates the Kubernetes manifests offline, for the pinned Kubernetes version:
#   - every overlay (deploy/overlays/*) and every fixture that must pass (deploy/tests/*,
#     except tests/broken) renders with `kubectl kustomize` and passes
#     `kubernetes-validate --strict` (unknown or misspelt fields fail), with no warning
#     (a resource whose schema is unknown, e.g. a mistyped apiVersion, fails too) and every
#     rendered resource validated;
#   - the deliberately broken fixture (deploy/tests/broken: a misspelt field) renders but
#     FAILS that validation, for the planted reason: if it passed, the validation would be
#     proven blind, and this script fails.
#
# Usage: bash deploy/validate.sh [VENV_BIN]
#   VENV_BIN: the bin folder of a Python virtual environment where PyPI
#   kubernetes-validate==1.37.0 is installed. Without it, deploy/.venv is created (or reused)
#   and the package installed there.
# Needs kubectl (its built-in kustomize) and, without VENV_BIN, python3 with venv and PyPI.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# Kubernetes 1.30 is the oldest the manifests run on (the native preStop `sleep`);
# they are validated against this release.
readonly KUBERNETES_VERSION=1.32.0
readonly KUBERNETES_VALIDATE_VERSION=1.37.0
readonly BROKEN_FIXTURE=tests/broken
# What the broken fixture's failure must mention: the misspelt field it plants.
readonly BROKEN_FIELD=runAsNonroot

fail() {
  echo "validate.sh: $*" >&2
  exit 1
}

command -v kubectl >/dev/null || fail "kubectl is needed (it renders the kustomizations)"

bin_dir=${1:-}
if [[ -z ${bin_dir} ]]; then
  venv=.venv
  if [[ ! -x ${venv}/bin/kubernetes-validate ]] \
    || [[ $("${venv}/bin/kubernetes-validate" --version 2>/dev/null) != "${KUBERNETES_VALIDATE_VERSION}" ]]; then
    command -v python3 >/dev/null || fail "python3 is needed to install kubernetes-validate"
    python3 -m venv "${venv}"
    "${venv}/bin/pip" install --quiet --disable-pip-version-check \
      "kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}"
  fi
  bin_dir=${venv}/bin
fi
readonly VALIDATOR=${bin_dir%/}/kubernetes-validate
[[ -x ${VALIDATOR} ]] || fail "${VALIDATOR}: not found (give the bin folder of a venv with kubernetes-validate)"
found_version=$("${VALIDATOR}" --version)
[[ ${found_version} == "${KUBERNETES_VALIDATE_VERSION}" ]] \
  || fail "kubernetes-validate ${found_version} found, ${KUBERNETES_VALIDATE_VERSION} pinned"

work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT

passed=0
failed=0

# render DIR OUT: kustomize DIR into OUT; prints why it failed.
render() {
  if ! kubectl kustomize "$1" >"$2" 2>"$2.err"; then
    sed 's/^/    /' "$2.err" >&2
    return 1
  fi
}

# must_pass DIR: renders and validates strictly, with every resource accounted for.
must_pass() {
  local dir=$1
  local name=${dir//\//-}
  local rendered=${work}/${name}.yaml log=${work}/${name}.log
  if ! render "${dir}" "${rendered}"; then
    echo "FAIL ${dir}: kubectl kustomize failed" >&2
    return 1
  fi
  local resources
  resources=$(grep -c '^kind:' "${rendered}" || true)
  if (( resources == 0 )); then
    echo "FAIL ${dir}: renders no resource" >&2
    return 1
  fi
  local status=0
  "${VALIDATOR}" --strict -k "${KUBERNETES_VERSION}" "${rendered}" >"${log}" 2>&1 || status=$?
  local validated problems
  validated=$(grep -c '^INFO .* passed for resource' "${log}" || true)
  problems=$(grep -v '^INFO ' "${log}" || true)
  if (( status != 0 )) || [[ -n ${problems} ]] || (( validated != resources )); then
    echo "FAIL ${dir}: kubernetes-validate --strict -k ${KUBERNETES_VERSION} (exit ${status}," \
      "${validated} of ${resources} resources passed)" >&2
    sed "s#${rendered}#${dir}#; s/^/    /" "${log}" | grep -v '^    INFO ' >&2 || true
    return 1
  fi
  echo "ok   ${dir}: ${resources} resources valid for Kubernetes ${KUBERNETES_VERSION}"
}

# must_fail DIR FIELD: renders, and strict validation rejects it, naming FIELD.
must_fail() {
  local dir=$1 field=$2
  local name=${dir//\//-}
  local rendered=${work}/${name}.yaml log=${work}/${name}.log
  if ! render "${dir}" "${rendered}"; then
    echo "FAIL ${dir}: the broken fixture must render (it is broken for validation only)" >&2
    return 1
  fi
  local status=0
  "${VALIDATOR}" --strict -k "${KUBERNETES_VERSION}" "${rendered}" >"${log}" 2>&1 || status=$?
  if (( status == 0 )); then
    echo "FAIL ${dir}: passed validation, but its misspelt \`${field}\` must fail it" >&2
    return 1
  fi
  if ! grep -q "'${field}' was unexpected" "${log}"; then
    echo "FAIL ${dir}: failed validation, but not for its misspelt \`${field}\`:" >&2
    sed 's/^/    /' "${log}" | grep -v '^    INFO ' >&2 || true
    return 1
  fi
  echo "ok   ${dir}: rejected as it must be (misspelt \`${field}\`)"
}

targets=()
for kustomization in overlays/*/kustomization.yaml tests/*/kustomization.yaml; do
  dir=$(dirname "${kustomization}")
  [[ ${dir} == "${BROKEN_FIXTURE}" ]] || targets+=("${dir}")
done
(( ${#targets[@]} > 0 )) || fail "no overlay found"
[[ -f ${BROKEN_FIXTURE}/kustomization.yaml ]] || fail "${BROKEN_FIXTURE}: the broken fixture is missing"

for dir in "${targets[@]}"; do
  if must_pass "${dir}"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
if must_fail "${BROKEN_FIXTURE}" "${BROKEN_FIELD}"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "deploy: ${passed} passed, ${failed} failed"
(( failed == 0 ))
