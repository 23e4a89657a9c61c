package model

import (
	"errors"
	"fmt"
)

// Errors returned by this package, wrapped with context; test with errors.Is.
var (
	// ErrConfig reports a Config that cannot describe a model.
	ErrConfig = errors.New("model: invalid config")
	// ErrFormat reports a safetensors file that is truncated, malformed or
	// does not match its config.
	ErrFormat = errors.New("model: malformed safetensors")
	// ErrFingerprint reports weights whose fingerprint differs from the one
	// recorded beside them: the file is corrupt.
	ErrFingerprint = errors.New("model: fingerprint mismatch")
)

// Config is the shape of a MEGABYTE model. GlobalDim is PatchSize times the
// per-byte global embedding width e.
type Config struct {
	PatchSize      int `json:"patch_size"`      // P
	GlobalDim      int `json:"global_dim"`      // D_G, width of the global transformer (divisible by P and GlobalHeads)
	GlobalLayers   int `json:"global_layers"`   // blocks of the global transformer
	GlobalHeads    int `json:"global_heads"`    // attention heads of the global transformer
	LocalDim       int `json:"local_dim"`       // D_L, width of the local transformer
	LocalLayers    int `json:"local_layers"`    // blocks of the local transformer
	LocalHeads     int `json:"local_heads"`     // attention heads of the local transformer (divides LocalDim)
	ContextPatches int `json:"context_patches"` // K; the window is K*P bytes
	// GlobalMLP and LocalMLP are the hidden widths of the blocks' MLPs; 0
	// means 4·GlobalDim and 4·LocalDim. Left out of the JSON when 0, so the
	// configs (and fingerprints) of models made before they existed stay
	// the same.
	GlobalMLP int `json:"global_mlp,omitempty"`
	LocalMLP  int `json:"local_mlp,omitempty"`
	// HalfKV rounds the keys and values of the global attention to IEEE
	// binary16 (kernels.RoundHalf) before they are used, so that a decoder
	// caches them in half the memory (kernels.AttentionStepHalf), which
	// it reads once per patch: the same weights with and without HalfKV are
	// two models, with two fingerprints. Left out of the JSON when false.
	HalfKV bool `json:"half_kv,omitempty"`
}

// Limits checked by Validate. They keep every size computed from a Config
// (parameter count, window, workspaces) far from overflow even with a 32-bit
// int, so that Load can trust a validated Config from an untrusted file
// before it allocates anything.
const (
	maxDim    = 1 << 14 // GlobalDim, LocalDim
	maxMLP    = 1 << 16 // GlobalMLP, LocalMLP
	maxLayers = 1 << 8  // GlobalLayers, LocalLayers
	maxPatch  = 1 << 10 // PatchSize
	maxWindow = 1 << 20 // ContextPatches·PatchSize
	maxParams = 1 << 28 // 1 GiB of float32 weights
	lnEps     = 1e-5    // LayerNorm epsilon, as in PyTorch
)

// Configs holds the named configurations. "tiny" is for tests; "ref" is the
// reference shape (P=8, global 4×256 with 4 heads, local 2×96 with 2 heads,
// a 2048-byte window). "small" and "medium" bracket "ref" for experiments.
// "wide" is "ref" with global MLPs of 5·256 instead of 4·256 (1.48 instead
// of 1.35 MFLOP per byte): the most parameters that fit the 1.5 MFLOP/byte
// budget of the default text model, and a model of "ref" grows into it
// without changing its function (see Grow).
var Configs = map[string]Config{
	"tiny":   {PatchSize: 4, GlobalDim: 32, GlobalLayers: 1, GlobalHeads: 2, LocalDim: 16, LocalLayers: 1, LocalHeads: 1, ContextPatches: 16},
	"small":  {PatchSize: 8, GlobalDim: 128, GlobalLayers: 2, GlobalHeads: 2, LocalDim: 64, LocalLayers: 1, LocalHeads: 1, ContextPatches: 128},
	"ref":    {PatchSize: 8, GlobalDim: 256, GlobalLayers: 4, GlobalHeads: 4, LocalDim: 96, LocalLayers: 2, LocalHeads: 2, ContextPatches: 256},
	"wide":   {PatchSize: 8, GlobalDim: 256, GlobalLayers: 4, GlobalHeads: 4, LocalDim: 96, LocalLayers: 2, LocalHeads: 2, ContextPatches: 256, GlobalMLP: 1280},
	"medium": {PatchSize: 8, GlobalDim: 512, GlobalLayers: 6, GlobalHeads: 8, LocalDim: 128, LocalLayers: 2, LocalHeads: 2, ContextPatches: 512},
}

