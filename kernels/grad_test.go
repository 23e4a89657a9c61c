package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The tests below check every backward kernel in two steps:
//
//  1. an independent float64 reference of the forward and of its gradient,
//     checked against central finite differences of the float64 forward, and
//     its forward checked against the float32 forward kernel (so the reference
//     describes the function the model computes);
//  2. the float32 backward kernel against the float64 reference gradient.
//
// A scalar loss L = Σ r ⊙ f(inputs) with a random r turns each op into a
// function with a gradient; r plays the role of dy.

func randVec(rng *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32((rng.Float64()*2 - 1) * scale)
	}
	return v
}

func to64(v []float32) []float64 {
	w := make([]float64, len(v))
	for i, x := range v {
		w[i] = float64(x)
	}
	return w
}

// relErr returns ‖got − want‖₂ / max(‖want‖₂, tiny).
func relErr(got []float32, want []float64) float64 {
	var num, den float64
	for i, w := range want {
		d := float64(got[i]) - w
		num += d * d
		den += w * w
	}
	return math.Sqrt(num) / math.Max(math.Sqrt(den), 1e-30)
}

// relErr64 is relErr for two float64 vectors.
func relErr64(got, want []float64) float64 {
	var num, den float64
	for i, w := range want {
		d := got[i] - w
		num += d * d
		den += w * w
	}
	return math.Sqrt(num) / math.Max(math.Sqrt(den), 1e-30)
}

func dot64(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// numGrad returns the central finite-difference gradient of f at x (which it
// perturbs in place and restores).
func numGrad(f func() float64, x []float64, h float64) []float64 {
	g := make([]float64, len(x))
	for i := range x {
		old := x[i]
		x[i] = old + h
		fp := f()
		x[i] = old - h
		fm := f()
		x[i] = old
		g[i] = (fp - fm) / (2 * h)
	}
	return g
}

func checkFD(t *testing.T, name string, analytic, numeric []float64) {
	t.Helper()
	if e := relErr64(analytic, numeric); e > 1e-6 || math.IsNaN(e) {
		t.Errorf("%s: float64 reference vs finite differences: relative error %.3g", name, e)
	}
}

func checkGrad(t *testing.T, name string, got []float32, want []float64, tol float64) {
	t.Helper()
	for i, g := range got {
		if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
			t.Fatalf("%s[%d] = %v", name, i, g)
		}
	}
	if e := relErr(got, want); e > tol || math.IsNaN(e) {
		t.Errorf("%s: float32 kernel vs float64 reference: relative error %.3g > %.3g", name, e, tol)
	}
}

// ---- Linear ----

func linear64(x, w, b []float64, m, in, out int) []float64 {
	y := make([]float64, m*out)
	for i := range m {
		for o := range out {
			s := 0.0
			if b != nil {
				s = b[o]
			}
			for j := range in {
				s += x[i*in+j] * w[o*in+j]
			}
			y[i*out+o] = s
		}
	}
	return y
}

func linearGrad64(dy, x, w []float64, m, in, out int) (dx, dw, db []float64) {
	dx = make([]float64, m*in)
	dw = make([]float64, out*in)
	db = make([]float64, out)
	for i := range m {
		for o := range out {
			g := dy[i*out+o]
			db[o] += g
			for j := range in {
				dx[i*in+j] += g * w[o*in+j]
				dw[o*in+j] += g * x[i*in+j]
			}
		}
	}
	return dx, dw, db
}

func TestLinearBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 33, 18}, {40, 20, 50}, {256, 9, 5}, {300, 7, 13}, {531, 17, 6}, {520, 32, 48}, {64, 16, 32}, {48, 24, 16}} {
		m, in, out := sh[0], sh[1], sh[2]
		t.Run(fmt.Sprintf("m%d_in%d_out%d", m, in, out), func(t *testing.T) {
			x := randVec(rng, m*in, 1)
			w := randVec(rng, out*in, 0.5)
			b := randVec(rng, out, 0.5)
			dy := randVec(rng, m*out, 1)
			x64, w64, b64, r64 := to64(x), to64(w), to64(b), to64(dy)

			// The float64 forward is the function the kernel computes.
			y := make([]float32, m*out)
			Linear(y, x, w, b, m, in, out)
			checkGrad(t, "forward", y, linear64(x64, w64, b64, m, in, out), 1e-5)

			rdx, rdw, rdb := linearGrad64(r64, x64, w64, m, in, out)
			if m*in*out <= 2000 {
				loss := func() float64 { return dot64(r64, linear64(x64, w64, b64, m, in, out)) }
				checkFD(t, "dx", rdx, numGrad(loss, x64, 1e-5))
				checkFD(t, "dw", rdw, numGrad(loss, w64, 1e-5))
				checkFD(t, "db", rdb, numGrad(loss, b64, 1e-5))
			}

			dx := make([]float32, m*in)
			dw := make([]float32, out*in)
			db := make([]float32, out)
			scratch := make([]float32, LinearBackwardScratch(m, in, out))
			LinearBackward(dx, dw, db, dy, x, w, m, in, out, scratch)
			checkGrad(t, "dx", dx, rdx, 1e-5)
			checkGrad(t, "dw", dw, rdw, 1e-5)
			checkGrad(t, "db", db, rdb, 1e-5)

			// Documented order: dx is Dot over o of row i of dy and column j
			// of w; dw adds, chunk of linearBackwardRows rows after chunk,
			// the Dot over the chunk's rows of the columns; db likewise the
			// Sum of the chunk of a column.
			col := func(a []float32, rows, cols, c int) []float32 {
				v := make([]float32, rows)
				for r := range rows {
					v[r] = a[r*cols+c]
				}
				return v
			}
			for i := range m {
				for j := range in {
					want := Dot(dy[i*out:(i+1)*out], col(w, out, in, j))
					if math.Float32bits(dx[i*in+j]) != math.Float32bits(want) {
						t.Fatalf("dx[%d,%d] = %v, want Dot order %v", i, j, dx[i*in+j], want)
					}
				}
			}
			// spec returns dw and db after one call that starts from dw0, db0.
			spec := func(dw0, db0 []float32) (sw, sb []float32) {
				sw = append([]float32(nil), dw0...)
				sb = append([]float32(nil), db0...)
				for i0 := 0; i0 < m; i0 += linearBackwardRows {
					rows := min(linearBackwardRows, m-i0)
					dyc, xc := dy[i0*out:(i0+rows)*out], x[i0*in:(i0+rows)*in]
					for o := range out {
						sb[o] += Sum(col(dyc, rows, out, o))
						for j := range in {
							sw[o*in+j] += Dot(col(dyc, rows, out, o), col(xc, rows, in, j))
						}
					}
				}
				return sw, sb
			}
			sw, sb := spec(make([]float32, out*in), make([]float32, out))
			for o := range out {
				if math.Float32bits(db[o]) != math.Float32bits(sb[o]) {
					t.Fatalf("db[%d] = %v, want chunked Sum %v", o, db[o], sb[o])
				}
				for j := range in {
					if math.Float32bits(dw[o*in+j]) != math.Float32bits(sw[o*in+j]) {
						t.Fatalf("dw[%d,%d] = %v, want chunked Dot order %v", o, j, dw[o*in+j], sw[o*in+j])
					}
				}
			}

			// dw and db accumulate; dx (possibly nil) is overwritten.
			sw, sb = spec(dw, db)
			LinearBackward(nil, dw, db, dy, x, w, m, in, out, scratch)
			for i := range dw {
				if math.Float32bits(dw[i]) != math.Float32bits(sw[i]) {
					t.Fatalf("dw[%d] after two calls = %v, want %v", i, dw[i], sw[i])
				}
			}
			for i := range db {
				if math.Float32bits(db[i]) != math.Float32bits(sb[i]) {
					t.Fatalf("db[%d] after two calls = %v, want %v", i, db[i], sb[i])
				}
			}
			dx2 := make([]float32, m*in)
			for i := range dx2 {
				dx2[i] = 123
			}
			LinearBackward(dx2, make([]float32, out*in), nil, dy, x, w, m, in, out, scratch)
			for i := range dx {
				if dx2[i] != dx[i] {
					t.Fatalf("dx is not overwritten: dx[%d] = %v, want %v", i, dx2[i], dx[i])
				}
			}
		})
	}
}

