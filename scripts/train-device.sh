#!/usr/bin/env bash
# Prepares .carry/ (ignored by git) for a training run of `mbzip train` on the
# remote device machine, and prints the call to make.
#
#   bash scripts/train-device.sh [--resume CKPT | --init MODEL] [--config NAME] [--duration 9m] [--threads 16] [--park] [-- TRAIN-FLAGS...]
#
# Flags after -- go to `mbzip train` as they are, after the script's own
# (a later flag wins): e.g. -- --weight gutenberg-en=3 --steps 2200 --lr 2e-4.
# --config with --init grows the initial model into that config (wider
# MLPs, the same function at the start): --init text-ref-v7.safetensors
# --config wide.
#
# It builds a static linux/amd64 mbzip into .carry/bin/, copies the text
# shards of the training corpus into .carry/corpus/text/ (SRC overrides
# /work/shared/corpus/train/text), uses .carry/text-extra/ as a second corpus
# folder when it exists, and with --resume copies a checkpoint into
# .carry/ckpt/; --init copies a model to continue from into .carry/init/,
# xz-compressed like the binary (the wide model's 16 MB become 15, which
# keeps it, the corpus and the binary under the limit).
# The working tree travels too (tracked files: the eight text priors are
# 114 MB of it), and tree + carry must stay under 64 MiB: --park moves the
# shipped weights (model/builtin/*.safetensors, not needed by the slim
# binary) into .carry/parked/ for the call; put them back afterwards with
#   mv .carry/parked/*.safetensors model/builtin/
# The remote machine is a plain 16-core x86-64 box for this
# trainer (it does not use the GPU; the nvidia-h200-x2 kind lends 32 cores:
# --threads 32 there trained the wide model at 201–239 kB/s); nothing there can reach this machine,
# so everything the run needs travels in the carried paths (64 MiB in all).
#
# What comes back from $OUT is at most 8 files of 16 MiB: the model of the
# "ref" config is 14 MB, but its checkpoint (weights + two AdamW moments) is
# 42 MB, so the printed command writes the checkpoint outside $OUT and
# splits it into 15 MB parts there. Join them with
#   cat run.ckpt.part* > run.ckpt
# (a checkpoint is an uncompressed tar: `tar xf run.ckpt model.safetensors`
# also gives the model).
set -euo pipefail

cd "$(dirname "$0")/.."
SRC=${SRC:-/work/shared/corpus/train/text}
config=ref
config_set=
duration=9m
threads=16
resume=
init=
park=
extra=
while [ $# -gt 0 ]; do
	case $1 in
	--) shift; extra=" $*"; break ;;
	--resume) resume=$2; shift 2 ;;
	--init) init=$2; shift 2 ;;
	--park) park=1; shift ;;
	--config) config=$2; config_set=1; shift 2 ;;
	--duration) duration=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	-h | --help) sed -n '2,36p' "$0"; exit 0 ;;
	*) echo "train-device.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
	esac
done

rm -rf .carry/bin && mkdir -p .carry/bin .carry/corpus/text
# Without the embedded weights (-tags mbzip_nobuiltin) and xz-compressed, the
# binary is about 6 MB instead of 33; the device unpacks it with Python's lzma
# (it has no xz command). --init takes the shipped weights from the working
# tree (model/builtin/*.safetensors), which travels anyway.
echo "building .carry/bin/mbzip.xz (static linux/amd64, no built-in weights)" >&2
CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -tags mbzip_nobuiltin -trimpath -ldflags='-s -w' -o .carry/bin/mbzip ./cmd/mbzip
xz -T2 -6 .carry/bin/mbzip

shopt -s nullglob
shards=("$SRC"/*.tar.zst)
if [ ${#shards[@]} -eq 0 ]; then
	echo "train-device.sh: no .tar.zst shards in $SRC" >&2
	exit 1
fi
echo "copying ${#shards[@]} shards from $SRC to .carry/corpus/text/" >&2
cp -f "${shards[@]}" .carry/corpus/text/

carry='".carry/bin", ".carry/corpus"'
corpora="--corpus .carry/corpus/text"
if [ -d .carry/text-extra ]; then
	carry="$carry, \".carry/text-extra\""
	corpora="$corpora --corpus .carry/text-extra"
fi
resumeFlag="--config $config --steps 500 --batch 32 --warmup 50"
unpack="shutil.copyfileobj(lzma.open('.carry/bin/mbzip.xz'),open('/tmp/mbzip','wb'))"
if [ -n "$init" ]; then
	rm -rf .carry/init && mkdir -p .carry/init
	xz -T2 -6 -c "$init" >.carry/init/init.safetensors.xz
	carry="$carry, \".carry/init\""
	unpack="$unpack;shutil.copyfileobj(lzma.open('.carry/init/init.safetensors.xz'),open('/tmp/init.safetensors','wb'))"
	resumeFlag="--init /tmp/init.safetensors --seed $RANDOM --steps 1000 --batch 32 --warmup 20 --lr 3e-4"
	[ -n "$config_set" ] && resumeFlag="$resumeFlag --config $config"
fi
if [ -n "$resume" ]; then
	mkdir -p .carry/ckpt
	cp -f "$resume" .carry/ckpt/run.ckpt
	carry="$carry, \".carry/ckpt\""
	# The schedule, batch and thread count come from the checkpoint.
	resumeFlag="--resume .carry/ckpt/run.ckpt"
fi

if [ -n "$park" ]; then
	mkdir -p .carry/parked
	for f in model/builtin/*.safetensors; do
		[ -e "$f" ] && mv "$f" .carry/parked/
	done
	echo "parked the shipped weights in .carry/parked/; after the call: mv .carry/parked/*.safetensors model/builtin/" >&2
fi

# The working tree (tracked and untracked, not ignored) and everything
# carried must fit 64 MiB.
paths=(.carry/bin .carry/corpus)
[ -d .carry/text-extra ] && paths+=(.carry/text-extra)
[ -n "$resume" ] && paths+=(.carry/ckpt)
[ -n "$init" ] && paths+=(.carry/init)
carried=$(du -cb "${paths[@]}" | tail -1 | cut -f1)
# (Parked files are still listed by git ls-files; du skips them.)
tree=$( (git ls-files -z; git ls-files -z --others --exclude-standard) | { xargs -0 du -cb 2>/dev/null || true; } | awk '$2=="total"{t+=$1} END{print t+0}')
total=$((carried + tree))
echo "carried: $((carried / 1024 / 1024)) MiB in ${paths[*]}, working tree $((tree / 1024 / 1024)) MiB" >&2
if [ "$total" -gt $((64 * 1024 * 1024)) ]; then
	echo "train-device.sh: WARNING: tree + carry is over the 64 MiB a call may take; use --park or carry fewer shards" >&2
fi

cat <<EOF

Device call (run tool), kind nvidia-h200, timeout_s 600, carry [$carry]:

set -o pipefail; python3 -c "import lzma,shutil;$unpack" && chmod +x /tmp/mbzip && /tmp/mbzip train $corpora $resumeFlag --threads $threads --val-every 100 --val-windows 32 --checkpoint-every 100 --log-every 10 --duration $duration$extra --checkpoint /tmp/run.ckpt -o \$OUT/text-$config.safetensors 2>&1 | tee \$OUT/train.log; rc=\$?; split -b 15M -d /tmp/run.ckpt \$OUT/run.ckpt.part; exit \$rc

Afterwards, in files_at: cat run.ckpt.part* > run.ckpt
EOF
