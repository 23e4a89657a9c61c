package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"
)

// testConfigs exercise the shapes Forward and Batch must agree on: the
// named tiny config, odd widths and patch sizes (tails of the 16-lane
// reductions, several heads of odd width) and P = 1 (a local transformer of
// one position), and models with binary16 global keys and values.
var testConfigs = map[string]Config{
	"tiny": Configs["tiny"],
	"odd":  {PatchSize: 3, GlobalDim: 18, GlobalLayers: 2, GlobalHeads: 3, LocalDim: 10, LocalLayers: 2, LocalHeads: 2, ContextPatches: 5},
	"p1":   {PatchSize: 1, GlobalDim: 8, GlobalLayers: 1, GlobalHeads: 2, LocalDim: 8, LocalLayers: 1, LocalHeads: 2, ContextPatches: 7},
	// HalfKV: heads of 32 (the assembly of AttentionStepHalf) and of 10
	// (its pure-Go path).
	"half":     {PatchSize: 4, GlobalDim: 64, GlobalLayers: 2, GlobalHeads: 2, LocalDim: 16, LocalLayers: 1, LocalHeads: 1, ContextPatches: 21, HalfKV: true},
	"half-odd": {PatchSize: 3, GlobalDim: 30, GlobalLayers: 1, GlobalHeads: 3, LocalDim: 10, LocalLayers: 1, LocalHeads: 2, ContextPatches: 6, HalfKV: true},
	// half-all gets binary16 local weights too (HalfLinears); local widths
	// of 32 and 128 give the decoder's products the binary16 panels.
	"half-all": {PatchSize: 4, GlobalDim: 32, GlobalLayers: 1, GlobalHeads: 2, LocalDim: 32, LocalLayers: 2, LocalHeads: 2, ContextPatches: 9, HalfKV: true},
	"wide":     {PatchSize: 5, GlobalDim: 40, GlobalLayers: 1, GlobalHeads: 4, LocalDim: 20, LocalLayers: 2, LocalHeads: 4, ContextPatches: 4},
	"mlp":      {PatchSize: 4, GlobalDim: 24, GlobalLayers: 2, GlobalHeads: 2, LocalDim: 12, LocalLayers: 1, LocalHeads: 3, ContextPatches: 6, GlobalMLP: 37, LocalMLP: 7},
	// Patches longer than kernels.ShortAttentionMax take the local
	// attention's general path; the local heads of 32 (and half-all's of
	// 16) the short one's assembly.
	"p18": {PatchSize: 18, GlobalDim: 36, GlobalLayers: 1, GlobalHeads: 2, LocalDim: 32, LocalLayers: 1, LocalHeads: 1, ContextPatches: 3},
	"p16": {PatchSize: 16, GlobalDim: 32, GlobalLayers: 1, GlobalHeads: 2, LocalDim: 64, LocalLayers: 1, LocalHeads: 2, ContextPatches: 3},
}

// newTestModel returns a model of cfg with seeded weights; one of a HalfKV
// config gets binary16 global weights too (HalfGlobal), and where the local
// width is a multiple of 32 binary16 local weights as well (HalfLinears),
// as the shipped models do, so that an Inference of it takes the binary16
// products.
func newTestModel(t testing.TB, cfg Config, seed uint64) *Model {
	t.Helper()
	m, err := New(cfg, seed)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	switch {
	case cfg.HalfKV && cfg.LocalDim%32 == 0:
		m.HalfLinears()
	case cfg.HalfKV:
		m.HalfGlobal()
	}
	return m
}

// randBytes returns n bytes drawn from a small alphabet part of the time, so
// that sequences have structure as well as noise.
func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		if r.IntN(2) == 0 {
			b[i] = "etaoin "[r.IntN(7)]
		} else {
			b[i] = byte(r.IntN(256))
		}
	}
	return b
}

func forward(m *Model, seq []byte) []float32 {
	probs := make([]float32, len(seq)*256)
	m.Forward(seq, probs)
	return probs
}

