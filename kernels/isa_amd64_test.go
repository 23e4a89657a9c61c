//go:build !purego

package kernels

import (
	"os"
	"strings"
	"testing"
)

// TestISAFollowsGODEBUG checks that GODEBUG=cpu.avx512f=off and
// cpu.avx2=off lower the detected level, as CI relies on to run the golden
// tests of model and codec through every level on one machine, and that
// ISA names what the kernels really run.
func TestISAFollowsGODEBUG(t *testing.T) {
	godebug := os.Getenv("GODEBUG")
	level := detectISA()
	t.Logf("GODEBUG=%q: detected %v, ISA() = %q", godebug, level, ISA())
	if strings.Contains(godebug, "cpu.avx2=off") || strings.Contains(godebug, "cpu.fma=off") {
		if level != isaGeneric {
			t.Errorf("GODEBUG=%q: detected %v, want generic", godebug, level)
		}
	}
	if strings.Contains(godebug, "cpu.avx512f=off") && level == isaAVX512 {
		t.Errorf("GODEBUG=%q: detected avx512", godebug)
	}
	if want := os.Getenv("MBZIP_WANT_ISA"); want != "" && ISA() != want {
		t.Errorf("ISA() = %q, MBZIP_WANT_ISA %q", ISA(), want)
	}
	if ISA() != isa.String() && !(isa == isaAVX2 && !f16c) {
		t.Errorf("ISA() = %q, level in use %v", ISA(), isa)
	}
}
