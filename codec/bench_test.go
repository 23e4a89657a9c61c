package codec

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/mbzip/mbzip/model"
	"github.com/mbzip/mbzip/model/builtin"
)

// benchModels are the models benchmarked: the built-in tiny one and the
// reference shape with random weights (speed does not depend on training).
func benchModels(b *testing.B) []struct {
	name string
	m    *model.Model
	size int // input bytes per operation
} {
	ref, err := model.New(model.Configs["ref"], 1)
	if err != nil {
		b.Fatal(err)
	}
	return []struct {
		name string
		m    *model.Model
		size int
	}{
		{"tiny", tinyModel(b), 32 << 10},
		{"ref", ref, 8 << 10},
	}
}

// BenchmarkEncode measures EncodeAll: the model's teacher-forced pass over
// every segment, quantization, range coding, and zstd for the comparison.
// Each operation codes four segments, so threads=2 can use two cores.
func BenchmarkEncode(b *testing.B) {
	for _, bm := range benchModels(b) {
		src := sampleText(bm.size)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", bm.name, threads), func(b *testing.B) {
				b.SetBytes(int64(len(src)))
				for b.Loop() {
					if _, err := EncodeAll(src, WithModel(bm.m), WithThreads(threads), WithSegmentSize(len(src)/4)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkDecode measures DecodeAll of model-coded segments: lock-step
// batched decoding, four segments as the rows of the batches.
func BenchmarkDecode(b *testing.B) {
	for _, bm := range benchModels(b) {
		src := sampleText(bm.size)
		enc, err := EncodeAll(src, WithModel(bm.m), WithSegmentSize(len(src)/4), withMethod(methodModel))
		if err != nil {
			b.Fatal(err)
		}
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", bm.name, threads), func(b *testing.B) {
				b.SetBytes(int64(len(src)))
				for b.Loop() {
					if _, err := DecodeAll(enc, WithModel(bm.m), WithThreads(threads)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkDecodeFile decodes the .mbz file named by $MBZIP_BENCH_FILE (made
// with a built-in model, or with the .safetensors file $MBZIP_BENCH_MODEL)
// at $MBZIP_BENCH_THREADS threads (default 1), for profiling decompression
// on real data: go test ./codec -run '^$' -bench DecodeFile -cpuprofile
// cpu.out. It is skipped when MBZIP_BENCH_FILE is unset.
func BenchmarkDecodeFile(b *testing.B) {
	enc, threads := benchFile(b, "MBZIP_BENCH_FILE")
	info, err := Inspect(bytes.NewReader(enc))
	if err != nil {
		b.Fatal(err)
	}
	opts := append(benchModelOption(b), WithThreads(threads))
	b.SetBytes(info.OriginalSize)
	for b.Loop() {
		if _, err := DecodeAll(enc, opts...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeFile compresses the file named by $MBZIP_BENCH_INPUT with
// the model $MBZIP_BENCH_MODEL (default: the default text model) at
// $MBZIP_BENCH_THREADS threads (default 1), for profiling compression on
// real data: go test ./codec -run '^$' -bench EncodeFile -cpuprofile
// cpu.out. It is skipped when MBZIP_BENCH_INPUT is unset.
func BenchmarkEncodeFile(b *testing.B) {
	src, threads := benchFile(b, "MBZIP_BENCH_INPUT")
	opts := append(benchModelOption(b), WithThreads(threads))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := EncodeAll(src, opts...); err != nil {
			b.Fatal(err)
		}
	}
}

// benchModelOption returns WithModel of $MBZIP_BENCH_MODEL, a built-in
// model's name or a .safetensors file (so that a test binary built with
// -tags mbzip_nobuiltin, small enough to carry to another machine, can
// profile a real model there), or nothing when it is unset.
func benchModelOption(b *testing.B) []Option {
	name := os.Getenv("MBZIP_BENCH_MODEL")
	if name == "" {
		return nil
	}
	var m *model.Model
	var err error
	if strings.HasSuffix(name, ".safetensors") {
		var data []byte
		if data, err = os.ReadFile(name); err == nil {
			m, err = model.Load(data)
		}
	} else {
		m, err = builtin.Lookup(name)
	}
	if err != nil {
		b.Fatalf("MBZIP_BENCH_MODEL: %v", err)
	}
	return []Option{WithModel(m)}
}

// benchFile reads the file named by the environment variable fileVar,
// skipping the benchmark when it is unset, and the thread count
// $MBZIP_BENCH_THREADS (default 1).
func benchFile(b *testing.B, fileVar string) (data []byte, threads int) {
	name := os.Getenv(fileVar)
	if name == "" {
		b.Skip(fileVar + " is not set")
	}
	data, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	threads = 1
	if s := os.Getenv("MBZIP_BENCH_THREADS"); s != "" {
		if threads, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	return data, threads
}
