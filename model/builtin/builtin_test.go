package builtin

import (
	"bufio"
	"encoding/hex"
	"errors"
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

func TestDefaultIsTestRandom(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "test-random-v1" {
		t.Fatalf("default is %q", m.Name())
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
		t.Fatalf("Lookup gave %p, %v; Default gave %p: want the same shared model", m2, err, m)
	}
}

func TestList(t *testing.T) {
	l := List()
	if len(l) != 1 || l[0].Name != "test-random-v1" || !l[0].Untrained || !strings.Contains(l[0].Description, "UNTRAINED") {
		t.Fatalf("List() = %+v", l)
	}
	l[0].Name = "changed"
	if List()[0].Name != "test-random-v1" {
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
