//go:build !purego

package kernels

import "testing"

// forceVertical512 turns the AVX-512 vertical kernels on for the rest of
// the test, at any number of rows, so that an AVX-512 machine tests them
// at every shape whether or not it would take them by default.
func forceVertical512(t *testing.T) {
	saved, savedRows, savedTRows, savedLong := vertical512, vertical512MinRows, vertical512TMinRows, vertical512TLongMinRows
	vertical512, vertical512MinRows, vertical512TMinRows, vertical512TLongMinRows = true, 0, 0, 0
	t.Cleanup(func() {
		vertical512, vertical512MinRows, vertical512TMinRows, vertical512TLongMinRows = saved, savedRows, savedTRows, savedLong
	})
}
