#!/usr/bin/env bash
# Prepares .carry/scale/ (ignored by git) for one call on the remote device
# machine that measures how compressing and decompressing scale with threads
# there (16 or more cores, where this 2-core machine stops at 2):
#
#   - INPUT_BYTES (default 1 MiB) of an English book from the training
#     corpus (../shared/corpus/train/text/gutenberg-en.tar.zst; never eval/),
#     compressed with text-wide-v1 (--model FILE: the shipped weights stay
#     home) at --threads 1 2 4 8 16 (THREADS), and decompressed at the same
#     thread counts, every round trip checked;
#   - the same file with --lanes 1 (blocks one after another, as format
#     version 1 coded them) decompressed at 1 and 16 threads, for the gain of
#     the default 16 lanes.
#
#   bash scripts/device-scaling.sh           # then make the printed call
#   mv .carry/parked/*.safetensors model/builtin/   # afterwards
#
# Each line of $OUT/scaling.txt is written as soon as it is measured, so a
# call cut short still brings back what it finished.
set -euo pipefail
cd "$(dirname "$0")/.."
bytes=${INPUT_BYTES:-1048576}
threads=${THREADS:-1 2 4 8 16}
model=model/builtin/text-wide-v1.safetensors
[ -e "$model" ] || model=.carry/parked/text-wide-v1.safetensors
dir=.carry/scale
rm -rf "$dir" && mkdir -p "$dir"
export CGO_ENABLED=0 GOOS=linux GOARCH=amd64
go build -tags mbzip_nobuiltin -trimpath -ldflags='-s -w' -o "$dir/mbzip" ./cmd/mbzip
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar --zstd -xf ../shared/corpus/train/text/gutenberg-en.tar.zst -C "$tmp"
# The largest books first, until there are enough bytes.
find "$tmp" -type f -printf '%s %p\n' | sort -rn | cut -d' ' -f2- | while read -r f; do
	cat "$f"
	[ "$(stat -c %s "$dir/in" 2>/dev/null || echo 0)" -ge "$bytes" ] && break
done | head -c "$bytes" >"$dir/in" || true
cp "$model" "$dir/model.safetensors"
xz -T2 -6 "$dir/mbzip"
mkdir -p .carry/parked
for f in model/builtin/*.safetensors; do
	[ -e "$f" ] && mv "$f" .carry/parked/
done
du -sh "$dir"
echo "parked the shipped weights in .carry/parked/; after the call: mv .carry/parked/*.safetensors model/builtin/" >&2
cat <<CALL

Device call (run tool), timeout_s 600, carry [".carry/scale"]:

cd .carry/scale && python3 -c "import lzma,shutil;shutil.copyfileobj(lzma.open('mbzip.xz'),open('mbzip','wb'))" && chmod +x mbzip && lscpu | grep -E 'Model name|^CPU\(s\)' > \$OUT/scaling.txt; t() { local s=\$(date +%s.%N); "\$@"; echo "\$(date +%s.%N) \$s" | awk '{printf "%.2f", \$1-\$2}'; }; n=\$(stat -c %s in); for th in $threads; do s=\$(t sh -c "./mbzip compress -q --model model.safetensors --threads \$th -c in > in.mbz"); d=\$(t sh -c "./mbzip decompress -q --model model.safetensors --threads \$th -c in.mbz > out"); cmp in out && echo "lanes 16 threads \$th: compress \$s s \$(echo "\$n \$s" | awk '{printf "%.1f", \$1/1e3/\$2}') kB/s, decompress \$d s \$(echo "\$n \$d" | awk '{printf "%.1f", \$1/1e3/\$2}') kB/s, \$(stat -c %s in.mbz) bytes" >> \$OUT/scaling.txt; done; ./mbzip compress -q --model model.safetensors --lanes 1 -c in > in1.mbz; for th in 1 16; do d=\$(t sh -c "./mbzip decompress -q --model model.safetensors --threads \$th -c in1.mbz > out"); cmp in out && echo "lanes 1 threads \$th: decompress \$d s \$(echo "\$n \$d" | awk '{printf "%.1f", \$1/1e3/\$2}') kB/s, \$(stat -c %s in1.mbz) bytes" >> \$OUT/scaling.txt; done; cat \$OUT/scaling.txt
CALL
