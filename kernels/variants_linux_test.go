//go:build linux

package kernels

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"
)

// fencedFloats returns a slice of n floats that ends exactly where an
// inaccessible page begins, so that reading one element past it faults.
// The backing memory is released when the test ends.
func fencedFloats(t *testing.T, n int) []float32 {
	t.Helper()
	page := syscall.Getpagesize()
	size := (4*n+page-1)/page*page + page
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[size-page:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	end := size - page
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&mem[end-4*n])), n)
}

// TestVariantsNoOverread puts every input at the very end of readable memory:
// a kernel that loads a whole vector where only a few lanes are valid would
// fault here instead of silently reading its neighbour's memory.
func TestVariantsNoOverread(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	forEachISA(t, func(t *testing.T) {
		for n := 0; n <= 40; n++ {
			x := fencedFloats(t, n)
			y := fencedFloats(t, n)
			fillRand(r, x, 1)
			fillRand(r, y, 1)
			if got, want := Dot(x, y), dotGeneric(x, y); !sameBits(got, want) {
				t.Fatalf("n=%d: Dot = %g, want %g", n, got, want)
			}
			axpyVec(y, 0.5, x)
			addVec(y, x)
			_ = Sum(x)
		}
		for _, s := range [][3]int{{1, 1, 1}, {4, 3, 5}, {3, 8, 17}, {5, 9, 31}, {2, 5, 7}} {
			m, n, k := s[0], s[1], s[2]
			a, b := fencedFloats(t, m*k), fencedFloats(t, n*k)
			c := fencedFloats(t, m*n)
			fillRand(r, a, 1)
			fillRand(r, b, 1)
			MatMulT(c, a, b, m, n, k)
			want := make([]float32, m*n)
			matMulTGeneric(want, n, a, k, b, k, m, n, k)
			for i := range c {
				if !sameBits(c[i], want[i]) {
					t.Fatalf("%v: c[%d] = %g, want %g", s, i, c[i], want[i])
				}
			}
		}
		for _, s := range [][2]int{{8, 8}, {9, 17}, {16, 8}, {8, 23}, {25, 9}} {
			m, n := s[0], s[1]
			a, at := fencedFloats(t, m*n), fencedFloats(t, n*m)
			fillRand(r, a, 1)
			Transpose(at, a, m, n)
			for i := range m {
				for j := range n {
					if !sameBits(at[j*m+i], a[i*n+j]) {
						t.Fatalf("transpose %v: at[%d] = %g, want %g", s, j*m+i, at[j*m+i], a[i*n+j])
					}
				}
			}
		}
	})
}
