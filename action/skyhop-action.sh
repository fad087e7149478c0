#!/usr/bin/env bash
# The steps of skyhop's GitHub Action (action.yml): `skyhop-action.sh install|test|fix|verdict`.
# Inputs come as SKYHOP_* variables; results go to $GITHUB_OUTPUT, $GITHUB_PATH and
# $GITHUB_STEP_SUMMARY as GitHub Actions defines them.
set -euo pipefail

step="${1:?usage: skyhop-action.sh install|test|fix|verdict}"
out_dir="${RUNNER_TEMP:?RUNNER_TEMP is not set}/skyhop"

output() { echo "$1=$2" >> "$GITHUB_OUTPUT"; }

# The target arguments shared by `upgrade-test` and `upgrade`, from the inputs.
target_args() {
  args=()
  [ -n "${SKYHOP_RUNTIME_VERSION:-}" ] && args+=(--runtime-version "$SKYHOP_RUNTIME_VERSION")
  [ -n "${SKYHOP_AIRFLOW_VERSION:-}" ] && args+=(--airflow-version "$SKYHOP_AIRFLOW_VERSION")
  [ -n "${SKYHOP_TO:-}" ] && args+=(--to "$SKYHOP_TO")
  [ -n "${SKYHOP_MAX_SCOPE:-}" ] && args+=(--max-scope "$SKYHOP_MAX_SCOPE")
  return 0
}

case "$step" in
  install)
    package="${SKYHOP_PACKAGE:-}"
    if [ -z "$package" ]; then
      # The action's own version: the workspace version of the skyhop checkout it runs from.
      version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$GITHUB_ACTION_PATH/Cargo.toml" | head -n 1)"
      package="skyhop==${version:?cannot read the version from $GITHUB_ACTION_PATH/Cargo.toml}"
    fi
    venv="$RUNNER_TEMP/skyhop-venv"
    "${SKYHOP_PYTHON:-python3}" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$package"
    echo "$venv/bin" >> "$GITHUB_PATH"
    "$venv/bin/skyhop" --version
    ;;

  test)
    target_args
    rm -rf "$out_dir" && mkdir -p "$out_dir"
    code=0
    skyhop upgrade-test --project "${SKYHOP_PROJECT:-.}" "${args[@]}" --output "$out_dir" \
      --format github || code=$?
    report="$(find "$out_dir" -mindepth 1 -maxdepth 1 -type d -name 'upgrade-test-*' | head -n 1)"
    if [ -z "$report" ]; then
      if [ "$code" = 0 ]; then
        # --to found nothing newer in scope: nothing was tested.
        output verdict up_to_date
        echo "skyhop: the project is at the newest version in scope; nothing to test." >> "$GITHUB_STEP_SUMMARY"
        exit 0
      fi
      echo "::error title=skyhop::skyhop upgrade-test failed (exit $code) before writing a report; see the log above"
      output verdict blocked
      exit "$code"
    fi
    verdict="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"])' "$report/report.json")"
    output verdict "$verdict"
    output report-path "$report"
    output sarif-path "$report/check-results.sarif"
    cat "$report/report.md" >> "$GITHUB_STEP_SUMMARY"
    ;;

  fix)
    project="${SKYHOP_PROJECT:-.}"
    if [ "${SKYHOP_FIX:-false}" = true ] && [ "${SKYHOP_VERDICT:-}" != up_to_date ]; then
      target_args
      summary="$RUNNER_TEMP/skyhop-pr.md"
      code=0
      # --plan: hop by hop where the catalog requires it (Runtime 11 -> 13 -> 3.x).
      skyhop upgrade --project "$project" "${args[@]}" --plan --fix --yes --summary "$summary" || code=$?
      # 1: files are left for a person; the summary says which.
      if [ "$code" != 0 ] && [ "$code" != 1 ]; then exit "$code"; fi
      [ -f "$summary" ] && output summary-path "$summary"
    fi
    if [ "${SKYHOP_PROVIDERS:-false}" = true ]; then
      code=0
      skyhop upgrade --project "$project" --providers --yes || code=$?
      if [ "$code" != 0 ] && [ "$code" != 1 ]; then exit "$code"; fi
    fi
    ;;

  verdict)
    verdict="${SKYHOP_VERDICT:-blocked}"
    case "${SKYHOP_FAIL_ON:-needs-changes}" in
      never) exit 0 ;;
      blocked) [ "$verdict" = blocked ] && { echo "::error title=skyhop::the upgrade test could not complete (verdict: blocked)"; exit 1; } ;;
      needs-changes)
        case "$verdict" in
          needs_changes|blocked) echo "::error title=skyhop::verdict: ${verdict//_/ } (see the job summary)"; exit 1 ;;
        esac ;;
      *) echo "::error title=skyhop::fail-on must be needs-changes, blocked or never, not ${SKYHOP_FAIL_ON}"; exit 2 ;;
    esac
    ;;

  *) echo "skyhop-action.sh: unknown step $step" >&2; exit 2 ;;
esac
