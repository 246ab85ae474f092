#!/usr/bin/env bash
# Publishes the GPU check self-contained (with the ONNX Runtime GPU native libraries and MiniLM) and splits it into
# chunks of about 60 MB under .device/ (git-ignored), small enough to carry to a CUDA machine one call at a time.
# Usage: scripts/gpu-pack.sh   then, on the CUDA machine, after the chunks are there: scripts/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=.device/gpucheck
rm -rf "$out" .device/gpucheck.tar.*
mkdir -p .device
dotnet build models/MLNetInference.Models -c Release -v q >/dev/null
dotnet publish src/Samples/GpuCheck -c Release -r linux-x64 --self-contained true -o "$out" -v q
cp models/cache/all-MiniLM-L6-v2/model.onnx "$out/model.onnx"
# The GPU package also drops its Windows natives and the TensorRT provider into a linux-x64 publish: not needed here.
rm -f "$out"/onnxruntime*.dll "$out"/libonnxruntime_providers_tensorrt.so "$out"/*.dbg "$out"/*.pdb
if command -v zstd >/dev/null; then
  tar -C .device -cf - gpucheck | zstd -T0 -3 -q -o .device/gpucheck.tar.zst
  archive=.device/gpucheck.tar.zst
else
  tar -C .device -czf .device/gpucheck.tar.gz gpucheck
  archive=.device/gpucheck.tar.gz
fi
split -b 55M -d "$archive" "$archive.part-"
rm "$archive"
ls -la .device/ | sed -n '1,40p'
