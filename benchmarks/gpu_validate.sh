#!/usr/bin/env bash
# Validate the catalog on a GPU: every kata that lists cuda is graded there (solution must pass,
# starter and wrong/ variants must fail), then the CUDA katas' solutions and `auto` are timed.
#
#   benchmarks/gpu_validate.sh            # from anywhere; exit 0 iff everything held
#
# Needs a Python whose torch sees a CUDA GPU (PYTHON, default python3). The grader's own
# dependencies that are missing are installed into a throwaway folder ($KATAS_SITE, default
# /tmp/katas-site): from ./.whl when it exists (machines without network; fill it beforehand
# with `pip download -d .whl --only-binary=:all: --python-version 3.12 --platform
# manylinux2014_x86_64 pydantic fsrs platformdirs`), else from the package index. The trainer
# runs from this checkout. The log also goes to $OUT/gpu_validate.log when OUT is set.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
LOG=${OUT:-/tmp}/gpu_validate.log
exec > >(tee "$LOG") 2>&1

"$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else "torch sees no CUDA GPU")'
missing=$("$PY" - <<'EOF'
import importlib.metadata as md, re, tomllib
skip = {"textual", "tree-sitter", "tree-sitter-python", "watchfiles"}  # TUI and watch only
for dep in tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]:
    name = re.split(r"[<>=!~ ;\[]", dep, maxsplit=1)[0]
    try:
        md.version(name)
    except md.PackageNotFoundError:
        if name not in skip:
            print(dep)
EOF
)
SITE=${KATAS_SITE:-/tmp/katas-site}
if [ -n "$missing" ]; then
    echo "installing into $SITE:" $missing
    source=()
    [ -d .whl ] && source=(--no-index --find-links .whl)
    # shellcheck disable=SC2086  # one requirement per word
    "$PY" -m pip install -q --disable-pip-version-check "${source[@]}" --target "$SITE" $missing
fi
export PYTHONPATH="$PWD:$SITE${PYTHONPATH:+:$PYTHONPATH}"
katas() { "$PY" -m trainer "$@"; }

echo "== environment"
nvidia-smi -L || true
"$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda,
"gpus", torch.cuda.device_count(), torch.cuda.get_device_name(0))'

status=0
echo "== katas validate --device cuda katas/"
start=$(date +%s%N)
katas validate --device cuda katas/ || status=1
echo "validate wall time: $(( ($(date +%s%N) - start) / 1000000 )) ms"

echo "== one grading each (cold, solution, device and time from the verdict)"
for kata in amp-scaler cuda-timing device-move param-not-tensor; do
    for device in cuda auto; do
        file=$(ls katas/*/"$kata"/solution.py)
        code=0
        verdict=$(katas check "$kata" --file "$file" --device "$device" --json) || code=$?
        echo "$verdict" | "$PY" -c 'import json, sys
v = json.load(sys.stdin)
kata, device, status, seconds = v["kata_id"], v["device"], v["status"], v["duration"]
gpu, cuda, torch = (v["environment"][k] for k in ("gpu", "cuda", "torch"))
print(f"{kata:18} {sys.argv[1]:5} -> {device:7} {status:11} {seconds:6.2f} s "
      f"gpu={gpu} cuda={cuda} torch={torch}")' "$device"
        [ "$code" = 0 ] || status=1
    done
done

echo "== a GPU this machine lacks is not verified here (exit 6)"
code=0
katas check amp-scaler --file katas/cuda/amp-scaler/solution.py --device cuda:99 || code=$?
echo "exit code $code"
[ "$code" = 6 ] || status=1

echo "== device tests with a GPU present"
"$PY" -m pytest -q -p no:cacheprovider tests/test_devices.py tests/test_checks_api.py || status=1
echo "gpu_validate: $([ $status = 0 ] && echo OK || echo FAILED)"
exit $status