// ---- LayerNorm ----

func layerNorm64(x, g, b []float64, eps float64) []float64 {
	n := float64(len(x))
	var mean float64
	for _, v := range x {
		mean += v
	}
	mean /= n
	var vr float64
	for _, v := range x {
		vr += (v - mean) * (v - mean)
	}
	vr /= n
	r := 1 / math.Sqrt(vr+eps)
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = (v-mean)*r*g[i] + b[i]
	}
	return y
}

// layerNormGrad64 is the textbook backward written out term by term (through
// the variance and the mean), not the compact formula the kernel uses.
func layerNormGrad64(dy, x, g []float64, eps float64) (dx, dg, db []float64) {
	n := len(x)
	nf := float64(n)
	var mean float64
	for _, v := range x {
		mean += v
	}
	mean /= nf
	var vr float64
	for _, v := range x {
		vr += (v - mean) * (v - mean)
	}
	vr /= nf
	std := math.Sqrt(vr + eps)
	dx = make([]float64, n)
	dg = make([]float64, n)
	db = make([]float64, n)
	dxhat := make([]float64, n)
	var dvar, dmean float64
	for i, v := range x {
		xh := (v - mean) / std
		dg[i] = dy[i] * xh
		db[i] = dy[i]
		dxhat[i] = dy[i] * g[i]
		dvar += dxhat[i] * (v - mean) * -0.5 * math.Pow(vr+eps, -1.5)
	}
	for i, v := range x {
		dmean += -dxhat[i]/std + dvar*-2*(v-mean)/nf
	}
	for i, v := range x {
		dx[i] = dxhat[i]/std + dvar*2*(v-mean)/nf + dmean/nf
	}
	return dx, dg, db
}

func TestLayerNormBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const eps = 1e-5
	for _, n := range []int{1, 3, 7, 16, 33, 96, 256} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			x := randVec(rng, n, 2)
			for i := range x {
				x[i] += 0.7 // a non-zero mean
			}
			g := randVec(rng, n, 1)
			b := randVec(rng, n, 1)
			dy := randVec(rng, n, 1)
			x64, g64, b64, r64 := to64(x), to64(g), to64(b), to64(dy)

			y := make([]float32, n)
			LayerNorm(y, x, g, b, eps)
			checkGrad(t, "forward", y, layerNorm64(x64, g64, b64, eps), 1e-5)

			rdx, rdg, rdb := layerNormGrad64(r64, x64, g64, eps)
			loss := func() float64 { return dot64(r64, layerNorm64(x64, g64, b64, eps)) }
			checkFD(t, "dx", rdx, numGrad(loss, x64, 1e-6))
			checkFD(t, "dg", rdg, numGrad(loss, g64, 1e-6))
			checkFD(t, "db", rdb, numGrad(loss, b64, 1e-6))

			dx := make([]float32, n)
			dg := make([]float32, n)
			db := make([]float32, n)
			LayerNormBackward(dx, dg, db, dy, x, g, eps)
			// For n = 1 the true dx is exactly 0; compare absolutely.
			if n == 1 {
				if math.Abs(float64(dx[0])) > 1e-6 {
					t.Errorf("dx = %v, want 0", dx[0])
				}
			} else {
				checkGrad(t, "dx", dx, rdx, 1e-4)
			}
			checkGrad(t, "dg", dg, rdg, 1e-5)
			checkGrad(t, "db", db, rdb, 1e-6)

			// dg and db accumulate.
			dg1 := append([]float32(nil), dg...)
			LayerNormBackward(dx, dg, nil, dy, x, g, eps)
			for i := range dg {
				if dg[i] != 2*dg1[i] {
					t.Fatalf("dg[%d] after two calls = %v, want %v", i, dg[i], 2*dg1[i])
				}
			}
		})
	}
}

