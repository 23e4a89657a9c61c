package builtin

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/mbzip/mbzip/model"
)

// goldenFingerprint reads the pinned fingerprint of the seed-1 tiny model
// from the model package's golden file: files coded with test-random-v1
// name it, so it must never change.
func goldenFingerprint(t *testing.T) string {
	t.Helper()
	f, err := os.Open("../../testdata/golden/model.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "tiny/seed1/fingerprint "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("no tiny/seed1/fingerprint in the golden file")
	return ""
}

func TestTestRandomPinned(t *testing.T) {
	m, err := Lookup("test-random-v1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "test-random-v1" {
		t.Fatalf("name is %q", m.Name())
	}
	if m.Cfg != model.Configs["tiny"] {
		t.Fatalf("config %+v, want tiny", m.Cfg)
	}
	fp := m.Fingerprint()
	if got, want := hex.EncodeToString(fp[:]), goldenFingerprint(t); got != want {
		t.Fatalf("fingerprint %s, pinned %s: the built-in model changed", got, want)
	}
	m2, err := Lookup("test-random-v1")
	if err != nil || m2 != m {
		t.Fatalf("Lookup gave %p, %v; first gave %p: want the same shared model", m2, err, m)
	}
}

// textRefV1 pins the shipped text prior: its fingerprint and the SHA-256 of
// its probabilities (float32 LE bits) on a fixed text. Files coded with it
// name it, so a change here is a format change: ship a new name instead.
const (
	textRefV1Fingerprint = "297a8c2b2d4441dfe9d29edd1e09428306e3040a0c083814b0e323fe904767dd"
	textRefV1ProbHash    = "462b6fe8c0b9ab14aa9f6075573cdad4478f380f406281f2a9ee813f90f8c8fe"
)

func TestTextRefV1Pinned(t *testing.T) {
	m, err := Lookup("text-ref-v1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Cfg != model.Configs["ref"] {
		t.Fatalf("config %+v, want ref", m.Cfg)
	}
	fp := m.Fingerprint()
	if got := hex.EncodeToString(fp[:]); got != textRefV1Fingerprint {
		t.Errorf("fingerprint %s, pinned %s", got, textRefV1Fingerprint)
	}
	text := []byte(strings.Repeat("The quick brown fox jumps over the lazy dog. ", 7))
	probs := make([]float32, len(text)*256)
	m.Forward(text, probs)
	h := sha256.New()
	var b [4]byte
	for _, p := range probs {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(p))
		h.Write(b[:])
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != textRefV1ProbHash {
		t.Errorf("probability hash %s, pinned %s", got, textRefV1ProbHash)
	}
	// A trained model must predict this repetitive English far better than
	// 8 bits per byte: a check that the embedded weights are the trained ones.
	var bits float64
	for i, c := range text {
		bits -= math.Log2(float64(probs[i*256+int(c)]))
	}
	if bpb := bits / float64(len(text)); bpb > 4.5 {
		t.Errorf("text-ref-v1 codes repetitive English at %.2f bits per byte; a trained model does far better", bpb)
	}
}

func TestDefaultFor(t *testing.T) {
	d, err := Default()
	if err != nil || d.Name() != "text-ref-v1" {
		t.Fatalf("Default() = %v, %v; want text-ref-v1", d, err)
	}
	for _, k := range []string{"text", "bytes", "no-such-modality"} {
		m, err := DefaultFor(k)
		if err != nil || m != d {
			t.Errorf("DefaultFor(%q) = %v, %v; want text-ref-v1", k, m, err)
		}
	}
}

func TestList(t *testing.T) {
	l := List()
	if len(l) != 2 || l[0].Name != "text-ref-v1" || l[0].Untrained ||
		l[1].Name != "test-random-v1" || !l[1].Untrained || !strings.Contains(l[1].Description, "UNTRAINED") {
		t.Fatalf("List() = %+v", l)
	}
	l[0].Name = "changed"
	if List()[0].Name != "text-ref-v1" {
		t.Fatal("List exposes the registry to changes")
	}
}

func TestLookupUnknown(t *testing.T) {
	if _, err := Lookup("no-such-model"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

// TestConcurrentFirstUse builds the model from several goroutines at once:
// all get the same instance (run with -race).
func TestConcurrentFirstUse(t *testing.T) {
	var wg sync.WaitGroup
	got := make([]*model.Model, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = Lookup("test-random-v1")
		}()
	}
	wg.Wait()
	for _, m := range got {
		if m == nil || m != got[0] {
			t.Fatal("concurrent lookups gave different models")
		}
	}
}
