package kernels

import "math"

// AdamWCoefs are the numbers of one AdamW step that AdamWUpdate applies,
// each rounded to float32 by the caller.
type AdamWCoefs struct {
	Beta1, Beta2 float32 // β1, β2
	C1, C2       float32 // 1 − β1, 1 − β2
	Decay        float32 // 1 − lr·wd, or 1 for parameters that take no decay
	StepSize     float32 // lr / (1 − β1^t)
	SqrtBc2      float32 // √(1 − β2^t)
	Eps          float32 // ε
}

// AdamWUpdate applies one AdamW step to the parameters p, given their
// gradients g and their first and second moments m and v, for i < len(p):
//
//	m[i] = float32(β1·m[i]) + float32(C1·g[i])
//	v[i] = float32(β2·v[i]) + float32(float32(C2·g[i])·g[i])
//	p[i] = float32(p[i]·Decay) − float32(StepSize·m[i]) / (float32(√v[i])/SqrtBc2 + Eps)
//
// with the new m[i] and v[i], every operation one float32 IEEE operation in
// the order written (no fused multiply-add) and the square root correctly
// rounded, so every variant gives the same bits. A Decay of 1 leaves p[i]
// as it is. len(g), len(m) and len(v) must be at least len(p); the slices
// must not overlap.
func AdamWUpdate(p, g, m, v []float32, c AdamWCoefs) {
	n := len(p)
	adamWVec(p, g[:n], m[:n], v[:n], c)
}

// adamWGeneric is AdamWUpdate in Go, on slices of equal length: the
// specification of the assembly.
func adamWGeneric(p, g, m, v []float32, c AdamWCoefs) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i, gi := range g {
		mi := float32(c.Beta1*m[i]) + float32(c.C1*gi)
		vi := float32(c.Beta2*v[i]) + float32(float32(c.C2*gi)*gi)
		m[i], v[i] = mi, vi
		den := float32(math.Sqrt(float64(vi)))/c.SqrtBc2 + c.Eps
		p[i] = float32(p[i]*c.Decay) - float32(c.StepSize*mi)/den
	}
}