// ---- GELU ----

const (
	refGeluC = 0.7978845608028654
	refGeluA = 0.044715
)

func gelu64(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(refGeluC*(x+refGeluA*x*x*x)))
}

func geluGrad64(x float64) float64 {
	u := refGeluC * (x + refGeluA*x*x*x)
	th := math.Tanh(u)
	return 0.5*(1+th) + 0.5*x*(1-th*th)*refGeluC*(1+3*refGeluA*x*x)
}

func TestGELUBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 400
	x := randVec(rng, n, 6)
	x = append(x, 0, -0, 12, -12, 1e-20, -30, 30) // edges: flat tails, the origin
	n = len(x)
	dy := randVec(rng, n, 1)

	for i, v := range x {
		if d := math.Abs(float64(GELU(v)) - gelu64(float64(v))); d > 1e-5*math.Max(1, math.Abs(float64(v))) {
			t.Fatalf("GELU(%v): kernel %v, reference %v", v, GELU(v), gelu64(float64(v)))
		}
		num := (gelu64(float64(v)+1e-6) - gelu64(float64(v)-1e-6)) / 2e-6
		if math.Abs(num-geluGrad64(float64(v))) > 1e-7 {
			t.Fatalf("GELU′(%v): reference %v, finite differences %v", v, geluGrad64(float64(v)), num)
		}
		_ = i
	}

	dx := make([]float32, n)
	GELUBackward(dx, dy, x)
	for i, v := range x {
		want := float64(dy[i]) * geluGrad64(float64(v))
		if math.Abs(float64(dx[i])-want) > 1e-5 {
			t.Errorf("dx at x=%v: %v, want %v", v, dx[i], want)
		}
	}
	// dx may alias dy.
	alias := append([]float32(nil), dy...)
	GELUBackward(alias, alias, x)
	for i := range dx {
		if alias[i] != dx[i] {
			t.Fatalf("aliased dx[%d] = %v, want %v", i, alias[i], dx[i])
		}
	}
}

// ---- Softmax cross-entropy ----

func xent64(logits []float64, target int) float64 {
	m := math.Inf(-1)
	for _, l := range logits {
		m = math.Max(m, l)
	}
	var s float64
	for _, l := range logits {
		s += math.Exp(l - m)
	}
	return math.Log(s) + m - logits[target]
}

func TestSoftmaxCrossEntropy(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 20 {
		logits := randVec(rng, 256, 1+float64(trial))
		target := byte(rng.IntN(256))
		l64 := to64(logits)
		want := xent64(l64, int(target))
		// Reference gradient p − onehot, checked by finite differences.
		ref := make([]float64, 256)
		for i := range ref {
			ref[i] = math.Exp(-xent64(l64, i))
		}
		ref[target]--
		checkFD(t, "dlogits", ref, numGrad(func() float64 { return xent64(l64, int(target)) }, l64, 1e-6))

		d := make([]float32, 256)
		loss := SoftmaxCrossEntropy(d, logits, target)
		if math.Abs(float64(loss)-want) > 1e-5*math.Max(1, want) {
			t.Errorf("trial %d: loss %v, want %v", trial, loss, want)
		}
		checkGrad(t, "dlogits", d, ref, 1e-5)
		if s := Sum(d); math.Abs(float64(s)) > 1e-5 {
			t.Errorf("trial %d: Σ dlogits = %v, want 0", trial, s)
		}
	}

	// A target far below the rest: p[target] underflows in float32, the loss
	// must still be finite and right.
	logits := make([]float32, 256)
	logits[9] = -200
	d := make([]float32, 256)
	loss := SoftmaxCrossEntropy(d, logits, 9)
	if want := xent64(to64(logits), 9); math.Abs(float64(loss)-want) > 1e-4 {
		t.Errorf("underflow: loss %v, want %v", loss, want)
	}
	if d[9] != -1 {
		t.Errorf("underflow: dlogits[target] = %v, want -1", d[9])
	}
}

