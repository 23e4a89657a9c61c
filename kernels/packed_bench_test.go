package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkLinearWeightsDecode measures LinearWeights.Linear at a decoding
// step's shapes (1 row: one lane; 8 rows, a thread's share with the
// default lanes; and 16):
// the global layers' (ref: 768×256, 1024×256, 256×1024) with their weights
// cold, cycling through copies that overflow L3 (64 MiB of float32 weights)
// as a step does, packed by PackLinear ("f32") and by PackLinearHalf on
// binary16 weights ("half", which AVX-512 reads as binary16); and the local
// layers' (96×96, 384×96, 96×384) and the output head's (256×96), hot.
func BenchmarkLinearWeightsDecode(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	benchEachISA(b, func(b *testing.B) {
		for _, m := range []int{1, 8, 16} {
			for _, s := range [][3]int{{768, 256, 64}, {1024, 256, 64}, {256, 1024, 64}, {96, 96, 1}, {384, 96, 1}, {96, 384, 1}, {256, 96, 1}} {
				out, in, pool := s[0], s[1], s[2]
				x := benchVec(r, m*in, 1)
				y := make([]float32, m*out)
				for _, half := range []bool{false, true} {
					lws := make([]*LinearWeights, pool)
					for i := range lws {
						w := benchVec(r, out*in, 1)
						if half {
							RoundHalf(w)
							lws[i] = PackLinearHalf(w, in, out)
						} else {
							lws[i] = PackLinear(w, in, out)
						}
					}
					name := map[bool]string{false: "f32", true: "half"}[half]
					b.Run(fmt.Sprintf("%dx%dx%d/%s", m, out, in, name), func(b *testing.B) {
						cycle(b, pool, func(i int) { lws[i].Linear(y, x, nil, m) })
						reportGFLOPs(b, 2*float64(m*out*in))
					})
				}
			}
		}
	})
}
