package model

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkBatchRows steps n rows of "ref" by one byte per op, as
// BenchmarkBatch does, for several n: how the per-byte cost falls as more
// rows share each read of the weights.
func BenchmarkBatchRows(b *testing.B) {
	cfg := Configs["ref"]
	m := newTestModel(b, cfg, 1)
	seq := randBytes(rand.New(rand.NewPCG(3, 4)), cfg.Window())
	for _, rows := range []int{1, 2, 4, 8, 16} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			bt := m.NewBatch(rows)
			list := make([]int, rows)
			for i := range list {
				list[i] = i
			}
			probs := make([]float32, rows*256)
			syms := make([]byte, rows)
			b.SetBytes(int64(rows))
			i := 0
			for b.Loop() {
				bt.Next(list, probs)
				for r := range syms {
					syms[r] = seq[(i+r)%len(seq)]
				}
				bt.Push(list, syms)
				i++
			}
			reportGFLOPs(b, cfg, rows)
		})
	}
}
