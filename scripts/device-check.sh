#!/usr/bin/env bash
# Prepares .carry/dev/ (ignored by git) for one call on the remote device
# machine (16-core Xeon with AVX-512) that checks determinism there and
# measures what this 2-core machine cannot:
#
#   - the kernels' tests (every ISA variant against its pure-Go twin, AVX-512
#     included) and the model's golden probability hashes;
#   - a file compressed there with the default model (text-wide-v1-f16,
#     exported by `mbzip models --export` and given as --model FILE) must
#     equal, byte for byte, the one compressed here, and the file made here
#     must decompress there;
#   - the FMA peak and the matmul layouts (BenchmarkMatMulLayouts) per ISA,
#     and the panel-size sweep (BenchmarkMatMulPanels: at m = 2048, k = 96
#     the AVX-512 kernels gave 47 GFLOP/s there in session 6, 27 % of their
#     peak; MatMulLayouts' a·bᵀ at 2048 × 288 × 96 ran at 168 in session
#     23), and the vertical kernels (AVX2 and the AVX-512 2×32) against
#     the R×C ones at the local layers' shapes (BenchmarkMatMulVertical,
#     VerticalKernel: session 6 turned the AVX-512 one on from 1024 rows);
#   - training throughput on 16 threads and its CPU profile (BenchmarkTrainStep
#     with MBZIP_BENCH_TRAIN_THREADS=16: whole optimizer steps of 32 windows);
#   - with --torch, PyTorch's training throughput on the same model.
#
#   bash scripts/device-check.sh [--torch]     # then make the printed call
#   mv .carry/parked/*.safetensors model/builtin/   # afterwards
#
# Binaries travel xz-compressed (the device unpacks them with Python's lzma)
# and the slim mbzip is built with -tags mbzip_nobuiltin; the default model
# travels as .carry/dev/model.safetensors. The shipped weights
# (model/builtin/*.safetensors, about 115 MB) would take the working tree
# past the 64 MiB a call may carry, so the script parks them in .carry/parked/.
set -euo pipefail
cd "$(dirname "$0")/.."
torch=
case ${1:-} in
--torch) torch=1 ;;
"") ;;
*) echo "device-check.sh: unknown argument $1 (usage: device-check.sh [--torch])" >&2; exit 2 ;;
esac
dev=.carry/dev
rm -rf "$dev" && mkdir -p "$dev"
model=$dev/model.safetensors
go run ./cmd/mbzip models --export "$model"
export CGO_ENABLED=0 GOOS=linux GOARCH=amd64
go build -tags mbzip_nobuiltin -trimpath -ldflags='-s -w' -o "$dev/mbzip" ./cmd/mbzip
go test -c -o "$dev/kernels.test" ./kernels
go test -c -o "$dev/model.test" ./model
head -c 200000 README.md >"$dev/sample"
{ cat kernels/*.go || true; } | head -c 100000 >>"$dev/sample"
"$dev/mbzip" compress -q --model "$model" -c "$dev/sample" >"$dev/sample.here.mbz"
xz -T2 -6 "$dev/mbzip" "$dev/kernels.test" "$dev/model.test"
mkdir -p .carry/parked
for f in model/builtin/*.safetensors; do
	[ -e "$f" ] && mv "$f" .carry/parked/
done
du -sh "$dev"
echo "parked the shipped weights in .carry/parked/; after the call: mv .carry/parked/*.safetensors model/builtin/" >&2
torchStep=
if [ -n "$torch" ]; then
	torchStep='; timeout 40 python3 ../../scripts/pytorch-ref/megabyte.py bench --threads 16 --batch 32 --steps 3 > $OUT/torch16.txt 2>&1'
fi
call=$(cat <<'CALL'

Device call (run tool), timeout_s 300, carry [".carry/dev"]:

cd .carry/dev && for f in *.xz; do python3 -c "import lzma,shutil,sys;shutil.copyfileobj(lzma.open(sys.argv[1]),open(sys.argv[1][:-3],'wb'))" $f && chmod +x ${f%.xz}; done; lscpu | grep -E 'Model name|Flags' | cut -c1-300 > $OUT/cpu.txt; (cd ../../kernels && ../.carry/dev/kernels.test -test.short 2>&1 | tail -3) > $OUT/kernels-test.txt; (cd ../../model && ../.carry/dev/model.test -test.run Golden 2>&1 | tail -3) > $OUT/model-golden.txt; ./mbzip compress -q --model model.safetensors -c sample > $OUT/sample.dev.mbz && cmp sample.here.mbz $OUT/sample.dev.mbz && ./mbzip decompress -q --model model.safetensors -c sample.here.mbz | cmp - sample && echo "AVX-512 machine: same .mbz bytes, round trip exact" > $OUT/cross.txt; timeout 80 ./kernels.test -test.run '^$' -test.bench 'FMAPeak|MatMulLayouts' -test.benchtime 100ms > $OUT/kernels-bench.txt 2>&1; timeout 40 ./kernels.test -test.run '^$' -test.bench 'MatMulPanels/isa=avx' -test.benchtime 100ms > $OUT/kernels-panels.txt 2>&1; timeout 40 ./kernels.test -test.run '^$' -test.bench 'MatMulVertical|VerticalKernel' -test.benchtime 100ms > $OUT/kernels-vertical.txt 2>&1; (cd ../../model && MBZIP_BENCH_TRAIN_THREADS=16 timeout 60 ../.carry/dev/model.test -test.run '^$' -test.bench 'TrainStep/ref' -test.benchtime 8x -test.cpuprofile $OUT/train16.prof > $OUT/trainstep16.txt 2>&1)@TORCH@; cat $OUT/*.txt | tail -40
CALL
)
# Quoted, so that & in the replacement stays literal (bash ≥ 5.2).
printf '%s\n' "${call/@TORCH@/"$torchStep"}"
