#!/usr/bin/env bash
# On a CUDA 13 machine with only the self-contained publish of the GPU check (scripts/gpu-pack.sh), measures MiniLM
# batched against batch-1 throughput on the GPU (batch runner and pool) and proves CPU fallback with a logged warning.
# Usage: scripts/gpu-check.sh [--cpu-only]
#   --cpu-only  runs only the fallback half (for a machine without a GPU).
set -uo pipefail
cd "$(dirname "$0")/.."
dir=.device/gpucheck
if [ ! -x "$dir/GpuCheck" ]; then
  if ls .device/gpucheck.tar.zst.part-* >/dev/null 2>&1; then
    cat .device/gpucheck.tar.zst.part-* | zstd -d -q | tar -x -C .device
  elif ls .device/gpucheck.tar.gz.part-* >/dev/null 2>&1; then
    cat .device/gpucheck.tar.gz.part-* | tar -xz -C .device
  else
    echo "no publish found under $dir and no chunks under .device/: run scripts/gpu-pack.sh first" >&2
    exit 2
  fi
fi
model="$dir/model.onnx"
status=0

echo "== CPU fallback: CUDA hidden, the session must fall back to the CPU and log a warning"
env -u LD_LIBRARY_PATH CUDA_VISIBLE_DEVICES="" "$dir/GpuCheck" --model "$model" --expect cpu --seconds 1 --rounds 1 || status=1

if [ "${1:-}" != "--cpu-only" ]; then
  echo "== GPU: CUDA and cuDNN libraries from the machine's Python environment"
  libs=""
  for site in $(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null); do
    for lib in "$site"/nvidia/*/lib; do
      [ -d "$lib" ] && libs="$libs:$lib"
    done
  done
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true
  LD_LIBRARY_PATH="${libs#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$dir/GpuCheck" --model "$model" --expect cuda --seconds 3 --rounds 3 || status=1
fi

[ "$status" -eq 0 ] && echo "gpu-check: passed" || echo "gpu-check: FAILED"
exit "$status"
