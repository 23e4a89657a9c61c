package corpus

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mbzip/mbzip/modalities"
)

func TestLoad(t *testing.T) {
	root := fixture(t)
	files, err := Walk([]string{root}, Options{ValidationPerMille: -1})
	if err != nil {
		t.Fatal(err)
	}
	text := Filter(files, modalities.Text)
	// Hold out the shard's x.txt and the plain b.md by hand.
	for i := range text {
		text[i].Validation = text[i].Member == "fam/x.txt" || text[i].Name == "sub/b.md"
	}
	d, err := Load(text, LoadOptions{Seed: 1, Separator: []byte{0}})
	if err != nil {
		t.Fatal(err)
	}
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	wantTrain := append(append(read(filepath.Join(root, "a.txt")), 0), "zzz\n\x00"...)
	wantVal := append(append([]byte(strings.Repeat("member x text line\n", 100)), 0), read(filepath.Join(root, "sub", "b.md"))...)
	wantVal = append(wantVal, 0)
	if !bytes.Equal(d.train, wantTrain) {
		t.Errorf("training bytes %q, want %q", d.train, wantTrain)
	}
	if !bytes.Equal(d.val, wantVal) {
		t.Errorf("validation bytes %q, want %q", d.val, wantVal)
	}
	if tr, va := d.Files(); tr != 2 || va != 2 || d.TrainBytes() != len(wantTrain) || d.ValidationBytes() != len(wantVal) {
		t.Errorf("Files() = %d, %d; bytes %d, %d", tr, va, d.TrainBytes(), d.ValidationBytes())
	}

	// Nothing for training.
	if _, err := Load(nil, LoadOptions{}); !errors.Is(err, ErrNoData) {
		t.Errorf("empty selection: %v", err)
	}
	// Over the limit: refused before reading.
	if _, err := Load(text, LoadOptions{MaxBytes: 100}); err == nil {
		t.Error("MaxBytes not enforced")
	}
	// A file changed since the walk.
	writeFile(t, filepath.Join(root, "a.txt"), []byte("shorter\n"))
	var fe *FileError
	if _, err := Load(text, LoadOptions{}); !errors.As(err, &fe) || fe.Path != "a.txt" {
		t.Errorf("changed file: %v", err)
	}
	// A member missing from its shard.
	ghost := []File{{Name: "shard.tar.zst:fam/ghost.txt", Path: filepath.Join(root, "shard.tar.zst"), Member: "fam/ghost.txt", Size: 3}}
	if _, err := Load(ghost, LoadOptions{}); !errors.As(err, &fe) {
		t.Errorf("missing member: %v", err)
	}
}

// isRingWindow reports whether w occurs in src read as a ring.
func isRingWindow(w, src []byte) bool {
	ring := src
	for len(ring) < len(src)+len(w) {
		ring = append(append([]byte(nil), ring...), src...)
	}
	return bytes.Contains(ring, w)
}

func TestSampleReproducible(t *testing.T) {
	train := []byte("abcdefghijklmnopqrstuvwxyz0123456789")
	a, err := FromBytes(train, []byte("held out"), 42)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := FromBytes(train, nil, 42)
	c, _ := FromBytes(train, nil, 43)
	starts := map[byte]int{}
	differ := 0
	wa, wb, wc := make([]byte, 8), make([]byte, 8), make([]byte, 8)
	var seq [][]byte
	for range 4000 {
		a.Sample(wa)
		b.Sample(wb)
		c.Sample(wc)
		if !bytes.Equal(wa, wb) {
			t.Fatalf("same seed, different windows: %q, %q", wa, wb)
		}
		if !bytes.Equal(wa, wc) {
			differ++
		}
		if !isRingWindow(wa, train) {
			t.Fatalf("window %q is not a run of the training bytes", wa)
		}
		if bytes.Contains(wa, []byte("held")) {
			t.Fatalf("window %q holds validation bytes", wa)
		}
		starts[wa[0]]++
		if len(seq) < 10 {
			seq = append(seq, append([]byte(nil), wa...))
		}
	}
	if differ < 3800 {
		t.Errorf("seeds 42 and 43 agree on %d of 4000 windows", 4000-differ)
	}
	// Every start offset comes up, roughly uniformly (4000/36 ≈ 111 each).
	if len(starts) != len(train) {
		t.Errorf("%d distinct starts, want %d", len(starts), len(train))
	}
	for s, n := range starts {
		if n < 50 || n > 200 {
			t.Errorf("start %q drawn %d times of 4000", s, n)
		}
	}

	// Resuming: SetDraws repositions the sequence exactly.
	r, _ := FromBytes(train, nil, 42)
	r.SetDraws(5)
	for i := 5; i < 10; i++ {
		r.Sample(wa)
		if !bytes.Equal(wa, seq[i]) {
			t.Fatalf("after SetDraws(5), draw %d = %q, want %q", i, wa, seq[i])
		}
	}
	if r.Draws() != 10 {
		t.Errorf("Draws() = %d, want 10", r.Draws())
	}

	// A window longer than the data wraps around the ring.
	long := make([]byte, 100)
	a.Sample(long)
	if !isRingWindow(long, train) {
		t.Errorf("long window %q is not a ring run", long)
	}
}

