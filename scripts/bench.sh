#!/usr/bin/env bash
# Benchmarks of mbzip, sized for a 2-core machine (a few minutes in all):
#
#   1. the Go benchmarks of kernels, arith, model and codec, run once each
#      with a short -benchtime, printed as one table;
#   2. end to end: `mbzip compress` and `mbzip decompress` of the first
#      E2E_BYTES (256 KiB: 8 segments) of TEXT with --threads 1 and 2, timed,
#      with the round trip checked; then of the first ONE_SEGMENT_BYTES
#      (32 KiB: one segment, whose steps two threads share); on an AVX-512
#      machine, the 256 KiB once more on the AVX2 kernels (GODEBUG), and
#      8 KiB with the -tags purego build.
#
# Usage: bash scripts/bench.sh [BENCH_REGEXP]
#   BENCHTIME=300ms  per-benchmark time (go test -benchtime)
#   TEXT=FILE        the end-to-end input (default: 1 MiB of the Calgary and
#                    Canterbury texts in ../shared/corpus/eval/text when present,
#                    else this repository's own sources)
#   MODEL=NAME|FILE  the model for the end-to-end run (default: built-in default)
#   E2E_BYTES=N      bytes of TEXT used end to end (default 262144)
#   ONE_SEGMENT_BYTES=N  bytes of the one-segment run (default 32768)
#   PUREGO_BYTES=N   bytes of TEXT for the -tags purego build (default 8192:
#                    the pure-Go kernels run the text prior at a few hundred
#                    bytes per second)
set -euo pipefail
cd "$(dirname "$0")/.."

pattern=${1:-.}
benchtime=${BENCHTIME:-300ms}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pkgs=()
for p in ./kernels ./arith ./model ./codec; do
	if ls "$p"/*_test.go >/dev/null 2>&1; then
		pkgs+=("$p")
	fi
done

echo "go benchmarks (-benchtime=$benchtime, GOMAXPROCS=$(nproc)) of ${pkgs[*]}"
go test -run='^$' -bench="$pattern" -benchtime="$benchtime" -count=1 "${pkgs[@]}" | tee "$work/bench.txt" |
	grep -E '^(ok|FAIL|---)' || true

# The table: one row per benchmark, the time per operation, MB/s when the
# benchmark sets bytes, and any custom metrics (B/s, GFLOP/s, allocs...).
awk '
	/^pkg: / { pkg = $2; sub(/^github.com\/mbzip\/mbzip\//, "", pkg); next }
	/^Benchmark/ {
		name = $1; sub(/^Benchmark/, "", name); sub(/-[0-9]+$/, "", name)
		ns = "-"; mbs = "-"; extra = ""
		for (i = 3; i < NF; i += 2) {
			v = $i; u = $(i + 1)
			if (u == "ns/op") ns = v
			else if (u == "MB/s") mbs = v
			else extra = extra sprintf("%s %s  ", v, u)
		}
		t = ns
		if (ns != "-") {
			x = ns + 0
			if (x >= 1e9) t = sprintf("%.2f s", x / 1e9)
			else if (x >= 1e6) t = sprintf("%.2f ms", x / 1e6)
			else if (x >= 1e3) t = sprintf("%.2f us", x / 1e3)
			else t = sprintf("%.1f ns", x)
		}
		rows[++n] = sprintf("%-9s %-40s %12s %10s  %s", pkg, name, t, mbs, extra)
	}
	END {
		printf "\n%-9s %-40s %12s %10s  %s\n", "package", "benchmark", "time/op", "MB/s", "other"
		for (i = 1; i <= n; i++) print rows[i]
	}
' "$work/bench.txt"

# End to end through the command line.
echo
go build -o "$work/mbzip" ./cmd/mbzip
text=${TEXT:-}
if [ -z "$text" ]; then
	text="$work/text"
	corpus=../shared/corpus/eval/text
	if [ -d "$corpus" ]; then
		# head closes the pipe early: cat's SIGPIPE is expected, not an error.
		(cat "$corpus"/book1 "$corpus"/book2 "$corpus"/news 2>/dev/null | head -c $((1 << 20)) >"$text") || true
	fi
	if [ ! -s "$text" ] || [ "$(wc -c <"$text")" -lt $((1 << 20)) ]; then
		: >"$text"
		while [ "$(wc -c <"$text")" -lt $((1 << 20)) ]; do
			cat $(git ls-files '*.go' '*.md') >>"$text"
		done
		head -c $((1 << 20)) "$text" >"$text.1m" && mv "$text.1m" "$text"
	fi
fi
go build -tags purego -o "$work/mbzip-purego" ./cmd/mbzip
model_args=()
if [ -n "${MODEL:-}" ]; then
	model_args=(--model "$MODEL")
fi

now() { date +%s.%N; }
# e2e BUILD BYTES: compress and decompress the first BYTES of TEXT with the
# given build, threads 1 and 2, checking the round trip.
e2e() {
	local build=$1 bytes=$2 threads
	head -c "$bytes" "$text" >"$work/in"
	local size
	size=$(wc -c <"$work/in")
	for threads in 1 2; do
		t0=$(now)
		"$work/$build" compress -q "${model_args[@]}" --threads "$threads" -c "$work/in" >"$work/t.mbz"
		t1=$(now)
		"$work/$build" decompress -q "${model_args[@]}" --threads "$threads" -c "$work/t.mbz" >"$work/t.out"
		t2=$(now)
		cmp "$work/in" "$work/t.out"
		csize=$(wc -c <"$work/t.mbz")
		awk -v bu="$build" -v th="$threads" -v a="$t0" -v b="$t1" -v c="$t2" -v n="$size" -v m="$csize" 'BEGIN {
			printf "%-14s %-8s %-11s %9d %9.2f %10.1f %10.3f\n", bu, th, "compress", n, b - a, n / 1e3 / (b - a), 8 * m / n
			printf "%-14s %-8s %-11s %9d %9.2f %10.1f %10s\n", bu, th, "decompress", n, c - b, n / 1e3 / (c - b), "(exact)"
		}'
	done
}
kernels=$("$work/mbzip" --version | sed -n 's/^kernels: //p')
printf 'end to end: %s\nkernels: %s\n' "$text" "$kernels"
if [[ $kernels == avx512* ]]; then
	echo "mbzip-avx2: the same binary on its AVX2 kernels (GODEBUG=cpu.avx512f=off)"
fi
echo
printf '%-14s %-8s %-11s %9s %9s %10s %10s\n' build threads direction bytes seconds 'kB/s' 'bits/byte'
e2e mbzip "${E2E_BYTES:-262144}"
e2e mbzip "${ONE_SEGMENT_BYTES:-32768}"
if [[ $kernels == avx512* ]]; then
	# What an AVX2-only machine runs (most of Intel's client chips).
	printf '#!/bin/sh\nGODEBUG=cpu.avx512f=off exec "%s" "$@"\n' "$work/mbzip" >"$work/mbzip-avx2"
	chmod +x "$work/mbzip-avx2"
	e2e mbzip-avx2 "${E2E_BYTES:-262144}"
fi
e2e mbzip-purego "${PUREGO_BYTES:-8192}"
echo
"$work/mbzip" info "$work/t.mbz" | sed 's/^/  /'
