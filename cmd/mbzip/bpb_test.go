package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mbzip/mbzip/model/modeltest"
)

// writeSkewedModel saves a "tiny" model that predicts, whatever the
// context, eight letters with fixed probabilities (head weights zero, the
// log-probabilities in the head bias), and returns text drawn from that
// distribution: text the model codes at its entropy, 2.5 bits per byte,
// which beats zstd, so compress keeps the model's segments.
func writeSkewedModel(t *testing.T, path string, n int) []byte {
	t.Helper()
	letters := "etaoinsh"
	probs := []float64{0.4, 0.2, 0.12, 0.09, 0.07, 0.05, 0.04, 0.03}
	fixed := make(map[byte]float64, len(letters))
	for j := range letters {
		fixed[letters[j]] = probs[j]
	}
	m := modeltest.Fixed(t, "test-skewed", fixed)
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, buf.Bytes())
	rng := rand.New(rand.NewPCG(uint64(n), 3))
	text := make([]byte, n)
	for i := range text {
		u := rng.Float64()
		j := 0
		for j < len(probs)-1 && u >= probs[j] {
			u -= probs[j]
			j++
		}
		text[i] = letters[j]
	}
	return text
}

// bpbJSON is the part of `bpb --json` the tests read.
type bpbJSON struct {
	Model string `json:"model"`
	Files []struct {
		Path           string  `json:"path"`
		Modality       string  `json:"modality"`
		Bytes          int64   `json:"bytes"`
		XentBPB        float64 `json:"xent_bpb"`
		CodedBytes     int64   `json:"coded_bytes"`
		CodedBPB       float64 `json:"coded_bpb"`
		VsXent         float64 `json:"coded_vs_xent_percent"`
		StoredSegments int     `json:"stored_segments"`
		Baselines      map[string]struct {
			Bytes int64   `json:"bytes"`
			BPB   float64 `json:"bpb"`
		} `json:"baselines"`
		Error string `json:"error"`
	} `json:"files"`
	Modalities []struct {
		Modality string `json:"modality"`
		Files    int    `json:"files"`
	} `json:"modalities"`
	Total struct {
		Files      int   `json:"files"`
		Bytes      int64 `json:"bytes"`
		CodedBytes int64 `json:"coded_bytes"`
	} `json:"total"`
	Failed int `json:"failed"`
}