// sameBits reports the first index where a and b differ in bits, or -1.
func sameBits(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestForwardBatchIdentical runs many rows in lock-step, each through a queue
// of sequences of assorted lengths (shorter than a patch, not a multiple of
// P, several windows), resetting rows at different times, listing rows in a
// shuffled order, sometimes asking Next twice, and sometimes feeding bytes
// with Push alone; every distribution must equal Forward's bit for bit, with
// one thread and with two or three sharing every step (SetThreads), on the
// model's weights and on an Inference's packed ones.
func TestForwardBatchIdentical(t *testing.T) {
	teams := []int{1, 2, 3}
	if testing.Short() {
		teams = []int{1, 3} // under qemu in CI: one thread, and an uneven team
	}
	for name, cfg := range testConfigs {
		for _, threads := range teams {
			for _, packed := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/threads=%d/packed=%v", name, threads, packed), func(t *testing.T) {
					forwardBatchIdentical(t, name, cfg, threads, packed)
				})
			}
		}
	}
}

func forwardBatchIdentical(t *testing.T, name string, cfg Config, threads int, packed bool) {
	// SetThreads stops at GOMAXPROCS: raise it so that a small machine runs
	// every team size too.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(threads, runtime.GOMAXPROCS(0))))
	m := newTestModel(t, cfg, 7)
	r := rand.New(rand.NewPCG(1, uint64(len(name))))
	p, w := cfg.PatchSize, cfg.Window()
	lengths := []int{1, p - 1, p + 1, 2*p + 1, w - 1, w, w + 1, 2*w + p/2 + 1}
	nrows := 5
	if name == "half-all" {
		nrows = 10 // rows in fours from the binary16 panels, the rest R×C
	}
	type job struct {
		seq   []byte
		probs []float32
	}
	queues := make([][]job, nrows)
	jobs := 3 * nrows
	if testing.Short() {
		jobs = 2 * nrows // under qemu in CI
	}
	for i := range jobs {
		n := max(lengths[r.IntN(len(lengths))], 1)
		seq := randBytes(r, n)
		queues[i%nrows] = append(queues[i%nrows], job{seq, forward(m, seq)})
	}
	b := m.NewBatch(nrows)
	if packed {
		b = m.Inference().NewBatch(nrows)
	}
	b.SetThreads(threads)
	defer b.Close()
	pos := make([]int, nrows)
	probs := make([]float32, nrows*256)
	checked, total := 0, 0
	for _, q := range queues {
		for _, j := range q {
			total += len(j.seq)
		}
	}
	for {
		var rows []int
		for i := range nrows {
			if len(queues[i]) > 0 {
				rows = append(rows, i)
			}
		}
		if len(rows) == 0 {
			break
		}
		r.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		// Some rows skip Next: they are fed with Push alone.
		var asked []int
		for _, row := range rows {
			if r.IntN(8) != 0 {
				asked = append(asked, row)
			}
		}
		b.Next(asked, probs)
		if r.IntN(4) == 0 { // Next again must not step again
			b.Next(asked, probs)
		}
		syms := make([]byte, len(rows))
		for i, row := range rows {
			syms[i] = queues[row][0].seq[pos[row]]
		}
		for i, row := range asked {
			j := queues[row][0]
			want := j.probs[pos[row]*256 : (pos[row]+1)*256]
			if k := sameBits(probs[i*256:(i+1)*256], want); k >= 0 {
				t.Fatalf("row %d byte %d of %d: prob[%d] = %v (batch), %v (forward)",
					row, pos[row], len(j.seq), k, probs[i*256+k], want[k])
			}
			checked++
		}
		b.Push(rows, syms)
		if threads > 1 && r.IntN(64) == 0 { // the team may change between steps
			b.SetThreads(1 + r.IntN(threads))
		}
		for _, row := range rows {
			pos[row]++
			if pos[row] == len(queues[row][0].seq) {
				queues[row] = queues[row][1:]
				pos[row] = 0
				b.Reset(row)
			}
		}
	}
	if checked < total/2 {
		t.Fatalf("only %d of %d distributions checked", checked, total)
	}
}

