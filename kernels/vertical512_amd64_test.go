//go:build !purego

package kernels

import "testing"

// forceVertical512 turns the AVX-512 vertical kernels on for the rest of
// the test, so that an AVX-512 machine tests them whether or not they are
// on by default.
func forceVertical512(t *testing.T) {
	saved := vertical512
	vertical512 = true
	t.Cleanup(func() { vertical512 = saved })
}
