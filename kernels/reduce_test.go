package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// dotByContract is the Dot contract written out literally, one lane at a time.
func dotByContract(x, y []float32) float32 {
	var acc [Lanes]float32
	for i := range x {
		acc[i%Lanes] = FMA32(x[i], y[i], acc[i%Lanes])
	}
	for j := range 8 {
		acc[j] = acc[j] + acc[j+8]
	}
	for j := range 4 {
		acc[j] = acc[j] + acc[j+4]
	}
	for j := range 2 {
		acc[j] = acc[j] + acc[j+2]
	}
	return acc[0] + acc[1]
}

func TestReduce16Order(t *testing.T) {
	// Values chosen so that any other combining order gives a different sum:
	// 2^24 absorbs a 1 unless the 1s meet each other first.
	var a [Lanes]float32
	a[0], a[8] = 1<<24, 1
	a[4], a[12] = 1, -(1 << 24)
	got := Reduce16(&a)
	// Tree: a0 = 2^24+1 → 2^24 (tie to even), a4 = 1−2^24; then a0 = 2^24 + 1 − 2^24 = 1.
	if got != 1 {
		t.Fatalf("Reduce16 = %g, want 1", got)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		var b, c [Lanes]float32
		for i := range b {
			b[i] = float32(r.NormFloat64()) * float32(math.Ldexp(1, r.IntN(40)-20))
		}
		c = b
		want := ((c[0] + c[8]) + (c[4] + c[12])) + ((c[2] + c[10]) + (c[6] + c[14])) +
			(((c[1] + c[9]) + (c[5] + c[13])) + ((c[3] + c[11]) + (c[7] + c[15])))
		if got := Reduce16(&b); !sameBits(got, want) {
			t.Fatalf("Reduce16(%v) = %g, want %g", c, got, want)
		}
	}
}

func TestDotContractAndAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := 0; n <= 1000; n++ {
		x := randF32(r, n+3, 2)
		y := randF32(r, n+3, 2)
		off := n % 3
		xs, ys := x[off:off+n], y[off:off+n+r.IntN(2)] // y may be longer than x
		got := Dot(xs, ys)
		if want := dotByContract(xs, ys[:n]); !sameBits(got, want) {
			t.Fatalf("n=%d: Dot = %g, contract order gives %g", n, got, want)
		}
		ref, abs := dotErr64(xs, ys)
		if d := math.Abs(float64(got) - ref); d > dotTol(n, abs) {
			t.Fatalf("n=%d: Dot = %g, float64 %g, error %g > %g", n, got, ref, d, dotTol(n, abs))
		}
	}
}

func TestDotSignedZero(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	// Every lane holds −0 after one tiny negative product: the sum is −0.
	x := make([]float32, 16)
	y := make([]float32, 16)
	for i := range x {
		x[i], y[i] = -1e-30, 1e-30
	}
	if got := Dot(x, y); !sameBits(got, negZero) {
		t.Fatalf("Dot of underflowing negative products = %g (%#x), want −0", got, math.Float32bits(got))
	}
	if got := Dot(nil, nil); !sameBits(got, 0) {
		t.Fatalf("empty Dot = %g, want +0", got)
	}
}

func TestSum(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for n := 0; n <= 1000; n++ {
		x := randF32(r, n, 3)
		got := Sum(x)
		var acc [Lanes]float32
		for i, v := range x {
			acc[i%Lanes] += v
		}
		if want := Reduce16(&acc); !sameBits(got, want) {
			t.Fatalf("n=%d: Sum = %g, contract order %g", n, got, want)
		}
		var ref, abs float64
		for _, v := range x {
			ref += float64(v)
			abs += math.Abs(float64(v))
		}
		if d := math.Abs(float64(got) - ref); d > dotTol(n, abs) {
			t.Fatalf("n=%d: Sum = %g, float64 %g", n, got, ref)
		}
	}
}

func TestMax(t *testing.T) {
	if got := Max(nil); !math.IsInf(float64(got), -1) {
		t.Fatalf("Max(nil) = %g, want −Inf", got)
	}
	r := rand.New(rand.NewPCG(9, 10))
	for n := 1; n < 200; n++ {
		x := randF32(r, n, 100)
		want := x[0]
		for _, v := range x {
			want = max(want, v)
		}
		if got := Max(x); got != want {
			t.Fatalf("Max = %g, want %g", got, want)
		}
	}
}
