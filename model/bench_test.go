package model

import (
	"math/rand/v2"
	"testing"
)

// reportGFLOPs adds bytes/s (readable where MB/s rounds to 0.00) and the
// achieved GFLOP/s (Config.FLOPsPerByte × bytes/s).
func reportGFLOPs(b *testing.B, cfg Config, bytes int) {
	if s := b.Elapsed().Seconds(); s > 0 {
		bps := float64(bytes) * float64(b.N) / s
		b.ReportMetric(bps, "B/s")
		b.ReportMetric(cfg.FLOPsPerByte()*bps/1e9, "GFLOP/s")
	}
}

// BenchmarkForward runs the teacher-forced pass over one full window.
func BenchmarkForward(b *testing.B) {
	for _, name := range []string{"tiny", "ref"} {
		b.Run(name, func(b *testing.B) {
			cfg := Configs[name]
			m := newTestModel(b, cfg, 1)
			seq := randBytes(rand.New(rand.NewPCG(1, 2)), cfg.Window())
			probs := make([]float32, len(seq)*256)
			m.Forward(seq, probs) // warm the workspace pool
			b.SetBytes(int64(len(seq)))
			b.ResetTimer()
			for range b.N {
				m.Forward(seq, probs)
			}
			reportGFLOPs(b, cfg, len(seq))
		})
	}
}

// BenchmarkBatch steps rows by one byte per op (Next and Push), as a decoder
// of that many segments in lock-step does: the rows are aligned, so every
// P-th op runs the global step over all rows at once. tiny and ref run 16
// rows; ref/rows=N shows how the per-byte cost falls as more rows share each
// read of the weights, and threads=2 two threads sharing every step
// (SetThreads).
func BenchmarkBatch(b *testing.B) {
	for _, bc := range []struct {
		name, cfg     string
		rows, threads int
	}{
		{"tiny", "tiny", 16, 1}, {"ref", "ref", 16, 1},
		{"ref/rows=1", "ref", 1, 1}, {"ref/rows=2", "ref", 2, 1}, {"ref/rows=4", "ref", 4, 1}, {"ref/rows=8", "ref", 8, 1},
		{"ref/rows=32", "ref", 32, 1}, {"ref/rows=64", "ref", 64, 1},
		{"ref/rows=1/threads=2", "ref", 1, 2}, {"ref/rows=4/threads=2", "ref", 4, 2},
		{"ref/rows=8/threads=2", "ref", 8, 2}, {"ref/rows=16/threads=2", "ref", 16, 2},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := Configs[bc.cfg]
			m := newTestModel(b, cfg, 1)
			seq := randBytes(rand.New(rand.NewPCG(3, 4)), cfg.Window())
			bt := m.NewBatch(bc.rows)
			bt.SetThreads(bc.threads)
			defer bt.Close()
			list := make([]int, bc.rows)
			for i := range list {
				list[i] = i
			}
			probs := make([]float32, bc.rows*256)
			syms := make([]byte, bc.rows)
			b.SetBytes(int64(bc.rows))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				bt.Next(list, probs)
				for r := range syms {
					syms[r] = seq[(i+r)%len(seq)]
				}
				bt.Push(list, syms)
			}
			reportGFLOPs(b, cfg, bc.rows)
		})
	}
}