// ---- Attention ----

func attention64(q, k, v []float64, T, heads, dim int) []float64 {
	hd := dim / heads
	scale := 1 / math.Sqrt(float64(hd))
	out := make([]float64, T*dim)
	for h := range heads {
		for t := range T {
			s := make([]float64, t+1)
			m := math.Inf(-1)
			for j := range s {
				for d := range hd {
					s[j] += q[t*dim+h*hd+d] * k[j*dim+h*hd+d]
				}
				s[j] *= scale
				m = math.Max(m, s[j])
			}
			var z float64
			for j := range s {
				s[j] = math.Exp(s[j] - m)
				z += s[j]
			}
			for j := range s {
				for d := range hd {
					out[t*dim+h*hd+d] += s[j] / z * v[j*dim+h*hd+d]
				}
			}
		}
	}
	return out
}

// attentionGrad64 differentiates through out = P·V with the Jacobian of the
// softmax written as diag(p) − p·pᵀ, a different arrangement from the kernel's.
func attentionGrad64(dout, q, k, v []float64, T, heads, dim int) (dq, dk, dv []float64) {
	hd := dim / heads
	scale := 1 / math.Sqrt(float64(hd))
	dq = make([]float64, T*dim)
	dk = make([]float64, T*dim)
	dv = make([]float64, T*dim)
	for h := range heads {
		c := h * hd
		for t := range T {
			n := t + 1
			p := make([]float64, n)
			m := math.Inf(-1)
			for j := range p {
				for d := range hd {
					p[j] += q[t*dim+c+d] * k[j*dim+c+d]
				}
				p[j] *= scale
				m = math.Max(m, p[j])
			}
			var z float64
			for j := range p {
				p[j] = math.Exp(p[j] - m)
				z += p[j]
			}
			dp := make([]float64, n)
			for j := range p {
				p[j] /= z
				for d := range hd {
					dv[j*dim+c+d] += p[j] * dout[t*dim+c+d]
					dp[j] += dout[t*dim+c+d] * v[j*dim+c+d]
				}
			}
			for j := range n {
				var ds float64
				for i := range n {
					jac := -p[j] * p[i]
					if i == j {
						jac += p[j]
					}
					ds += jac * dp[i]
				}
				for d := range hd {
					dq[t*dim+c+d] += ds * scale * k[j*dim+c+d]
					dk[j*dim+c+d] += ds * scale * q[t*dim+c+d]
				}
			}
		}
	}
	return dq, dk, dv
}

func TestAttentionBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, sh := range [][3]int{{1, 1, 4}, {3, 1, 5}, {5, 2, 8}, {8, 2, 96}, {19, 2, 12}, {40, 4, 32}, {64, 2, 34}} {
		T, heads, dim := sh[0], sh[1], sh[2]
		t.Run(fmt.Sprintf("T%d_h%d_d%d", T, heads, dim), func(t *testing.T) {
			q := randVec(rng, T*dim, 1.5)
			k := randVec(rng, T*dim, 1.5)
			v := randVec(rng, T*dim, 1)
			dout := randVec(rng, T*dim, 1)
			q64, k64, v64, r64 := to64(q), to64(k), to64(v), to64(dout)

			out := make([]float32, T*dim)
			Attention(out, q, k, v, T, T, 0, heads, dim, make([]float32, T+Lanes*dim))
			checkGrad(t, "forward", out, attention64(q64, k64, v64, T, heads, dim), 1e-5)

			rdq, rdk, rdv := attentionGrad64(r64, q64, k64, v64, T, heads, dim)
			if T*dim <= 200 {
				loss := func() float64 { return dot64(r64, attention64(q64, k64, v64, T, heads, dim)) }
				checkFD(t, "dq", rdq, numGrad(loss, q64, 1e-5))
				checkFD(t, "dk", rdk, numGrad(loss, k64, 1e-5))
				checkFD(t, "dv", rdv, numGrad(loss, v64, 1e-5))
			}

			dq := randVec(rng, T*dim, 9) // garbage: the kernel overwrites
			dk := randVec(rng, T*dim, 9)
			dv := randVec(rng, T*dim, 9)
			scratch := randVec(rng, AttentionBackwardScratch(T, heads, dim), 9)
			AttentionBackward(dq, dk, dv, dout, q, k, v, T, heads, dim, scratch)
			if T == 1 {
				// One key: the softmax is constant, dq and dk are exactly 0.
				for i := range dq {
					if dq[i] != 0 || dk[i] != 0 {
						t.Fatalf("T=1: dq[%d] = %v, dk[%d] = %v, want 0", i, dq[i], i, dk[i])
					}
				}
			} else {
				checkGrad(t, "dq", dq, rdq, 1e-4)
				checkGrad(t, "dk", dk, rdk, 1e-4)
			}
			checkGrad(t, "dv", dv, rdv, 1e-5)

			// Same inputs, fresh scratch: the same bits.
			dq2 := make([]float32, T*dim)
			dk2 := make([]float32, T*dim)
			dv2 := make([]float32, T*dim)
			AttentionBackward(dq2, dk2, dv2, dout, q, k, v, T, heads, dim, make([]float32, len(scratch)))
			for i := range dq {
				if math.Float32bits(dq[i]) != math.Float32bits(dq2[i]) ||
					math.Float32bits(dk[i]) != math.Float32bits(dk2[i]) ||
					math.Float32bits(dv[i]) != math.Float32bits(dv2[i]) {
					t.Fatalf("result depends on the scratch contents at %d", i)
				}
			}

			// The documented order, bit for bit.
			sq, sk, sv := make([]float32, T*dim), make([]float32, T*dim), make([]float32, T*dim)
			attentionBackwardSpec(sq, sk, sv, dout, q, k, v, T, heads, dim, nil)
			for i := range dq {
				if math.Float32bits(dq[i]) != math.Float32bits(sq[i]) ||
					math.Float32bits(dk[i]) != math.Float32bits(sk[i]) ||
					math.Float32bits(dv[i]) != math.Float32bits(sv[i]) {
					t.Fatalf("element %d: dq, dk, dv = %v %v %v, spec %v %v %v", i, dq[i], dk[i], dv[i], sq[i], sk[i], sv[i])
				}
			}
		})
	}
}