// Validate reports whether c describes a model this package can build. It
// checks positivity, divisibility (P and GlobalHeads divide GlobalDim,
// LocalHeads divides LocalDim) and size limits.
func (c Config) Validate() error {
	fields := []struct {
		name   string
		v, max int
	}{
		{"patch_size", c.PatchSize, maxPatch},
		{"global_dim", c.GlobalDim, maxDim},
		{"global_layers", c.GlobalLayers, maxLayers},
		{"global_heads", c.GlobalHeads, maxDim},
		{"local_dim", c.LocalDim, maxDim},
		{"local_layers", c.LocalLayers, maxLayers},
		{"local_heads", c.LocalHeads, maxDim},
		{"context_patches", c.ContextPatches, maxWindow},
	}
	for _, f := range fields {
		if f.v < 1 || f.v > f.max {
			return fmt.Errorf("%w: %s = %d, want 1..%d", ErrConfig, f.name, f.v, f.max)
		}
	}
	if c.GlobalMLP < 0 || c.GlobalMLP > maxMLP {
		return fmt.Errorf("%w: global_mlp = %d, want 0 (4·global_dim) or 1..%d", ErrConfig, c.GlobalMLP, maxMLP)
	}
	if c.LocalMLP < 0 || c.LocalMLP > maxMLP {
		return fmt.Errorf("%w: local_mlp = %d, want 0 (4·local_dim) or 1..%d", ErrConfig, c.LocalMLP, maxMLP)
	}
	if c.GlobalDim%c.PatchSize != 0 {
		return fmt.Errorf("%w: global_dim %d is not a multiple of patch_size %d", ErrConfig, c.GlobalDim, c.PatchSize)
	}
	if c.GlobalDim%c.GlobalHeads != 0 {
		return fmt.Errorf("%w: global_dim %d is not a multiple of global_heads %d", ErrConfig, c.GlobalDim, c.GlobalHeads)
	}
	if c.LocalDim%c.LocalHeads != 0 {
		return fmt.Errorf("%w: local_dim %d is not a multiple of local_heads %d", ErrConfig, c.LocalDim, c.LocalHeads)
	}
	if w := int64(c.ContextPatches) * int64(c.PatchSize); w > maxWindow {
		return fmt.Errorf("%w: window %d bytes exceeds %d", ErrConfig, w, maxWindow)
	}
	if p := c.params64(); p > maxParams {
		return fmt.Errorf("%w: %d parameters exceed %d", ErrConfig, p, int64(maxParams))
	}
	return nil
}

// Window returns the context window in bytes, ContextPatches·PatchSize.
func (c Config) Window() int { return c.ContextPatches * c.PatchSize }

// globalHidden and localHidden return the MLP hidden widths: GlobalMLP and
// LocalMLP, or 4·GlobalDim and 4·LocalDim where those are 0.
func (c Config) globalHidden() int { return mlpWidth(c.GlobalMLP, c.GlobalDim) }
func (c Config) localHidden() int  { return mlpWidth(c.LocalMLP, c.LocalDim) }

func mlpWidth(h, d int) int {
	if h == 0 {
		return 4 * d
	}
	return h
}

// embedDim returns e = GlobalDim/PatchSize, the per-byte global width.
func (c Config) embedDim() int { return c.GlobalDim / c.PatchSize }

// Params returns the number of float32 parameters. It is meaningful only for
// a Config that passes Validate.
func (c Config) Params() int { return int(c.params64()) }

// blockParams64 is the parameter count of one transformer block of width d
// and MLP hidden width h: two LayerNorms (4d), qkv (3d²+3d), out (d²+d),
// fc1 (hd+h), fc2 (dh+d); 12d²+13d for h = 4d.
func blockParams64(d, h int64) int64 { return 4*d*d + 2*d*h + 9*d + h }

func (c Config) params64() int64 {
	var (
		p   = int64(c.PatchSize)
		dg  = int64(c.GlobalDim)
		dl  = int64(c.LocalDim)
		w   = int64(c.ContextPatches) * p
		hg  = int64(c.globalHidden())
		hl  = int64(c.localHidden())
		e   int64
		sum int64
	)
	if p > 0 {
		e = dg / p
	}
	sum += 256*e + w*e + dg                                  // global embed, pos, pad
	sum += int64(c.GlobalLayers) * blockParams64(dg, hg)     // global blocks
	sum += dl*e + dl                                         // g2l
	sum += 256*dl + p*dl + dl                                // local embed, pos, pad
	sum += int64(c.LocalLayers)*blockParams64(dl, hl) + 2*dl // local blocks, ln_f
	sum += 256*dl + 256                                      // head
	return sum
}

// FLOPsPerByte returns the forward cost of one byte, counting 2 FLOPs per
// multiply-add of the Linear layers and of attention (scores and weighted
// values), averaged over a full window: a global patch at position k attends
// to k+1 patches, so K patches attend to (K+1)/2 on average, and a local
// position likewise to (P+1)/2. LayerNorm, GELU, softmax and embedding adds
// are not counted.
func (c Config) FLOPsPerByte() float64 {
	var (
		p  = float64(c.PatchSize)
		dg = float64(c.GlobalDim)
		dl = float64(c.LocalDim)
		k  = float64(c.ContextPatches)
		e  = dg / p
		hg = float64(c.globalHidden())
		hl = float64(c.localHidden())
	)
	// Per block: qkv and out (4d²), the MLP (2dh), attention.
	globalPatch := float64(c.GlobalLayers) * (4*dg*dg + 2*dg*hg + 2*dg*(k+1)/2)
	local := float64(c.LocalLayers) * (4*dl*dl + 2*dl*hl + 2*dl*(p+1)/2)
	macs := globalPatch/p + e*dl + local + 256*dl
	return 2 * macs
}
