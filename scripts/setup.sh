#!/usr/bin/env bash
# Set up everything the hub needs, idempotently: Debian packages, the Python virtual
# environment, the npm packages and the built world. Fast when nothing changed.
#   scripts/setup.sh          what serving needs
#   scripts/setup.sh --test   plus what the test suite needs (chromium, redis-server, nginx)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# --- Debian packages ------------------------------------------------------------------
# tzdata: the system's time zones (the PyPI package tzdata stands in where they are missing)
# janus: the media server for voice (docs/voice.md); the hub runs its own unless told otherwise
# fonts-dejavu-core: the text of the plans' PDFs and the talks' slides (world/fonts.py)
apt_packages=(ffmpeg espeak-ng fonts-dejavu-core tzdata janus)
# nginx: tests/scale/test_nginx_proxy.py runs its own, on free ports; Debian also starts its
# service on port 80 where services run (`systemctl disable --now nginx` if unwanted).
[ "$want_test" = 1 ] && apt_packages+=(chromium redis-server nginx fonts-noto-color-emoji shellcheck)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts a Janus of its own with the sample configuration (known secrets, every
  # interface): the hub runs its own with secrets of its own, so that one is switched off.
  if [[ " ${missing[*]} " == *" janus "* ]] && command -v systemctl >/dev/null \
     && systemctl is-enabled janus >/dev/null 2>&1; then
    $sudo systemctl disable --now janus >/dev/null 2>&1 || true
  fi
fi

# --- Python ---------------------------------------------------------------------------
python_bin="${PYTHON:-}"
if [ -z "$python_bin" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      python_bin="$candidate"; break
    fi
  done
fi
[ -n "$python_bin" ] || { echo "error: Python 3.11 or newer is needed" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  say "creating the virtual environment (.venv)"
  "$python_bin" -m venv .venv
fi
extras=""
stamp=".venv/.installed"
if [ "$want_test" = 1 ]; then
  extras="[test]"
  stamp=".venv/.installed-test"
fi
digest=$(sha256sum pyproject.toml | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
  say "installing Python packages"
  if ! { .venv/bin/python -m pip install -q --upgrade pip \
         && .venv/bin/python -m pip install -q -e ".${extras}"; } > .venv/pip.log 2>&1; then
    cat .venv/pip.log >&2
    echo "error: installing the Python packages failed (log above, also in .venv/pip.log)" >&2
    exit 1
  fi
  echo "$digest" > "$stamp"
fi

# --- npm (three.js for the browser client, the Khronos glTF validator) ----------------
digest=$(sha256sum package.json package-lock.json 2>/dev/null | sha256sum | cut -c1-16)
if [ "$(cat node_modules/.installed 2>/dev/null)" != "$digest" ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$digest" > node_modules/.installed
fi

# --- the built world and site assets (incremental) -----------------------------------
.venv/bin/hubtwin world build --quiet
.venv/bin/hubtwin talks build-samples --quiet