// attentionBackwardSpec is AttentionBackward written plainly after its doc
// comment: heads gathered into contiguous matrices, every row of P by Dot,
// full-T MatMulT products for dk and dv, and dq by one Dot per element.
func attentionBackwardSpec(dq, dk, dv, dout, q, k, v []float32, T, heads, dim int, scratch []float32) {
	hd := dim / heads
	scale := 1 / float32(math.Sqrt(float64(hd)))
	_ = q[:T*dim]
	_ = k[:T*dim]
	_ = v[:T*dim]
	_ = dout[:T*dim]
	_ = dq[:T*dim]
	_ = dk[:T*dim]
	_ = dv[:T*dim]
	tt, th := T*T, T*hd
	s := make([]float32, 3*tt+6*th)
	p, g, sq := s[:tt], s[tt:2*tt], s[2*tt:3*tt] // P, then G, then a transpose of either
	s = s[3*tt:]
	qh, kh, vh, oh := s[:th], s[th:2*th], s[2*th:3*th], s[3*th:4*th]
	tr, res := s[4*th:5*th], s[5*th:6*th] // a hd×T transpose; a T×hd result

	for h := range heads {
		c0 := h * hd
		gatherHead(qh, q, T, dim, c0, hd)
		gatherHead(kh, k, T, dim, c0, hd)
		gatherHead(vh, v, T, dim, c0, hd)
		gatherHead(oh, dout, T, dim, c0, hd)

		// P, row by row as the forward computes it; dP into g.
		clear(p)
		for t := range T {
			pt := p[t*T : t*T+t+1]
			qt := qh[t*hd : (t+1)*hd]
			for j := range pt {
				pt[j] = Dot(qt, kh[j*hd:(j+1)*hd]) * scale
			}
			Softmax(pt, pt)
		}
		MatMulT(g, oh, vh, T, T, hd)
		for t := range T {
			pt := p[t*T : t*T+t+1]
			gt := g[t*T : (t+1)*T]
			c := Dot(pt, gt[:t+1])
			for j, pj := range pt {
				gt[j] = float32(float32(pj*float32(gt[j]-c)) * scale)
			}
			clear(gt[t+1:])
		}

		// dq = G·k, row t over j < L(t) = min(T, 16·⌈(t+1)/16⌉).
		Transpose(tr, kh, T, hd)
		for t := range T {
			n := min(T, (t/Lanes+1)*Lanes)
			for d := range hd {
				res[t*hd+d] = Dot(g[t*T:t*T+n], tr[d*T:d*T+n])
			}
		}
		scatterHead(dq, res, T, dim, c0, hd)
		// dk = Gᵀ·q.
		Transpose(sq, g, T, T)
		Transpose(tr, qh, T, hd)
		MatMulT(res, sq, tr, T, hd, T)
		scatterHead(dk, res, T, dim, c0, hd)
		// dv = Pᵀ·dout.
		Transpose(sq, p, T, T)
		Transpose(tr, oh, T, hd)
		MatMulT(res, sq, tr, T, hd, T)
		scatterHead(dv, res, T, dim, c0, hd)
	}
}

// gatherHead copies columns [c0, c0+hd) of the T×dim matrix src into the
// contiguous T×hd matrix dst.
func gatherHead(dst, src []float32, T, dim, c0, hd int) {
	for t := range T {
		copy(dst[t*hd:(t+1)*hd], src[t*dim+c0:t*dim+c0+hd])
	}
}

// scatterHead is the inverse of gatherHead.
func scatterHead(dst, src []float32, T, dim, c0, hd int) {
	for t := range T {
		copy(dst[t*dim+c0:t*dim+c0+hd], src[t*hd:(t+1)*hd])
	}
}

