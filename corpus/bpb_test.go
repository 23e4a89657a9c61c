package corpus

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/mbzip/mbzip/codec"
	"github.com/mbzip/mbzip/modalities"
	"github.com/mbzip/mbzip/model"
	"github.com/mbzip/mbzip/model/builtin"
	"github.com/mbzip/mbzip/model/modeltest"
)

// skewed is the source of the test text: eight letters, independent, with
// these probabilities. Its entropy is 2.495 bits per byte; Huffman codes
// (zstd, brotli and deflate code literals with them) need 2.55 at best,
// since the probabilities are not powers of two. So a model that knows
// them codes the text better than storing it, and the codec keeps the
// model's segments.
var skewed = map[byte]float64{'e': 0.4, 't': 0.2, 'a': 0.12, 'o': 0.09, 'i': 0.07, 'n': 0.05, 's': 0.04, 'h': 0.03}

// skewedOrder fixes the order of skewed's letters for sampling.
const skewedOrder = "etaoinsh"

// fixedModel returns a "tiny" model whose every prediction is probs,
// whatever the context (modeltest.Fixed).
func fixedModel(t testing.TB, probs map[byte]float64) *model.Model {
	return modeltest.Fixed(t, "test-fixed", probs)
}

// skewedText returns n bytes drawn from skewed, and Σ −log2 p of them.
func skewedText(n int, seed uint64) ([]byte, float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]byte, n)
	var bits float64
	for i := range out {
		u := rng.Float64()
		c := skewedOrder[len(skewedOrder)-1]
		for j := range len(skewedOrder) {
			if u < skewed[skewedOrder[j]] {
				c = skewedOrder[j]
				break
			}
			u -= skewed[skewedOrder[j]]
		}
		out[i] = c
		bits -= math.Log2(skewed[c])
	}
	return out, bits
}

func randomData(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 2))
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(rng.Uint32())
	}
	return out
}

func writeTestFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMeasureMatchesCodec checks every figure of a file against an
// independent source: the coded size against codec.EncodeAll of the same
// file with the same options, the cross-entropy against the exact entropy
// of the bytes under the known distribution, the baselines against their
// libraries, and the sums against the files.
func TestMeasureMatchesCodec(t *testing.T) {
	dir := t.TempDir()
	m := fixedModel(t, skewed)
	n := 200_000
	if testing.Short() {
		n = 120_000
	}
	big, bigBits := skewedText(n, 1)
	small, smallBits := skewedText(5000, 2)
	noise := randomData(3000, 3)
	writeTestFile(t, filepath.Join(dir, "text", "big.txt"), big)
	writeTestFile(t, filepath.Join(dir, "text", "small.txt"), small)
	writeTestFile(t, filepath.Join(dir, "noise.bin"), noise)
	const seg = codec.DefaultSegmentSize

	var calls int
	var last, total int64
	r, err := Measure(context.Background(), []string{dir}, BPBOptions{
		Model: m, Level: 9, SegmentSize: seg, Threads: 2, Baselines: Baselines(),
		Progress: func(done, tot int64) {
			if done < last {
				t.Errorf("progress went back from %d to %d", last, done)
			}
			calls++
			last, total = done, tot
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(len(big) + len(small) + len(noise)); total != want || last != total || calls < 3 {
		t.Errorf("progress ended at %d of %d after %d calls, want %d of %d", last, total, calls, want, want)
	}
	if r.Measured != 3 || r.Failed != 0 || len(r.Files) != 3 {
		t.Fatalf("measured %d, failed %d, rows %d; want 3, 0, 3", r.Measured, r.Failed, len(r.Files))
	}
	// Walk order: lexical, folders walked where they sort.
	for i, name := range []string{"noise.bin", "text/big.txt", "text/small.txt"} {
		if want := filepath.Join(dir, filepath.FromSlash(name)); r.Files[i].Path != want {
			t.Errorf("row %d is %s, want %s", i, r.Files[i].Path, want)
		}
	}
	datas := [][]byte{noise, big, small}
	for i, f := range r.Files {
		data := datas[i]
		enc, err := codec.EncodeAll(data, codec.WithModel(m), codec.WithLevel(9), codec.WithSegmentSize(seg))
		if err != nil {
			t.Fatal(err)
		}
		if f.CodedBytes != int64(len(enc)) {
			t.Errorf("%s: coded %d bytes, codec.EncodeAll gives %d", f.Path, f.CodedBytes, len(enc))
		}
		if want := 8 * float64(len(enc)) / float64(len(data)); f.CodedBPB != want {
			t.Errorf("%s: coded bpb %v, want %v", f.Path, f.CodedBPB, want)
		}
		if f.Bytes != int64(len(data)) || f.StreamBytes != int64(len(data)) || f.Model != "test-fixed" {
			t.Errorf("%s: bytes %d, stream %d, model %q", f.Path, f.Bytes, f.StreamBytes, f.Model)
		}
		if f.Segments != (len(data)+seg-1)/seg {
			t.Errorf("%s: %d segments, want %d", f.Path, f.Segments, (len(data)+seg-1)/seg)
		}
		for _, b := range Baselines() {
			out, err := b.Compress(data)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Baselines[b.Name]; got.Bytes != int64(len(out)) || got.BPB != 8*float64(len(out))/float64(len(data)) {
				t.Errorf("%s: %s %+v, the library gives %d bytes", f.Path, b.Name, got, len(out))
			}
		}
	}
	noiseRow, bigRow, smallRow := r.Files[0], r.Files[1], r.Files[2]
	if noiseRow.Kind != modalities.Bytes || bigRow.Kind != modalities.Text || noiseRow.Modality != "bytes" {
		t.Errorf("kinds %v, %v (%q)", noiseRow.Kind, bigRow.Kind, noiseRow.Modality)
	}
	// The cross-entropy is the entropy of the bytes under the model's
	// distribution, up to float32 rounding of the probabilities.
	for _, c := range []struct {
		f    FileBPB
		bits float64
	}{{bigRow, bigBits}, {smallRow, smallBits}} {
		if rel := math.Abs(c.f.ModelBits-c.bits) / c.bits; rel > 1e-5 {
			t.Errorf("%s: model bits %.2f, exact %.2f (relative error %.1e)", c.f.Path, c.f.ModelBits, c.bits, rel)
		}
	}
	// Random bytes cost the model about 30 bits each: stored, not coded.
	if noiseRow.XentBPB < 20 || noiseRow.StoredSegments != noiseRow.Segments {
		t.Errorf("noise: xent %.2f bpb, %d of %d segments stored", noiseRow.XentBPB, noiseRow.StoredSegments, noiseRow.Segments)
	}
	// The big file is coded by the model, and coding costs under 0.5 %
	// over the cross-entropy (quantization, coder flush, container).
	if bigRow.StoredSegments != 0 {
		t.Errorf("big.txt: %d of %d segments stored; the test needs them coded", bigRow.StoredSegments, bigRow.Segments)
	}
	t.Logf("big.txt, %d bytes: cross-entropy %.5f, quantized %.5f, coded %.5f bits per byte (%.3f %% over the cross-entropy), zstd %.3f",
		len(big), bigRow.XentBPB, bigRow.QuantBPB, bigRow.CodedBPB, 100*(bigRow.CodedBPB-bigRow.XentBPB)/bigRow.XentBPB, bigRow.Baselines["zstd"].BPB)
	if rel := (bigRow.CodedBPB - bigRow.XentBPB) / bigRow.XentBPB; rel < 0 || rel > 0.005 {
		t.Errorf("big.txt: coded %.4f bpb against cross-entropy %.4f: %.3f %% apart, want 0 to 0.5 %%",
			bigRow.CodedBPB, bigRow.XentBPB, 100*rel)
	}
	if want := 100 * (bigRow.CodedBPB - bigRow.XentBPB) / bigRow.XentBPB; math.Abs(bigRow.CodedVsXent-want) > 1e-9 {
		t.Errorf("big.txt: coded vs xent %v %%, want %v", bigRow.CodedVsXent, want)
	}
	if bigRow.QuantBPB < bigRow.XentBPB || bigRow.QuantBPB > bigRow.CodedBPB {
		t.Errorf("big.txt: quantized %.5f bpb, want between cross-entropy %.5f and coded %.5f",
			bigRow.QuantBPB, bigRow.XentBPB, bigRow.CodedBPB)
	}
	if bigRow.CodedBPB >= bigRow.Baselines["zstd"].BPB {
		t.Errorf("big.txt: coded %.3f bpb, zstd %.3f: the model should win on this source", bigRow.CodedBPB, bigRow.Baselines["zstd"].BPB)
	}
	// A big file with few files left gets every core.
	if bigRow.Threads != 2 {
		t.Errorf("big.txt ran on %d threads, want 2", bigRow.Threads)
	}

	// Sums per modality, in Kind order, and in total.
	if len(r.Modalities) != 2 || r.Modalities[0].Modality != "bytes" || r.Modalities[1].Modality != "text" {
		t.Fatalf("modalities %+v", r.Modalities)
	}
	text := r.Modalities[1]
	if text.Files != 2 || text.Bytes != int64(len(big)+len(small)) || text.CodedBytes != bigRow.CodedBytes+smallRow.CodedBytes {
		t.Errorf("text sums %+v", text)
	}
	if want := (bigRow.ModelBits + smallRow.ModelBits) / float64(text.Bytes); math.Abs(text.XentBPB-want) > 1e-12 {
		t.Errorf("text xent %v, want %v", text.XentBPB, want)
	}
	if r.Total.Bytes != text.Bytes+int64(len(noise)) || r.Total.Files != 3 ||
		r.Total.Baselines["xz"].Bytes != noiseRow.Baselines["xz"].Bytes+bigRow.Baselines["xz"].Bytes+smallRow.Baselines["xz"].Bytes {
		t.Errorf("total %+v", r.Total)
	}

	// JSON: parses, with the figures of the report.
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Model string `json:"model"`
		Files []struct {
			Path       string                     `json:"path"`
			Modality   string                     `json:"modality"`
			CodedBytes int64                      `json:"coded_bytes"`
			XentBPB    float64                    `json:"xent_bpb"`
			VsXent     *float64                   `json:"coded_vs_xent_percent"`
			Baselines  map[string]json.RawMessage `json:"baselines"`
			Error      string                     `json:"error"`
		} `json:"files"`
		Modalities []BPBSummary `json:"modalities"`
		Total      BPBSummary   `json:"total"`
	}
	if err := json.Unmarshal(buf.Bytes(), &parsed); err != nil {
		t.Fatalf("JSON does not parse: %v\n%s", err, buf.Bytes())
	}
	if parsed.Model != "test-fixed" || len(parsed.Files) != 3 || parsed.Files[1].CodedBytes != bigRow.CodedBytes ||
		parsed.Files[1].XentBPB != bigRow.XentBPB || parsed.Files[0].Modality != "bytes" ||
		parsed.Files[1].VsXent == nil || *parsed.Files[1].VsXent != bigRow.CodedVsXent || parsed.Total.CodedVsXent != r.Total.CodedVsXent ||
		len(parsed.Files[2].Baselines) != 4 || parsed.Total.CodedBytes != r.Total.CodedBytes || len(parsed.Modalities) != 2 {
		t.Errorf("JSON does not carry the report:\n%s", buf.Bytes())
	}

	// CSV: a header and one row per file, modality and total.
	buf.Reset()
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	csvOut := append([]byte(nil), buf.Bytes()...)
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	if len(rows) != 1+3+2+1 {
		t.Fatalf("CSV has %d rows, want 7", len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range []string{"row", "path", "coded_bytes", "xent_bpb", "coded_vs_xent_percent", "zstd_bpb", "flate_seconds", "error"} {
		if _, ok := col[h]; !ok {
			t.Errorf("CSV header lacks %q: %v", h, rows[0])
		}
	}
	if rows[2][col["path"]] != bigRow.Path || rows[2][col["coded_bytes"]] != strconv.FormatInt(bigRow.CodedBytes, 10) ||
		rows[6][col["row"]] != "total" || rows[4][col["row"]] != "modality" {
		t.Errorf("CSV rows:\n%v", rows)
	}

	// The table names every file and every sum.
	buf.Reset()
	if err := r.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	tableOut := append([]byte(nil), buf.Bytes()...)
	func() {
		// A report read back from its JSON writes the same table and CSV.
		var js bytes.Buffer
		if err := r.WriteJSON(&js); err != nil {
			t.Fatal(err)
		}
		back, err := ReadBPBReport(&js)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := back.WriteTable(&out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), tableOut) {
			t.Errorf("table from the JSON:\n%s\nfrom the run:\n%s", out.Bytes(), tableOut)
		}
		out.Reset()
		if err := back.WriteCSV(&out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), csvOut) {
			t.Errorf("CSV from the JSON:\n%s\nfrom the run:\n%s", out.Bytes(), csvOut)
		}
		if back.Files[1].Kind != modalities.Text || back.Files[0].Kind != modalities.Bytes {
			t.Errorf("kinds read back: %v, %v", back.Files[0].Kind, back.Files[1].Kind)
		}
		if _, err := ReadBPBReport(strings.NewReader("{not json")); err == nil {
			t.Error("a malformed report was read")
		}
	}()
	for _, want := range []string{bigRow.Path, noiseRow.Path, "MODALITY", "total", "XENT", "MBZ-XENT", "BROTLI", "kB/s PER CORE",
		strconv.FormatFloat(bigRow.CodedBPB, 'f', 3, 64), percentString(bigRow.CodedVsXent),
		"On the 1 file over 100 kB coded by the model in every segment, MBZ is " + percentString(bigRow.CodedVsXent)} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
}

// TestMeasureXentOnePass checks that the cross-entropy Measure takes from
// the coding pass (codec.Info.CrossEntropyBits) is the one the separate
// model pass streamBits gives, with the untrained test-random-v1 on text it
// codes worse than zstd (stored segments) and, with a small segment size,
// on more segments than threads. They are equal, not merely close: both
// add the same float64 values, −log2 of the same float32 probabilities of
// the deterministic model.Forward over the same windows, in the same order
// (each segment in byte order from 0, then the segments in order from 0).
func TestMeasureXentOnePass(t *testing.T) {
	m, err := builtin.Lookup("test-random-v1")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	text, _ := skewedText(9000, 5)
	data := append([]byte("Some words first, then skewed letters: "), text...)
	path := filepath.Join(dir, "a.txt")
	writeTestFile(t, path, data)
	for _, c := range []struct{ seg, threads int }{{codec.DefaultSegmentSize, 1}, {1000, 2}, {3001, 3}} {
		r, err := Measure(context.Background(), []string{path}, BPBOptions{Model: m, SegmentSize: c.seg, Threads: c.threads})
		if err != nil {
			t.Fatal(err)
		}
		f := r.Files[0]
		if f.Err() != nil {
			t.Fatal(f.Err())
		}
		old, err := streamBits(context.Background(), m, data, c.seg, 1, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if f.ModelBits != old {
			t.Errorf("segments of %d, %d threads: one pass gives %v bits, the separate pass %v", c.seg, c.threads, f.ModelBits, old)
		}
		if f.ModelBits <= 0 || f.XentBPB != f.ModelBits/float64(len(data)) {
			t.Errorf("model bits %v, xent %v bpb", f.ModelBits, f.XentBPB)
		}
	}
}

// TestMeasureFailures covers the files that cannot be measured: each gets
// a row with its error, and the others are measured and summed.
func TestMeasureFailures(t *testing.T) {
	dir := t.TempDir()
	m, err := model.New(model.Configs["tiny"], 1)
	if err != nil {
		t.Fatal(err)
	}
	good := []byte("a file that can be read, and measured, and summed.\n")
	writeTestFile(t, filepath.Join(dir, "a", "good.txt"), good)
	writeTestFile(t, filepath.Join(dir, "a", "empty.txt"), nil)
	if err := os.Symlink("missing", filepath.Join(dir, "a", "dangling")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..", filepath.Join(dir, "a", "loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("self", filepath.Join(dir, "a", "self")); err != nil { // ELOOP on stat
		t.Fatal(err)
	}
	// A link to a folder that is walked anyway: its files are listed once.
	if err := os.Symlink(filepath.Join(dir, "a"), filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "c", "locked")
	writeTestFile(t, filepath.Join(locked, "secret.txt"), []byte("unseen"))
	unreadable := filepath.Join(dir, "c", "unreadable.txt")
	writeTestFile(t, unreadable, []byte("no read permission"))
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	asRoot := os.Geteuid() == 0 // root reads anyway

	r, err := Measure(context.Background(), []string{dir, filepath.Join(dir, "nonexistent")}, BPBOptions{Model: m})
	if err != nil {
		t.Fatal(err)
	}
	errs := map[string]error{}
	for _, f := range r.Files {
		if f.Err() != nil {
			errs[strings.TrimPrefix(f.Path, dir+string(filepath.Separator))] = f.Err()
			if f.Error == "" {
				t.Errorf("%s: Err set but not Error", f.Path)
			}
		}
	}
	checks := []struct {
		name   string
		target error
	}{
		{"a/dangling", fs.ErrNotExist},
		{"a/loop", ErrSymlinkLoop},
		{"a/self", nil}, // ELOOP, an errno without a sentinel of its own
		{"nonexistent", fs.ErrNotExist},
	}
	if !asRoot {
		checks = append(checks, struct {
			name   string
			target error
		}{"c/locked", fs.ErrPermission}, struct {
			name   string
			target error
		}{"c/unreadable.txt", fs.ErrPermission})
	}
	for _, c := range checks {
		err, ok := errs[c.name]
		switch {
		case !ok:
			t.Errorf("%s: no error row; rows with errors: %v", c.name, errs)
		case c.target != nil && !errors.Is(err, c.target):
			t.Errorf("%s: %v, want %v", c.name, err, c.target)
		}
	}
	if len(errs) != len(checks) || r.Failed != len(checks) {
		t.Errorf("%d error rows (%d failed), want %d: %v", len(errs), r.Failed, len(checks), errs)
	}
	measured := 1 // a/good.txt, once although b links to a
	if asRoot {
		measured = 3 // and c/locked/secret.txt, c/unreadable.txt
	}
	if r.Measured != measured || r.Empty != 1 {
		t.Errorf("measured %d, empty %d; want %d, 1", r.Measured, r.Empty, measured)
	}
	if r.Total.Files != measured || (!asRoot && r.Total.Bytes != int64(len(good))) {
		t.Errorf("total over %d files and %d bytes", r.Total.Files, r.Total.Bytes)
	}
	var buf bytes.Buffer
	if err := r.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	if want := plural(len(checks), "file") + " of "; !strings.Contains(buf.String(), want) || !strings.Contains(buf.String(), "1 empty file left out") {
		t.Errorf("table does not count the failures (%q) and the empty file:\n%s", want, buf.String())
	}
	buf.Reset()
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Files []struct {
			Path, Error string
		}
		Failed int
	}
	if err := json.Unmarshal(buf.Bytes(), &parsed); err != nil {
		t.Fatal(err)
	}
	nerr := 0
	for _, f := range parsed.Files {
		if f.Error != "" {
			nerr++
		}
	}
	if nerr != len(checks) || parsed.Failed != len(checks) {
		t.Errorf("JSON has %d error rows, failed %d; want %d", nerr, parsed.Failed, len(checks))
	}
	back, err := ReadBPBReport(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	nerr = 0
	for i := range back.Files {
		if e := back.Files[i].Err(); e != nil {
			nerr++
			if e.Error() != back.Files[i].Error {
				t.Errorf("%s: error read back as %q, want %q", back.Files[i].Path, e, back.Files[i].Error)
			}
		}
	}
	if nerr != len(checks) || back.Failed != len(checks) {
		t.Errorf("report read back: %d error rows, failed %d; want %d", nerr, back.Failed, len(checks))
	}
	// A plot of nothing is refused, not drawn empty.
	empty, err := Measure(context.Background(), []string{filepath.Join(dir, "a", "empty.txt")}, BPBOptions{Model: m})
	if err != nil {
		t.Fatal(err)
	}
	if err := empty.WritePlot(io.Discard, "png", 400, 300); !errors.Is(err, ErrNothingToPlot) {
		t.Errorf("plot of no file: %v, want ErrNothingToPlot", err)
	}
}

// TestReadStableChanged sees a file that is written while it is read.
func TestReadStableChanged(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.txt")
	writeTestFile(t, p, []byte("first version"))
	data, err := readStable(p, 1<<20)
	if err != nil || string(data) != "first version" {
		t.Fatalf("readStable: %q, %v", data, err)
	}
	if _, err := readStable(p, 5); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v, want ErrTooLarge", err)
	}
	afterRead = func(string) {
		f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		f.WriteString(", appended")
		f.Close()
	}
	defer func() { afterRead = nil }()
	if _, err := readStable(p, 1<<20); !errors.Is(err, ErrChanged) {
		t.Errorf("a file appended to while read: %v, want ErrChanged", err)
	}
	r, err := Measure(context.Background(), []string{p}, BPBOptions{Model: fixedModel(t, skewed)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Failed != 1 || !errors.Is(r.Files[0].Err(), ErrChanged) {
		t.Errorf("Measure of a changing file: failed %d, %v", r.Failed, r.Files[0].Err())
	}
}

// TestStreamBits checks that the bits do not depend on the thread count
// and that each segment starts a fresh context, as in the codec.
func TestStreamBits(t *testing.T) {
	m, err := model.New(model.Configs["tiny"], 1)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte(strings.Repeat("the model sees segments and windows; ", 300))
	const seg = 1000 // not a multiple of the window (64): windows restart per segment
	ctx := context.Background()
	per1 := make([]float32, len(data))
	one, err := streamBits(ctx, m, data, seg, 1, per1, nil)
	if err != nil {
		t.Fatal(err)
	}
	per3 := make([]float32, len(data))
	three, err := streamBits(ctx, m, data, seg, 3, per3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if one != three {
		t.Errorf("1 thread: %v bits, 3 threads: %v", one, three)
	}
	var sum float64
	for s := 0; s < len(data); s += seg {
		part := data[s:min(s+seg, len(data))]
		b, err := streamBits(ctx, m, part, seg, 1, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		sum += b
		for i := range part {
			if per3[s+i] != per1[s+i] {
				t.Fatalf("byte %d: %v bits with 3 threads, %v with 1", s+i, per3[s+i], per1[s+i])
			}
		}
	}
	if sum != one {
		t.Errorf("segment by segment %v bits, whole %v", sum, one)
	}
	whole, err := streamBits(ctx, m, data, len(data), 1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if whole == one {
		t.Error("one segment gives the same bits as segments of 1000 bytes: the contexts are not per segment")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := streamBits(cancelled, m, data, seg, 2, nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := byteBits(float32(math.NaN())); err == nil {
		t.Error("NaN probability accepted")
	}
	if b, err := byteBits(0); err != nil || b != maxByteBits {
		t.Errorf("p = 0: %v bits, %v", b, err)
	}
}

func TestParseBaselines(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{"", nil, false},
		{"none", nil, false},
		{"all", []string{"zstd", "xz", "brotli", "flate"}, false},
		{"xz, ZSTD", []string{"xz", "zstd"}, false},
		{"zstd,zstd", nil, true},
		{"zstd,bzip2", nil, true},
	} {
		bs, err := ParseBaselines(c.in)
		if (err != nil) != c.bad {
			t.Errorf("%q: error %v", c.in, err)
			continue
		}
		var names []string
		for _, b := range bs {
			names = append(names, b.Name)
		}
		if strings.Join(names, ",") != strings.Join(c.want, ",") {
			t.Errorf("%q: %v, want %v", c.in, names, c.want)
		}
	}
}

// TestBaselinesRoundTrip decodes every baseline's output with its
// library's decoder: the sizes reported are of real, complete streams.
func TestBaselinesRoundTrip(t *testing.T) {
	src, _ := skewedText(50_000, 9)
	src = append(src, randomData(2000, 9)...)
	decoders := map[string]func([]byte) ([]byte, error){
		"zstd": func(b []byte) ([]byte, error) {
			d, err := zstd.NewReader(nil)
			if err != nil {
				return nil, err
			}
			defer d.Close()
			return d.DecodeAll(b, nil)
		},
		"xz": func(b []byte) ([]byte, error) {
			r, err := xz.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, err
			}
			return io.ReadAll(r)
		},
		"brotli": func(b []byte) ([]byte, error) { return io.ReadAll(brotli.NewReader(bytes.NewReader(b))) },
		"flate":  func(b []byte) ([]byte, error) { return io.ReadAll(flate.NewReader(bytes.NewReader(b))) },
	}
	for _, b := range Baselines() {
		out, err := b.Compress(src)
		if err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		back, err := decoders[b.Name](out)
		if err != nil || !bytes.Equal(back, src) {
			t.Errorf("%s: round trip failed (%v)", b.Name, err)
		}
		if len(out) >= len(src)/2 {
			t.Errorf("%s: %d bytes of %d: not compressing", b.Name, len(out), len(src))
		}
	}
}

// TestPlot draws a report as PNG and SVG.
func TestPlot(t *testing.T) {
	dir := t.TempDir()
	text, _ := skewedText(3000, 4)
	writeTestFile(t, filepath.Join(dir, "t.txt"), text)
	writeTestFile(t, filepath.Join(dir, "r.bin"), randomData(3000, 4))
	bs, err := ParseBaselines("zstd,flate")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Measure(context.Background(), []string{dir}, BPBOptions{Model: fixedModel(t, skewed), Baselines: bs})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.WritePlot(&buf, "png", 600, 300); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("the plot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 300 {
		t.Errorf("plot of %v", b)
	}
	buf.Reset()
	if err := r.WritePlot(&buf, "svg", 600, 300); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "bits per byte", "text (1 file)", "total (2 files)", "zstd", "flate"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("SVG plot lacks %q", want)
		}
	}
	for path, want := range map[string]string{"a.png": "png", "b.SVG": "svg", "c.pdf": "pdf", "d.gif": "", "e": ""} {
		f, err := PlotFormat(path)
		if f != want || (err != nil) != (want == "") {
			t.Errorf("PlotFormat(%q) = %q, %v", path, f, err)
		}
	}
}

func TestMeasureExclude(t *testing.T) {
	dir := t.TempDir()
	m := fixedModel(t, skewed)
	writeTestFile(t, filepath.Join(dir, "a.txt"), []byte("kept"))
	writeTestFile(t, filepath.Join(dir, "SHA256SUMS"), []byte("left out"))
	writeTestFile(t, filepath.Join(dir, "docs", "b.md"), []byte("left out"))
	writeTestFile(t, filepath.Join(dir, "skip", "c.txt"), []byte("left out with its folder"))
	r, err := Measure(context.Background(), []string{dir, filepath.Join(dir, "docs", "b.md")},
		BPBOptions{Model: m, Exclude: []string{"SHA256SUMS", "*.md", "skip"}})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range r.Files {
		paths = append(paths, strings.TrimPrefix(f.Path, dir))
	}
	// A path given to Measure is measured even if it matches.
	if want := []string{"/a.txt", "/docs/b.md"}; strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("measured %v, want %v", paths, want)
	}
	if _, err := Measure(context.Background(), []string{dir}, BPBOptions{Model: m, Exclude: []string{"["}}); err == nil {
		t.Error("a malformed pattern was accepted")
	}
}
