package corpus

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mbzip/mbzip/modalities"
	"github.com/mbzip/mbzip/model"
)

func TestParseWeight(t *testing.T) {
	for in, want := range map[string]Weight{
		"gutenberg-en=3": {"gutenberg-en", 3},
		"/code/go/=1":    {"code/go", 1},
		"a=b=2":          {"a=b", 2},
		"docs=100":       {"docs", 100},
	} {
		got, err := ParseWeight(in)
		if err != nil || got != want {
			t.Errorf("ParseWeight(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, err := ParseWeight(got.String()); err != nil || back != got {
			t.Errorf("%v does not read back: %v, %v", got, back, err)
		}
	}
	for _, in := range []string{"", "docs", "=3", "/=3", "docs=", "docs=0", "docs=-1", "docs=101", "docs=1.5", "docs=x"} {
		if w, err := ParseWeight(in); err == nil {
			t.Errorf("ParseWeight(%q) = %v, want an error", in, w)
		}
	}
}

// TestWeightedStart checks the virtual-ring map exhaustively: every
// training offset is the image of exactly Weight virtual offsets.
func TestWeightedStart(t *testing.T) {
	sizes, weights := []uint64{3, 1, 5, 2}, []uint64{2, 1, 4, 1}
	var spans []weightedSpan
	var start, virt uint64
	for i, n := range sizes {
		spans = append(spans, weightedSpan{start: start, n: n, virt: virt})
		start += n
		virt += n * weights[i]
	}
	hits := make([]int, start)
	for v := range virt {
		hits[weightedStart(spans, v)]++
	}
	off := 0
	for i, n := range sizes {
		for j := range int(n) {
			if hits[off+j] != int(weights[i]) {
				t.Errorf("file %d byte %d: %d virtual offsets, want %d", i, j, hits[off+j], weights[i])
			}
		}
		off += int(n)
	}
}

// weightFixture writes two equal files of distinct letters into a folder
// and a shard, and walks them with nothing held out.
func weightFixture(t *testing.T) []File {
	t.Helper()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "prose", "a.txt"), []byte(strings.Repeat("a", 100)))
	writeShard(t, filepath.Join(root, "fam.tar.zst"), []member{{name: "fam/b.txt", data: []byte(strings.Repeat("b", 100))}})
	files, err := Walk([]string{root}, Options{ValidationPerMille: -1})
	if err != nil {
		t.Fatal(err)
	}
	return Filter(files, modalities.Text)
}

func TestWeightedSample(t *testing.T) {
	count := func(weights []Weight) (a int, seq string) {
		t.Helper()
		files := weightFixture(t)
		if err := ApplyWeights(files, weights); err != nil {
			t.Fatal(err)
		}
		d, err := Load(files, LoadOptions{Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		w := make([]byte, 4)
		for i := range 4000 {
			d.Sample(w)
			if !isRingWindow(w, d.train) {
				t.Fatalf("window %q is not a run of the training bytes", w)
			}
			if w[0] == 'a' {
				a++
			}
			if i < 50 {
				seq += string(w[:1])
			}
		}
		return a, seq
	}
	plainA, plainSeq := count(nil)
	if plainA < 1800 || plainA > 2200 {
		t.Errorf("unweighted: %d of 4000 windows start in a.txt, want about half", plainA)
	}
	// Weight 1 everywhere is the plain corpus, draw for draw.
	if _, seq := count([]Weight{{"prose", 1}, {"fam", 1}}); seq != plainSeq {
		t.Errorf("weights of 1 changed the windows: %s, want %s", seq, plainSeq)
	}
	// prose ×3: three in four windows start in a.txt.
	if a, _ := count([]Weight{{"prose", 3}}); a < 2850 || a > 3150 {
		t.Errorf("prose=3: %d of 4000 windows start in a.txt, want about 3000", a)
	}
	// The shard member's path counts, not the shard's file name; the
	// last matching weight wins.
	if a, _ := count([]Weight{{"fam", 2}, {"fam/b.txt", 4}}); a < 650 || a > 950 {
		t.Errorf("fam/b.txt=4: %d of 4000 windows start in a.txt, want about 800", a)
	}

	files := weightFixture(t)
	if err := ApplyWeights(files, []Weight{{"fam.tar.zst", 2}}); err == nil || !strings.Contains(err.Error(), "matches no training file") {
		t.Errorf("a weight matching nothing: %v", err)
	}
	if err := ApplyWeights(files, []Weight{{"fam", 0}}); err == nil {
		t.Error("a weight of 0 accepted")
	}
}

// TestTrainModelWeights: weights change a run, are kept in its checkpoint,
// and a resumed run given none keeps them, ending where the uninterrupted
// run ends.
func TestTrainModelWeights(t *testing.T) {
	root := trainCorpus(t)
	files, err := Walk([]string{root}, Options{ValidationPerMille: 300})
	if err != nil {
		t.Fatal(err)
	}
	var w Weight
	for _, f := range Filter(files, modalities.Text) {
		if !f.Validation {
			w = Weight{f.SplitKey(), 5}
			break
		}
	}
	weighted := func(dir string) CorpusTrainOptions {
		o := tinyTrainOptions(root, dir)
		o.Weights = []Weight{w}
		var logs []string
		o.Logf = func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }
		return o
	}
	plain := tinyTrainOptions(root, t.TempDir())
	straight := weighted(t.TempDir())
	var notes []string
	straight.Logf = func(f string, a ...any) { notes = append(notes, fmt.Sprintf(f, a...)) }
	for _, o := range []CorpusTrainOptions{plain, straight} {
		if err := TrainModel(context.Background(), o, nil); err != nil {
			t.Fatal(err)
		}
	}
	if all := strings.Join(notes, "\n"); !strings.Contains(all, "weight "+w.String()) || !strings.Contains(all, "% of the windows") {
		t.Errorf("no note of the weight:\n%s", all)
	}
	a, _ := os.ReadFile(plain.Output)
	b, _ := os.ReadFile(straight.Output)
	if string(a) == string(b) {
		t.Fatal("the weight did not change the run")
	}

	dir := t.TempDir()
	opts := weighted(dir)
	opts.Checkpoint = filepath.Join(dir, "run.ckpt")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err = TrainModel(ctx, opts, func(p model.Progress) {
		if p.Step == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted: err = %v", err)
	}
	ck, err := model.LoadCheckpoint(opts.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Meta[metaWeights] != w.String() {
		t.Errorf("checkpoint weights %q, want %v", ck.Meta[metaWeights], w)
	}
	resumed := opts
	resumed.Resume, resumed.Config, resumed.Configure, resumed.Weights = opts.Checkpoint, "", nil, nil
	if err := TrainModel(context.Background(), resumed, nil); err != nil {
		t.Fatal(err)
	}
	c, _ := os.ReadFile(resumed.Output)
	if string(b) != string(c) {
		t.Fatal("resumed weighted run differs from the uninterrupted one")
	}
}
