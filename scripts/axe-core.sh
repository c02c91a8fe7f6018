#!/usr/bin/env bash
# Puts axe-core's axe.min.js (the accessibility engine the browser tests run in each page) at
# .local/axe/axe.min.js and prints that path. It comes from PyPI's axe-selenium-python 3.0.0,
# pinned by hash, which bundles axe-core 4.10.2; only the script is taken from the wheel (the
# browser tests run under Debian's /usr/bin/python3 and inject it themselves). pip comes from a
# throwaway venv (python3-venv), since Debian's python has no pip by default.
set -euo pipefail
cd "$(dirname "$0")/.."

wheel=axe_selenium_python-3.0.0-py3-none-any.whl
sha256=847e3925861133a523609ff27d0fef387e7588a26f23a27c208a30682b8e9240
axe_version=4.10.2
dir=.local/axe
script=$dir/axe.min.js

if [[ -f $script ]] && head -c 40 "$script" | grep -q "axe v$axe_version"; then
    echo "$PWD/$script"
    exit 0
fi
mkdir -p "$dir"
if [[ ! -x $dir/venv/bin/pip ]]; then
    /usr/bin/python3 -m venv "$dir/venv" >&2
fi
# The wheel says Requires-Python >= 3.12 for its Python half; we take only the JavaScript file.
echo "axe-selenium-python==3.0.0 --hash=sha256:$sha256" >"$dir/requirements.txt"
"$dir/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --ignore-requires-python \
    --require-hashes -r "$dir/requirements.txt" -d "$dir" >&2
/usr/bin/python3 - "$dir/$wheel" "$script" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    data = wheel.read("axe_selenium_python/node_modules/axe-core/axe.min.js")
with open(sys.argv[2] + ".tmp", "wb") as out:
    out.write(data)
PY
mv "$script.tmp" "$script"
head -c 40 "$script" | grep -q "axe v$axe_version" || { echo "axe-core.sh: $script is not axe v$axe_version" >&2; exit 1; }
echo "$PWD/$script"
