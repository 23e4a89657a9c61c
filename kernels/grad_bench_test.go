package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// trainLinearShapes are the (rows, in, out) of every LinearBackward of a
// "ref" training step over two windows per thread: the global transformer's
// 512 patch rows and the local one's 4096 byte rows.
var trainLinearShapes = [][3]int{
	{512, 256, 768},  // global QKV
	{512, 256, 256},  // global out
	{512, 256, 1024}, // global fc1
	{512, 1024, 256}, // global fc2
	{4096, 32, 96},   // global → local
	{4096, 96, 288},  // local QKV
	{4096, 96, 384},  // local fc1
	{4096, 384, 96},  // local fc2
	{4096, 96, 256},  // head
}

func BenchmarkLinearBackwardTrain(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, s := range trainLinearShapes {
		m, in, out := s[0], s[1], s[2]
		x := benchVec(rng, m*in, 1)
		w := benchVec(rng, out*in, 1)
		dy := benchVec(rng, m*out, 1)
		dx := make([]float32, m*in)
		dw := make([]float32, out*in)
		db := make([]float32, out)
		scratch := make([]float32, LinearBackwardScratch(m, in, out))
		b.Run(fmt.Sprintf("m=%d,in=%d,out=%d", m, in, out), func(b *testing.B) {
			loopCPU(b, func() {
				LinearBackward(dx, dw, db, dy, x, w, m, in, out, scratch)
			})
		})
	}
}

// BenchmarkTranspose measures Transpose (m×n to n×m) per implementation,
// at training shapes and at the operands the AB and AtB layouts of
// BenchmarkMatMulLayouts transpose (1024×256, 96×288).
func BenchmarkTranspose(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	benchEachISA(b, func(b *testing.B) {
		for _, s := range [][2]int{{4096, 96}, {4096, 384}, {512, 1024}, {768, 256}, {256, 256}, {256, 64}, {1024, 256}, {96, 288}} {
			m, n := s[0], s[1]
			a := benchVec(rng, m*n, 1)
			d := make([]float32, m*n)
			b.Run(fmt.Sprintf("%dx%d", m, n), func(b *testing.B) {
				b.SetBytes(int64(4 * m * n))
				loopCPU(b, func() {
					Transpose(d, a, m, n)
				})
			})
		}
	})
}

func BenchmarkMatMulTTrain(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, s := range [][3]int{{4096, 96, 288}, {288, 96, 4096}, {4096, 288, 96}, {96, 384, 4096}, {384, 96, 4096}, {768, 256, 512}, {512, 256, 768}} {
		m, n, k := s[0], s[1], s[2]
		a := benchVec(rng, m*k, 1)
		bt := benchVec(rng, n*k, 1)
		c := make([]float32, m*n)
		b.Run(fmt.Sprintf("m=%d,n=%d,k=%d", m, n, k), func(b *testing.B) {
			for b.Loop() {
				MatMulT(c, a, bt, m, n, k)
			}
			reportGFLOPs(b, 2*float64(m*n*k))
		})
	}
}

func BenchmarkAttentionBackwardTrain(b *testing.B) {
	for _, s := range [][3]int{{256, 4, 256}, {8, 2, 96}} {
		T, heads, dim := s[0], s[1], s[2]
		rng := rand.New(rand.NewPCG(1, 1))
		q := benchVec(rng, T*dim, 1)
		k := benchVec(rng, T*dim, 1)
		v := benchVec(rng, T*dim, 1)
		dout := benchVec(rng, T*dim, 1)
		dq := make([]float32, T*dim)
		dk := make([]float32, T*dim)
		dv := make([]float32, T*dim)
		scratch := make([]float32, AttentionBackwardScratch(T, heads, dim))
		b.Run(fmt.Sprintf("T=%d,heads=%d,dim=%d", T, heads, dim), func(b *testing.B) {
			loopCPU(b, func() {
				AttentionBackward(dq, dk, dv, dout, q, k, v, T, heads, dim, scratch)
			})
		})
	}
}
