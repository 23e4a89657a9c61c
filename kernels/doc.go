// Package kernels holds the float32 primitives of the MEGABYTE model and the
// determinism contract that every implementation of them follows.
//
// # The contract
//
// Every result is a pure function of the inputs, identical on every GOARCH,
// CPU, build tag and thread count (DESIGN.md §2):
//
//   - Arithmetic is IEEE binary32 with round-to-nearest-even. An operation
//     documented as "fused" is an exactly rounded float32 FMA (FMA32 here,
//     VFMADD in assembly); every other product is rounded before it is added,
//     forced with an explicit float32 conversion so that no compiler fuses it.
//   - Reductions use L = 16 interleaved lanes: element i goes into lane i mod 16,
//     lanes are accumulated in increasing i, and the lanes are combined by the
//     fixed tree of Reduce16: fold lane j+8 into j, then j+4 into j, then j+2,
//     then j+1. This is the order of one 512-bit register (or two 256-bit ones)
//     folded in halves, so assembly can follow it at full width.
//   - No math transcendentals: Exp, Tanh and GELU are built here from +, −, ×,
//     FMA32 and exact power-of-two scaling. Division and square root (correctly
//     rounded in IEEE) are allowed.
//   - Rounding to IEEE binary16 (HalfBits, RoundHalf) is to nearest even, as
//     VCVTPS2PH with immediate 0; binary16 to float32 (HalfFloat) is exact, so
//     a kernel that reads binary16 operands and converts them on load
//     computes exactly what its float32 twin computes on the rounded values.
//   - A matrix product computes each output element exactly as Dot would on the
//     same row and column, whatever the blocking or batch size.
//
// Functions in this package are single-threaded; callers split rows, heads and
// segments across goroutines, never one reduction.
//
// # Implementations
//
// The pure-Go code is the reference. On amd64, assembly leaves take over
// where the CPU allows (detected once with golang.org/x/sys/cpu): AVX2+FMA,
// with lanes 0-7 and 8-15 of a reduction in two YMM registers, or AVX-512F,
// with all 16 in one ZMM register. The leaves are the 16-lane Dot, R×C
// micro-kernels of MatMulT (each output one accumulator, reduced by exactly
// the Reduce16 tree), elementwise FMA and add (Attention's weighted sum),
// the chunk dots of AttentionStep's weighted sum (8 columns on AVX2, 16 on
// AVX-512),
// elementwise Exp, GELU and GELU′ (Softmax, GELUInPlace, GELUBackwardVec),
// the binary16 conversions (RoundHalf, HalfBitsTo), the key and chunk dots
// of AttentionStepHalf over binary16 caches (AVX2 with F16C, AVX-512), the
// R×C micro-kernels with b in binary16 and the vertical ones over
// pass-ordered binary16 panels (PackLinearHalf's products of a few rows;
// AVX2 with F16C, AVX-512),
// the training step's elementwise leaves (AdamWUpdate on AVX2 and AVX-512,
// and on AVX-512 LayerNormBackwardRows in one leaf),
// the 8×8 blocks of a transpose (the packing of the a·b and aᵀ·b
// products, which only moves floats), and the vertical a·b kernels
// (matmul_vertical.go), which keep 8 (AVX2) or 16 (AVX-512) columns'
// outputs in the lanes of a register and each reduction lane of theirs in
// a register of its own, so that the Reduce16 tree is additions between
// registers (MatMul and MatMulTA, LinearBackward, MatMulT at short k; on
// AVX-512 the a·b products from 128 rows, in place below, and MatMulT from
// 1024 rows, where each was measured faster).
// Blocking and the rest of packing are Go. The micro-kernels
// come in two forms, with and without prefetching the rows of b of the next
// column blocks; which one runs changes speed only. The tail of a reduction (length mod 16 = r ≠ 0) leaves lanes r…15
// exactly as they are — masked FMAs on AVX-512, and on AVX2 masked loads
// whose masked lanes multiply to −0, which adds to any value without
// changing it (a +0 product would turn a −0 lane into +0). Every variant is
// tested bit for bit against the pure-Go twin (variants_test.go), so the
// choice changes speed only. Build with -tags purego to use pure Go.
//
// The assembly is generated with avo by the module in _asm:
// `go generate ./kernels` rewrites kernels_amd64.s, kernels_stubs_amd64.go
// and kernels_table_amd64.go.
package kernels