// TestBatchThreadsStop checks that SetThreads and Close start and stop the
// helper goroutines, no more than GOMAXPROCS allows, and that a Batch goes
// on after Close.
func TestBatchThreadsStop(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	m := newTestModel(t, Configs["tiny"], 3)
	before := runtime.NumGoroutine()
	b := m.NewBatch(2)
	probs := make([]float32, 2*256)
	b.SetThreads(3)
	if got := runtime.NumGoroutine(); got != before+2 {
		t.Errorf("SetThreads(3): %d goroutines, want %d", got, before+2)
	}
	b.Next([]int{0, 1}, probs)
	b.SetThreads(5)
	if got := runtime.NumGoroutine(); got != before+2 {
		t.Errorf("SetThreads(5) with GOMAXPROCS 3: %d goroutines, want %d", got, before+2)
	}
	b.SetThreads(2)
	b.Push([]int{0, 1}, []byte("ab"))
	b.Close()
	b.Close()
	b.Next([]int{0, 1}, probs)
	for i := 0; runtime.NumGoroutine() > before; i++ {
		if i == 1000 {
			t.Fatalf("after Close: %d goroutines, want %d", runtime.NumGoroutine(), before)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestBatchDuplicateRows lists the same row twice in Next and Push: Next
// gives the same distribution twice; Push advances the row by both bytes.
func TestBatchDuplicateRows(t *testing.T) {
	m := newTestModel(t, Configs["tiny"], 3)
	seq := []byte("abcdefgh")
	want := forward(m, seq)
	b := m.NewBatch(2)
	probs := make([]float32, 2*256)
	b.Next([]int{1, 1}, probs)
	for i := range 2 {
		if k := sameBits(probs[i*256:(i+1)*256], want[:256]); k >= 0 {
			t.Fatalf("copy %d differs at %d", i, k)
		}
	}
	b.Push([]int{1, 1}, seq[:2])
	if got := b.Pos(1); got != 2 {
		t.Fatalf("Pos = %d after pushing 2 bytes", got)
	}
	b.Next([]int{1}, probs[:256])
	if k := sameBits(probs[:256], want[2*256:3*256]); k >= 0 {
		t.Fatalf("byte 2 differs at %d", k)
	}
}

// TestCausality changes one byte and checks that the distributions of that
// byte and all before it are bit-identical, that a later byte of the same
// window changes, and that later windows are untouched.
func TestCausality(t *testing.T) {
	for _, name := range []string{"tiny", "odd"} {
		cfg := testConfigs[name]
		t.Run(name, func(t *testing.T) {
			m := newTestModel(t, cfg, 11)
			r := rand.New(rand.NewPCG(2, 3))
			w := cfg.Window()
			seq := randBytes(r, 2*w+3)
			base := forward(m, seq)
			for _, pos := range []int{0, 1, cfg.PatchSize - 1, cfg.PatchSize, w/2 + 1, w - 2, w, w + 5} {
				mod := append([]byte(nil), seq...)
				mod[pos] ^= byte(1 + r.IntN(255))
				got := forward(m, mod)
				if k := sameBits(got[:(pos+1)*256], base[:(pos+1)*256]); k >= 0 {
					t.Fatalf("changing byte %d changed the distribution of byte %d", pos, k/256)
				}
				end := (pos/w + 1) * w
				if k := sameBits(got[end*256:], base[end*256:]); k >= 0 {
					t.Fatalf("changing byte %d changed byte %d of a later window", pos, end+k/256)
				}
				if sameBits(got[(pos+1)*256:end*256], base[(pos+1)*256:end*256]) < 0 {
					t.Fatalf("changing byte %d changed none of bytes %d..%d: the context is ignored", pos, pos+1, end-1)
				}
			}
		})
	}
}

// TestProbsAreDistributions checks that every row is finite, non-negative
// and sums to 1, for the random model and for one with large weights (peaky
// distributions, large logits).
func TestProbsAreDistributions(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	seq := randBytes(r, 3*Configs["tiny"].Window()/2)
	for _, scale := range []float32{1, 50} {
		m := newTestModel(t, Configs["tiny"], 5)
		for _, x := range m.Params() {
			if x.Name == "head.weight" || x.Name == "global.embed" || x.Name == "local.embed" {
				for i := range x.Data {
					x.Data[i] *= scale
				}
			}
		}
		probs := forward(m, seq)
		peak := 0.0
		for tt := range seq {
			var sum float64
			for b, v := range probs[tt*256 : (tt+1)*256] {
				if v < 0 || math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("scale %v: P(byte %d = %d) = %v", scale, tt, b, v)
				}
				sum += float64(v)
				peak = max(peak, float64(v))
			}
			if math.Abs(sum-1) > 1e-4 {
				t.Fatalf("scale %v: byte %d: probabilities sum to %v", scale, tt, sum)
			}
		}
		if scale > 1 && peak < 0.05 {
			t.Fatalf("scale %v: largest probability %v: weights had no effect", scale, peak)
		}
	}
}

func TestNewIsDeterministic(t *testing.T) {
	cfg := Configs["tiny"]
	a, b := newTestModel(t, cfg, 1), newTestModel(t, cfg, 1)
	if a.Fingerprint() != b.Fingerprint() {
		t.Fatal("same seed, different weights")
	}
	if c := newTestModel(t, cfg, 2); c.Fingerprint() == a.Fingerprint() {
		t.Fatal("different seeds, same weights")
	}
}

// TestInit checks the initial distributions: weights and embeddings
// normal(0, 0.02) (residual projections smaller), biases 0, gains 1.
func TestInit(t *testing.T) {
	m := newTestModel(t, Configs["ref"], 1)
	for _, x := range m.Params() {
		var sum, sq float64
		for _, v := range x.Data {
			sum += float64(v)
			sq += float64(v) * float64(v)
		}
		n := float64(len(x.Data))
		mean, std := sum/n, math.Sqrt(sq/n-(sum/n)*(sum/n))
		switch {
		case hasSuffix(x.Name, ".bias"):
			if sq != 0 {
				t.Errorf("%s: bias not zero", x.Name)
			}
		case hasSuffix(x.Name, "ln1.weight"), hasSuffix(x.Name, "ln2.weight"), hasSuffix(x.Name, "ln_f.weight"):
			if mean != 1 || std != 0 {
				t.Errorf("%s: gain not one", x.Name)
			}
		default:
			want := 0.02
			if hasSuffix(x.Name, "attn.out.weight") || hasSuffix(x.Name, "mlp.fc2.weight") {
				layers := m.Cfg.GlobalLayers
				if x.Name[0] == 'l' {
					layers = m.Cfg.LocalLayers
				}
				want /= math.Sqrt(float64(2 * layers))
			}
			tol := 5 / math.Sqrt(n) // ~5 standard errors
			if math.Abs(std/want-1) > max(tol, 0.01) || math.Abs(mean/want) > tol {
				t.Errorf("%s: mean %.3g std %.4g, want 0 and %.4g (n=%v)", x.Name, mean, std, want, n)
			}
		}
	}
}

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }

func TestConfigs(t *testing.T) {
	for name, cfg := range Configs {
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		total := 0
		for _, x := range cfg.Layout() {
			if x.Offset != total {
				t.Errorf("%s: %s at offset %d, want %d", name, x.Name, x.Offset, total)
			}
			total += x.Len()
		}
		if total != cfg.Params() {
			t.Errorf("%s: layout holds %d floats, Params() = %d", name, total, cfg.Params())
		}
	}
	ref := Configs["ref"]
	if ref.Window() != 2048 {
		t.Errorf("ref window = %d, want 2048", ref.Window())
	}
	// tiny by hand (P=4, D_G=32, e=8, K=16, D_L=16, one layer each):
	// global (12·32² + 2·32·17/2)/4 = 3208, g2l 8·16 = 128,
	// local 12·16² + 2·16·5/2 = 3152, head 256·16 = 4096; 10584 MACs.
	if got := Configs["tiny"].FLOPsPerByte(); got != 2*10584 {
		t.Errorf("tiny FLOPsPerByte = %v, want %v", got, 2*10584)
	}
	// wide is ref with four global MLPs of 5·256: 4·2·256·256 more MACs
	// per patch of 8 bytes, and 4·(2·256·256 + 256) more parameters.
	wide := Configs["wide"]
	if d := wide.FLOPsPerByte() - ref.FLOPsPerByte(); d != 2*4*2*256*256/8 {
		t.Errorf("wide costs %v FLOP/byte more than ref, want %v", d, 2*4*2*256*256/8)
	}
	if d := wide.Params() - ref.Params(); d != 4*(2*256*256+256) {
		t.Errorf("wide has %d parameters more than ref, want %d", d, 4*(2*256*256+256))
	}
	if f := wide.FLOPsPerByte(); f > 1.5e6 {
		t.Errorf("wide costs %.3g FLOP/byte, over the default's budget of 1.5e6", f)
	}
}

func TestValidateRejects(t *testing.T) {
	good := Configs["tiny"]
	for name, mutate := range map[string]func(*Config){
		"zero patch":        func(c *Config) { c.PatchSize = 0 },
		"negative dim":      func(c *Config) { c.LocalDim = -16 },
		"no layers":         func(c *Config) { c.GlobalLayers = 0 },
		"dim not by patch":  func(c *Config) { c.GlobalDim = 30 },
		"dim not by heads":  func(c *Config) { c.GlobalHeads = 3 },
		"local not by head": func(c *Config) { c.LocalHeads = 3 },
		"huge window":       func(c *Config) { c.ContextPatches = 1 << 20 },
		"huge model":        func(c *Config) { c.GlobalDim, c.GlobalLayers = 1<<14, 200 },
		"overflow":          func(c *Config) { c.ContextPatches = math.MaxInt },
		"negative mlp":      func(c *Config) { c.GlobalMLP = -1 },
		"huge local mlp":    func(c *Config) { c.LocalMLP = 1<<16 + 1 },
	} {
		c := good
		mutate(&c)
		err := c.Validate()
		if !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Validate(%+v) = %v, want ErrConfig", name, c, err)
		}
		if _, err := New(c, 1); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: New = %v, want ErrConfig", name, err)
		}
	}
}