func TestValidationWindows(t *testing.T) {
	val := []byte("0123456789ABCDEFGHIJ")
	d, err := FromBytes([]byte("training"), val, 7)
	if err != nil {
		t.Fatal(err)
	}
	v := d.Validation(4, 3)
	want := []string{"012", "567", "ABC", "FGH"}
	if len(v) != 4 {
		t.Fatalf("%d windows, want 4", len(v))
	}
	for i, w := range want {
		if string(v[i]) != w {
			t.Errorf("window %d = %q, want %q", i, v[i], w)
		}
	}
	// Fixed: sampling in between changes nothing, and the copies are fresh.
	d.Sample(make([]byte, 5))
	v[0][0] = 'x'
	v2 := d.Validation(4, 3)
	for i, w := range want {
		if string(v2[i]) != w {
			t.Errorf("second call: window %d = %q, want %q", i, v2[i], w)
		}
	}
	// Wider than the data: around the ring.
	if w := d.Validation(2, 25); string(w[1]) != "ABCDEFGHIJ0123456789ABCDE" {
		t.Errorf("wrapping window %q", w[1])
	}
	if d.Validation(0, 3) != nil || d.Validation(3, 0) != nil {
		t.Error("n or w = 0 must give nil")
	}
	none, _ := FromBytes([]byte("x"), nil, 1)
	if none.Validation(3, 3) != nil {
		t.Error("no validation data must give nil")
	}
	if _, err := FromBytes(nil, val, 1); !errors.Is(err, ErrNoData) {
		t.Errorf("FromBytes(nil): %v", err)
	}
}

// corpusDir finds the shared corpus: $MBZIP_CORPUS, else ../shared/corpus
// beside the repository.
func corpusDir(t *testing.T) string {
	if d := os.Getenv("MBZIP_CORPUS"); d != "" {
		return d
	}
	for _, d := range []string{"../../shared/corpus", "/work/shared/corpus"} {
		if st, err := os.Stat(filepath.Join(d, "train", "text")); err == nil && st.IsDir() {
			return d
		}
	}
	t.Skip("shared corpus not found (set MBZIP_CORPUS)")
	return ""
}

// TestSharedCorpus walks the real text shards and reports what is in them.
// Run with -v to see the table.
func TestSharedCorpus(t *testing.T) {
	dir := corpusDir(t)
	if testing.Short() {
		t.Skip("-short: the walk decompresses about 155 MB")
	}
	if _, err := Walk([]string{dir}, Options{}); !errors.Is(err, ErrEvalData) {
		t.Fatalf("walking the whole corpus for training: err = %v, want ErrEvalData", err)
	}

	files, err := Walk([]string{filepath.Join(dir, "train", "text")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	type stat struct {
		files, valFiles, text int
		bytes, valBytes       int64
	}
	per := map[string]*stat{}
	var order []string
	var total stat
	for _, f := range files {
		shard, _, _ := strings.Cut(f.Name, ":")
		s := per[shard]
		if s == nil {
			s = &stat{}
			per[shard] = s
			order = append(order, shard)
		}
		for _, s := range []*stat{s, &total} {
			s.files++
			s.bytes += f.Size
			if f.Kind == modalities.Text {
				s.text++
			}
			if f.Validation {
				s.valFiles++
				s.valBytes += f.Size
			}
		}
	}
	t.Logf("%-24s %6s %6s %6s %12s %10s", "shard", "files", "text", "val", "bytes", "val bytes")
	for _, name := range append(order, "total") {
		s := per[name]
		if name == "total" {
			s = &total
		}
		t.Logf("%-24s %6d %6d %6d %12d %10d", name, s.files, s.text, s.valFiles, s.bytes, s.valBytes)
	}
	if len(order) == 0 || total.bytes == 0 {
		t.Fatal("no text found")
	}
	if frac := float64(total.valFiles) / float64(total.files); frac < 0.01 || frac > 0.03 {
		t.Errorf("validation holds %.3f of the files, want about 0.02", frac)
	}
	if total.text*10 < total.files*9 {
		t.Errorf("only %d of %d files tagged text", total.text, total.files)
	}

	start := time.Now()
	d, err := Load(Filter(files, modalities.Text), LoadOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Load: %d training + %d validation bytes in %v", d.TrainBytes(), d.ValidationBytes(), time.Since(start).Round(time.Millisecond))
	if int64(d.TrainBytes()+d.ValidationBytes()) != total.bytes || int64(d.ValidationBytes()) != total.valBytes {
		t.Errorf("loaded %d + %d bytes, walked %d with %d held out", d.TrainBytes(), d.ValidationBytes(), total.bytes, total.valBytes)
	}
	w := make([]byte, 2048)
	d.Sample(w)
	head := bytes.TrimLeftFunc(w[:1000], func(r rune) bool { return r == utf8.RuneError }) // a window may start mid-rune
	if modalities.Detect(head) != modalities.Text {
		t.Errorf("a training window does not look like text: %q", w[:80])
	}
	if v := d.Validation(16, 2048); len(v) != 16 || len(v[15]) != 2048 {
		t.Errorf("Validation(16, 2048) gave %d windows", len(v))
	}
}
