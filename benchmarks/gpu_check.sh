#!/usr/bin/env bash
# The GPU checks, for a machine with a CUDA GPU (issue 4): the CUDA parity tests and the
# style-model tests under that machine's torch, then benchmarks/bench_cuda.py.
# Usage, from the repository root: bash benchmarks/gpu_check.sh OUTDIR [bench_cuda args]
# Writes OUTDIR/pytest.log, OUTDIR/bench_cuda.json and OUTDIR/bench_cuda.err.
set -u
out=${1:?usage: gpu_check.sh OUTDIR [bench_cuda args]}
shift
mkdir -p "$out"
export PYTHONUNBUFFERED=1 PYTHONPATH=.
python=${PYTHON:-python3}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >"$out/gpu.txt" 2>&1
"$python" -m pytest -q -p no:cacheprovider \
    tests/test_cuda.py tests/test_devices.py tests/test_stylegan2.py tests/test_stylegan3.py \
    tests/test_stylegan_speedpaths.py tests/test_model_files.py tests/test_tf_pickle.py \
    tests/test_mapping_fast.py tests/test_stylegan3_speedpaths.py \
    tests/test_latentclr_memory.py tests/test_pggan_cuda.py tests/test_stylegan1_cuda.py 2>&1 | tee "$out/pytest.log" | tail -n 25
tests=${PIPESTATUS[0]}
"$python" -m benchmarks.bench_cuda "$@" >"$out/bench_cuda.json" 2>"$out/bench_cuda.err"
bench=$?
echo "pytest exit $tests, bench_cuda exit $bench"
[ "$tests" -eq 0 ] && [ "$bench" -eq 0 ]