func ExampleModel_Forward() {
	m, err := New(Configs["tiny"], 1)
	if err != nil {
		panic(err)
	}
	seq := []byte("hello")
	probs := make([]float32, len(seq)*256)
	m.Forward(seq, probs)
	// P(seq[4] = 'o' | "hell"), under an untrained model: about 1/256.
	fmt.Printf("%.3f\n", probs[4*256+'o'])
	// Output: 0.004
}

// TestForwardConcurrent runs Forward on one model from several goroutines
// (each call must get its own workspace; run with -race).
func TestForwardConcurrent(t *testing.T) {
	m := newTestModel(t, Configs["tiny"], 1)
	r := rand.New(rand.NewPCG(6, 7))
	seqs := make([][]byte, 6)
	want := make([][]float32, len(seqs))
	for i := range seqs {
		seqs[i] = randBytes(r, 50+40*i)
		want[i] = forward(m, seqs[i])
	}
	got := make([][]float32, len(seqs))
	done := make(chan int)
	for i := range seqs {
		go func() {
			got[i] = forward(m, seqs[i])
			done <- i
		}()
	}
	for range seqs {
		i := <-done
		if k := sameBits(got[i], want[i]); k >= 0 {
			t.Errorf("sequence %d: concurrent Forward differs at %d", i, k)
		}
	}
}