// TestBPB runs bpb on a folder and checks every file's coded size against
// a real `mbzip compress` of it with the same model.
func TestBPB(t *testing.T) {
	dir := t.TempDir()
	modelPath := filepath.Join(dir, "skewed.safetensors")
	n := 150_000
	if testing.Short() {
		n = 110_000
	}
	text := writeSkewedModel(t, modelPath, n)
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(filepath.Join(data, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(data, "big.txt"), text)
	writeFile(t, filepath.Join(data, "sub", "src.txt"), textBytes(t, 5000))
	writeFile(t, filepath.Join(data, "noise.bin"), randomBytes(4000, 11))
	writeFile(t, filepath.Join(data, "SHA256SUMS"), []byte("left out by --exclude\n"))

	r := mbzip(t, dir, nil, "bpb", "--json", "--model", modelPath, "--baselines", "zstd,flate", "data", "--exclude", "SHA256SUMS").ok(t, "bpb --json")
	jsonOut := r.stdout
	var rep bpbJSON
	if err := json.Unmarshal(r.stdout, &rep); err != nil {
		t.Fatalf("bpb --json does not parse: %v\n%s", err, r.stdout)
	}
	if rep.Model != "test-skewed" || len(rep.Files) != 3 || rep.Failed != 0 || rep.Total.Files != 3 || len(rep.Modalities) != 2 {
		t.Fatalf("report: %s", r.stdout)
	}
	for _, f := range rep.Files {
		// The real thing: compress the file with the same model.
		c := mbzip(t, dir, nil, "compress", "-q", "-c", "--model", modelPath, f.Path).ok(t, "compress "+f.Path)
		if f.CodedBytes != int64(len(c.stdout)) {
			t.Errorf("%s: bpb says %d coded bytes, compress writes %d", f.Path, f.CodedBytes, len(c.stdout))
		}
		if want := 8 * float64(len(c.stdout)) / float64(f.Bytes); math.Abs(f.CodedBPB-want) > 1e-12 {
			t.Errorf("%s: coded bpb %v, want %v", f.Path, f.CodedBPB, want)
		}
		if len(f.Baselines) != 2 || f.Baselines["zstd"].Bytes == 0 || f.Baselines["flate"].BPB == 0 {
			t.Errorf("%s: baselines %+v", f.Path, f.Baselines)
		}
	}
	big := rep.Files[0]
	if big.Path != filepath.Join("data", "big.txt") || big.Modality != "text" || big.StoredSegments != 0 {
		t.Fatalf("first row %+v; want data/big.txt, text, coded by the model", big)
	}
	// Over 100 KB, the container costs under 0.5 % over the cross-entropy,
	// and the report says how much.
	rel := (big.CodedBPB - big.XentBPB) / big.XentBPB
	if rel < 0 || rel > 0.005 {
		t.Errorf("big.txt: coded %.4f against cross-entropy %.4f bits per byte (%.3f %%)", big.CodedBPB, big.XentBPB, 100*rel)
	}
	if math.Abs(big.VsXent-100*rel) > 1e-9 {
		t.Errorf("big.txt: coded_vs_xent_percent %v, want %v", big.VsXent, 100*rel)
	}
	// The cross-entropy is the model's, from the coding pass: the skewed
	// text's entropy under the model's own distribution, 2.5 bits per byte.
	if big.XentBPB < 2.4 || big.XentBPB > 2.6 {
		t.Errorf("big.txt: cross-entropy %.4f bits per byte, want about 2.5", big.XentBPB)
	}

	// The table, the CSV and the plot.
	r = mbzip(t, dir, nil, "bpb", "--model", modelPath, "--baselines", "xz", "--exclude", "SHA*", "--plot", "bpb.png", "data").ok(t, "bpb --plot")
	for _, want := range []string{"FILE", "MODALITY", "kB/s PER CORE", filepath.Join("data", "big.txt"), "total", "XZ", "test-skewed",
		strconv.FormatFloat(big.CodedBPB, 'f', 3, 64), "MBZ-XENT", fmt.Sprintf("%+.2f%%", big.VsXent),
		"On the 1 file over 100 kB coded by the model in every segment"} {
		if !strings.Contains(string(r.stdout), want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}
	f, err := os.Open(filepath.Join(dir, "bpb.png"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(f); err != nil {
		t.Errorf("bpb.png: %v", err)
	}
	f.Close()
	mbzip(t, dir, nil, "bpb", "--model", modelPath, "--plot", "bpb.png", "data/noise.bin").fails(t, "plot over an existing file", 1, "exists")
	mbzip(t, dir, nil, "bpb", "-f", "--model", modelPath, "--baselines", "none", "--plot", "bpb.png", "data/noise.bin").ok(t, "bpb -f --plot")

	r = mbzip(t, dir, nil, "bpb", "--csv", "--model", modelPath, "--baselines", "none", "--exclude", "SHA256SUMS", "data").ok(t, "bpb --csv")
	rows, err := csv.NewReader(bytes.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatalf("bpb --csv does not parse: %v\n%s", err, r.stdout)
	}
	if len(rows) != 1+3+2+1 || rows[0][0] != "row" || rows[1][1] != filepath.Join("data", "big.txt") ||
		rows[1][11] != strconv.FormatInt(big.CodedBytes, 10) || rows[6][0] != "total" {
		t.Errorf("CSV:\n%s", r.stdout)
	}

	// The JSON report written again as a table, CSV and plot.
	writeFile(t, filepath.Join(dir, "report.json"), jsonOut)
	r = mbzip(t, dir, nil, "bpb", "--from-json", "report.json", "--plot", "again.svg").ok(t, "bpb --from-json")
	for _, want := range []string{"FILE", filepath.Join("data", "big.txt"), "test-skewed", "MBZ-XENT",
		strconv.FormatFloat(big.CodedBPB, 'f', 3, 64), fmt.Sprintf("%+.2f%%", big.VsXent)} {
		if !strings.Contains(string(r.stdout), want) {
			t.Errorf("table from the JSON lacks %q:\n%s", want, r.stdout)
		}
	}
	if svg, err := os.ReadFile(filepath.Join(dir, "again.svg")); err != nil || !bytes.Contains(svg, []byte("<svg")) {
		t.Errorf("again.svg: %v", err)
	}
	r = mbzip(t, dir, nil, "bpb", "--from-json", "report.json", "--csv").ok(t, "bpb --from-json --csv")
	if rows, err := csv.NewReader(bytes.NewReader(r.stdout)).ReadAll(); err != nil || len(rows) != 1+3+2+1 ||
		rows[1][11] != strconv.FormatInt(big.CodedBytes, 10) {
		t.Errorf("CSV from the JSON (%v):\n%s", err, r.stdout)
	}
	mbzip(t, dir, nil, "bpb", "--from-json", "missing.json").fails(t, "--from-json of a missing file", 1, "no such file")
	writeFile(t, filepath.Join(dir, "bad.json"), []byte("{"))
	mbzip(t, dir, nil, "bpb", "--from-json", "bad.json").fails(t, "--from-json of a bad file", 1, "bad.json")
}

// TestBPBFailures: files that cannot be read are reported on stderr, the
// others are measured and summed, and the exit status is 1.
func TestBPBFailures(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "good.txt"), textBytes(t, 3000))
	if err := os.Symlink("nowhere", filepath.Join(dir, "dangling")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(".", filepath.Join(dir, "loop")); err != nil {
		t.Fatal(err)
	}
	r := mbzip(t, dir, nil, "bpb", "--baselines", "none", "--model", "test-random-v1", ".", "missing.txt")
	r.fails(t, "bpb with unreadable files", 1, "no such file")
	for _, want := range []string{"mbzip: dangling: no such file", "mbzip: loop: symbolic link loop", "mbzip: missing.txt: no such file"} {
		if !strings.Contains(string(r.stderr), want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(string(r.stdout), "good.txt") || !strings.Contains(string(r.stdout), "3 files of 4 failed") ||
		!strings.Contains(string(r.stdout), "total     1") {
		t.Errorf("the table does not give the good file and the totals:\n%s", r.stdout)
	}
	r = mbzip(t, dir, nil, "bpb", "--json", "--baselines", "none", "--model", "test-random-v1", ".", "missing.txt")
	var rep bpbJSON
	if err := json.Unmarshal(r.stdout, &rep); err != nil {
		t.Fatalf("JSON with failures does not parse: %v\n%s", err, r.stdout)
	}
	if r.code != 1 || rep.Failed != 3 || rep.Total.Files != 1 {
		t.Errorf("exit %d, failed %d, total over %d files", r.code, rep.Failed, rep.Total.Files)
	}
}

func TestBPBUsage(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), []byte("some text\n"))
	for _, c := range []struct {
		args []string
		word string
	}{
		{[]string{"bpb"}, "no file"},
		{[]string{"bpb", "--json", "--csv", "a.txt"}, "conflict"},
		{[]string{"bpb", "--baselines", "zstd,bzip2", "a.txt"}, "bzip2"},
		{[]string{"bpb", "--plot", "out.gif", "a.txt"}, "gif"},
		{[]string{"bpb", "--level", "12", "a.txt"}, "level"},
		{[]string{"bpb", "-", "a.txt"}, "standard input"},
		{[]string{"bpb", "--exclude", "[", "a.txt"}, "exclude"},
		{[]string{"bpb", "--from-json", "r.json", "a.txt"}, "from-json"},
		{[]string{"bpb", "--from-json", "-"}, "from-json"},
		{[]string{"inspect"}, "no file"},
		{[]string{"inspect", "a.txt", "a.txt"}, "one file"},
		{[]string{"inspect", "--heatmap", "out.jpg", "a.txt"}, "heatmap"},
		{[]string{"inspect", "--limit", "lots", "a.txt"}, "limit"},
	} {
		mbzip(t, dir, nil, c.args...).fails(t, strings.Join(c.args, " "), 2, c.word)
	}
	for _, cmd := range []string{"bpb", "inspect"} {
		r := mbzip(t, dir, nil, cmd, "--help").ok(t, cmd+" --help")
		if !strings.Contains(string(r.stdout), "Examples:") {
			t.Errorf("%s --help has no examples:\n%s", cmd, r.stdout)
		}
	}
}