// An end-to-end check on a float32 composite: finite differences of a small
// two-layer block computed with the forward kernels, against the chained
// backward kernels (relative error < 1e-2 as float32 differences allow).
func TestChainedFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const m, in, hid = 4, 6, 10
	x := randVec(rng, m*in, 1)
	w1 := randVec(rng, hid*in, 0.5)
	b1 := randVec(rng, hid, 0.2)
	g := randVec(rng, hid, 1)
	bb := randVec(rng, hid, 0.2)
	w2 := randVec(rng, 256*hid, 0.5)
	targets := []byte{3, 200, 17, 255}

	forward := func() (loss float64) {
		h := make([]float32, m*hid)
		Linear(h, x, w1, b1, m, in, hid)
		for i := range m {
			LayerNorm(h[i*hid:(i+1)*hid], h[i*hid:(i+1)*hid], g, bb, 1e-5)
		}
		GELUInPlace(h)
		logits := make([]float32, m*256)
		Linear(logits, h, w2, nil, m, hid, 256)
		d := make([]float32, 256)
		for i := range m {
			loss += float64(SoftmaxCrossEntropy(d, logits[i*256:(i+1)*256], targets[i]))
		}
		return loss
	}

	// Backward.
	h0 := make([]float32, m*hid)
	Linear(h0, x, w1, b1, m, in, hid)
	h1 := make([]float32, m*hid)
	for i := range m {
		LayerNorm(h1[i*hid:(i+1)*hid], h0[i*hid:(i+1)*hid], g, bb, 1e-5)
	}
	h2 := append([]float32(nil), h1...)
	GELUInPlace(h2)
	logits := make([]float32, m*256)
	Linear(logits, h2, w2, nil, m, hid, 256)
	dlogits := make([]float32, m*256)
	for i := range m {
		SoftmaxCrossEntropy(dlogits[i*256:(i+1)*256], logits[i*256:(i+1)*256], targets[i])
	}
	dh2 := make([]float32, m*hid)
	dw2 := make([]float32, 256*hid)
	LinearBackward(dh2, dw2, nil, dlogits, h2, w2, m, hid, 256, make([]float32, LinearBackwardScratch(m, hid, 256)))
	dh1 := make([]float32, m*hid)
	GELUBackward(dh1, dh2, h1)
	dh0 := make([]float32, m*hid)
	dg := make([]float32, hid)
	dbb := make([]float32, hid)
	for i := range m {
		LayerNormBackward(dh0[i*hid:(i+1)*hid], dg, dbb, dh1[i*hid:(i+1)*hid], h0[i*hid:(i+1)*hid], g, 1e-5)
	}
	dx := make([]float32, m*in)
	dw1 := make([]float32, hid*in)
	db1 := make([]float32, hid)
	LinearBackward(dx, dw1, db1, dh0, x, w1, m, in, hid, make([]float32, LinearBackwardScratch(m, in, hid)))

	for _, c := range []struct {
		name string
		p    []float32
		grad []float32
	}{{"x", x, dx}, {"w1", w1, dw1}, {"b1", b1, db1}, {"g", g, dg}, {"beta", bb, dbb}, {"w2", w2[:40], dw2[:40]}} {
		num := make([]float64, len(c.p))
		for i := range c.p {
			old := c.p[i]
			h := float32(1e-2) * float32(math.Max(1, math.Abs(float64(old))))
			c.p[i] = old + h
			fp := forward()
			c.p[i] = old - h
			fm := forward()
			c.p[i] = old
			num[i] = (fp - fm) / float64(2*h)
		}
		if e := relErr(c.grad, num); e > 1e-2 {
			t.Errorf("%s: analytic vs float32 finite differences: relative error %.3g", c.name, e)
		}
	}
}

func BenchmarkLinearBackward(b *testing.B) {
	const m, in, out = 64, 256, 1024
	rng := rand.New(rand.NewPCG(1, 1))
	x := randVec(rng, m*in, 1)
	w := randVec(rng, out*in, 1)
	dy := randVec(rng, m*out, 1)
	dx := make([]float32, m*in)
	dw := make([]float32, out*in)
	db := make([]float32, out)
	scratch := make([]float32, LinearBackwardScratch(m, in, out))
	b.ReportAllocs()
	for b.Loop() {
		LinearBackward(dx, dw, db, dy, x, w, m, in, out, scratch)
	}
	b.ReportMetric(float64(2*2*m*in*out)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkAttentionBackward(b *testing.B) {
	const T, heads, dim = 256, 4, 256
	rng := rand.New(rand.NewPCG(1, 1))
	q := randVec(rng, T*dim, 1)
	k := randVec(rng, T*dim, 1)
	v := randVec(rng, T*dim, 1)
	dout := randVec(rng, T*dim, 1)
	dq := make([]float32, T*dim)
	dk := make([]float32, T*dim)
	dv := make([]float32, T*dim)
	scratch := make([]float32, AttentionBackwardScratch(T, heads, dim))
	b.ReportAllocs()
	for b.Loop() {
		AttentionBackward(dq, dk, dv, dout, q, k, v, T, heads, dim, scratch)
	}
}
