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
	if Fingerprint(m) != fp {
		t.Fatal("the registry records another fingerprint than the weights'")
	}
	m2, err := Lookup("test-random-v1")
	if err != nil || m2 != m {
		t.Fatalf("Lookup gave %p, %v; first gave %p: want the same shared model", m2, err, m)
	}
}

// pinnedTextModels pins the shipped text priors: fingerprint and the
// SHA-256 of their probabilities (float32 LE bits) on a fixed text. Files
// coded with them name them, so a change here is a format change: ship a
// new name instead.
var pinnedTextModels = []struct {
	name, config, fingerprint, probHash string
	halfKV                              bool
}{
	{"text-ref-v1", "ref", "297a8c2b2d4441dfe9d29edd1e09428306e3040a0c083814b0e323fe904767dd",
		"462b6fe8c0b9ab14aa9f6075573cdad4478f380f406281f2a9ee813f90f8c8fe", false},
	{"text-ref-v2", "ref", "24fbafafac47e134d01e95d27c7029b314a3e8bcc01016a11db30226cda952ec",
		"12e8a6cc17fc70864ef8f2b60bc9129811a98268e8cfd296ba4b716421389916", false},
	{"text-ref-v3", "ref", "93aa5d649d6f6cd3ce463531efeaa80baf73d2afd6d42058ae5109f1d5312def",
		"b44899915a60187245c5337a9f941a5e379033bd8d6ff3ae97fb1dbc525bb47e", false},
	{"text-ref-v4", "ref", "4d36777e90fb8f0dc0805dc4ac67b27a1852b22c0dfb7c455baf4c6289c2f8fc",
		"9f998cff5794a52f9ba6fd16e26f56cb9b7a1dc5e772bed0e3205f4ecf6de435", false},
	{"text-ref-v5", "ref", "b8001b3705e5388a8c0dd10e2fba2d66951359d87c76cfcfa230221fd90a318f",
		"60de76a4ac6fb4546aaaf26195b73fca52b697b671e2225293c88b1fb5b43465", false},
	{"text-ref-v6", "ref", "08c55848265de1b95f2a9cd3174b8f99c6bcd7ee9391e952ec7efdadfab0736f",
		"5c63355b74861c6d5c06cd507d7ad19d6df5834880a2049fd2e761b80515d9ba", false},
	{"text-ref-v7", "ref", "2b49b45875ac93c18f71082fa6313484c42845085c2400166a83f4c6f48ee9dc",
		"76d2246a8783e3755b63420f3bcda4a1f39f32dc40758bf72907e31c29af62fd", false},
	{"text-wide-v1", "wide", "ec4d6ddfac00064584962dc3d8a1907089cf7290dab45a004e0292404e51fa16",
		"0df90f7499b1758047fd0b86aea50e1ac44977dfe4dbe00ca1b4923bfccbccee", false},
	{"text-ref-v7-h16", "ref", "208a167695265a394ab7e18dc1de60e4775ab470fa01d30106c387619e7f9e7e",
		"d529797da077588cb048a30544ae25e899fb05f12f6e89d2931c1b0bfc25019a", true},
	{"text-wide-v1-h16", "wide", "a2b1d077b2adf332e6a98149b8976f99aa152ca3226b4f90269a9dc2c6a73cb3",
		"25bcdc9c32050a9c6537c8b6f7fcccdf036d1df27470167a83b1fb150ef00aec", true},
	{"text-ref-v7-f16", "ref", "832d37afc1c59fff333e6ee4c0380e1fe460975cef6c075d86145e1f41e08904",
		"dd5943301fe1830651062a57ea6ecf6b245f085a229d81d042c237fc7fd512bb", true},
	{"text-wide-v1-f16", "wide", "290d59b1dd463ed4ade796b289dd9de5968cc6bae7231a9d2449ed92172527d1",
		"65a57bf619b1b202b1d656f532abcd6fb7a68fd6d7f09984318478083e4ff5a8", true},
}

func TestTextModelsPinned(t *testing.T) {
	for _, pin := range pinnedTextModels {
		t.Run(pin.name, func(t *testing.T) {
			m, err := Lookup(pin.name)
			if err != nil {
				t.Fatal(err)
			}
			want := model.Configs[pin.config]
			want.HalfKV = pin.halfKV
			if m.Cfg != want {
				t.Fatalf("config %+v, want %s", m.Cfg, pin.config)
			}
			fp := m.Fingerprint()
			if got := hex.EncodeToString(fp[:]); got != pin.fingerprint {
				t.Errorf("fingerprint %s, pinned %s", got, pin.fingerprint)
			}
			// The registry's recorded fingerprint, which decoders use
			// without hashing, must be the weights'.
			first := Fingerprint(m)
			if again := Fingerprint(m); first != fp || again != fp {
				t.Errorf("Fingerprint gives %x then %x; the weights hash to %x", first, again, fp)
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
			if got := hex.EncodeToString(h.Sum(nil)); got != pin.probHash {
				t.Errorf("probability hash %s, pinned %s", got, pin.probHash)
			}
			// A trained model must predict this repetitive English far
			// better than 8 bits per byte: a check that the embedded
			// weights are the trained ones.
			var bits float64
			for i, c := range text {
				bits -= math.Log2(float64(probs[i*256+int(c)]))
			}
			if bpb := bits / float64(len(text)); bpb > 4.5 {
				t.Errorf("%s codes repetitive English at %.2f bits per byte; a trained model does far better", pin.name, bpb)
			}
		})
	}
}

func TestDefaultFor(t *testing.T) {
	d, err := Default()
	if err != nil || d.Name() != "text-wide-v1-f16" {
		t.Fatalf("Default() = %v, %v; want text-wide-v1-f16", d, err)
	}
	for _, k := range []string{"text", "bytes", "no-such-modality"} {
		m, err := DefaultFor(k)
		if err != nil || m != d {
			t.Errorf("DefaultFor(%q) = %v, %v; want text-wide-v1-f16", k, m, err)
		}
	}
}

func TestList(t *testing.T) {
	l := List()
	want := []string{"text-wide-v1-f16", "text-wide-v1-h16", "text-wide-v1", "text-ref-v7-f16", "text-ref-v7-h16", "text-ref-v7", "text-ref-v6", "text-ref-v5", "text-ref-v4", "text-ref-v3", "text-ref-v2", "text-ref-v1", "test-random-v1"}
	if len(l) != len(want) {
		t.Fatalf("List() has %d entries, want %d: %+v", len(l), len(want), l)
	}
	for i, name := range want {
		untrained := name == "test-random-v1"
		if l[i].Name != name || l[i].Untrained != untrained || untrained != strings.Contains(l[i].Description, "UNTRAINED") {
			t.Errorf("List()[%d] = %+v, want %s (untrained %v)", i, l[i], name, untrained)
		}
	}
	l[0].Name = "changed"
	if List()[0].Name != "text-wide-v1-f16" {
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

// TestFingerprintOtherModels checks that Fingerprint hashes a model that is
// not a built-in every time: a change to its weights shows.
func TestFingerprintOtherModels(t *testing.T) {
	m, err := model.New(model.Configs["tiny"], 3)
	if err != nil {
		t.Fatal(err)
	}
	before := Fingerprint(m)
	if before != m.Fingerprint() {
		t.Fatal("Fingerprint differs from the model's")
	}
	m.Flat()[0]++
	if Fingerprint(m) == before {
		t.Fatal("Fingerprint kept the old hash of a model that is not built in")
	}
}
