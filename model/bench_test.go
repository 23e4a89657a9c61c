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

// BenchmarkBatch steps 16 rows by one byte per op (Next and Push), as a
// decoder of 16 segments in lock-step does: the rows are aligned, so every
// P-th op runs the global step over all 16 rows at once.
func BenchmarkBatch(b *testing.B) {
	const rows = 16
	for _, name := range []string{"tiny", "ref"} {
		b.Run(name, func(b *testing.B) {
			cfg := Configs[name]
			m := newTestModel(b, cfg, 1)
			seq := randBytes(rand.New(rand.NewPCG(3, 4)), cfg.Window())
			bt := m.NewBatch(rows)
			list := make([]int, rows)
			for i := range list {
				list[i] = i
			}
			probs := make([]float32, rows*256)
			syms := make([]byte, rows)
			b.SetBytes(rows)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				bt.Next(list, probs)
				for r := range syms {
					syms[r] = seq[(i+r)%len(seq)]
				}
				bt.Push(list, syms)
			}
			reportGFLOPs(b, cfg, rows)
		})
	}
}
