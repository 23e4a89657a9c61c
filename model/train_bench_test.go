package model

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkAccumulate runs the training forward and backward over one full
// window, the unit of work of a training thread; B/s counts window bytes.
func BenchmarkAccumulate(b *testing.B) {
	for _, name := range []string{"tiny", "small", "ref"} {
		b.Run(name, func(b *testing.B) {
			cfg := Configs[name]
			m := newTestModel(b, cfg, 1)
			win := [][]byte{randBytes(rand.New(rand.NewPCG(1, 2)), cfg.Window())}
			ws := NewGradWorkspace(m, 1)
			b.SetBytes(int64(cfg.Window()))
			b.ReportAllocs()
			b.ResetTimer()
			c0 := processCPU()
			for range b.N {
				if _, err := ws.Accumulate(win, 1/float32(cfg.Window())); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(processCPU()-c0)/1e6/float64(b.N), "cpu-ms/op")
			reportGFLOPs(b, cfg, cfg.Window()) // forward FLOPs only: ×3 for the training work
		})
	}
}

// BenchmarkTrainStep runs whole optimizer steps (sampling, forward, backward,
// gradient sum, clipping, AdamW) of two windows per thread, after one
// untimed step; B/s is training bytes per second, the figure
// Progress.BytesPerSec reports. The thread
// counts are 1 and 2, or the comma-separated list in
// $MBZIP_BENCH_TRAIN_THREADS (e.g. 16 on a bigger machine, to profile the
// trainer as it runs there).
func BenchmarkTrainStep(b *testing.B) {
	threadCounts := []int{1, 2}
	if env := os.Getenv("MBZIP_BENCH_TRAIN_THREADS"); env != "" {
		threadCounts = threadCounts[:0]
		for _, f := range strings.Split(env, ",") {
			t, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || t < 1 {
				b.Fatalf("MBZIP_BENCH_TRAIN_THREADS=%q: want thread counts ≥ 1, comma-separated", env)
			}
			threadCounts = append(threadCounts, t)
		}
	}
	for _, name := range []string{"tiny", "ref"} {
		for _, threads := range threadCounts {
			b.Run(fmt.Sprintf("%s/threads=%d", name, threads), func(b *testing.B) {
				cfg := Configs[name]
				m := newTestModel(b, cfg, 1)
				o := DefaultTrainOptions()
				// One step more than b.N, the first untimed: it allocates
				// the workspaces (about 150 MB for ref), which at a short
				// -benchtime (b.N = 1) weighed more than the step itself.
				o.Steps, o.Batch, o.Threads, o.ValWindows, o.CheckpointEvery = b.N+1, 2*threads, threads, 0, 0
				b.SetBytes(int64(o.Batch * cfg.Window()))
				b.ReportAllocs()
				b.ResetTimer()
				b.StopTimer()
				var c0 time.Duration
				timeFrom := func(p Progress) {
					if p.Step == 1 {
						c0 = processCPU()
						b.StartTimer()
					}
				}
				if _, err := Train(context.Background(), m, textData(1), o, nil, timeFrom); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				// CPU time of all threads: on a loaded machine wall time
				// also counts the time other processes hold the cores.
				b.ReportMetric(float64(processCPU()-c0)/1e6/float64(b.N), "cpu-ms/op")
			})
		}
	}
}
