//go:build !amd64 || purego

package kernels

import "testing"

// forceVertical512 does nothing where there are no AVX-512 kernels.
func forceVertical512(*testing.T) {}