// TestHalfKV checks that HalfGlobal (binary16 global weights and
// Config.HalfKV) makes another model: another fingerprint, distributions
// that differ but stay close, and a JSON config that names HalfKV only when
// set (the fingerprints of models made before it existed stay the same).
func TestHalfKV(t *testing.T) {
	cfg := testConfigs["half"]
	half := newTestModel(t, cfg, 5)
	cfg.HalfKV = false
	plain := newTestModel(t, cfg, 5)
	if half.Fingerprint() == plain.Fingerprint() {
		t.Fatal("HalfKV does not change the fingerprint")
	}
	if j, _ := json.Marshal(plain.Cfg); strings.Contains(string(j), "half_kv") {
		t.Fatalf("config without HalfKV marshals as %s", j)
	}
	seq := randBytes(rand.New(rand.NewPCG(3, 4)), 2*cfg.Window()+5)
	a, b := forward(half, seq), forward(plain, seq)
	differ, worst := 0, 0.0
	for i := range a {
		if a[i] != b[i] {
			differ++
		}
		worst = max(worst, math.Abs(float64(a[i]-b[i])))
	}
	if differ == 0 {
		t.Fatal("HalfKV changes no probability")
	}
	if worst > 1e-2 {
		t.Fatalf("HalfKV moves a probability by %g", worst)
	}
}
