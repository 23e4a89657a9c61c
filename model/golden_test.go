package model

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/model.txt with the hashes computed now")

const goldenFile = "../testdata/golden/model.txt"

// goldenInputs are the fixed inputs whose probabilities are hashed.
func goldenInputs() map[string][]byte {
	fox := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 7)[:300]
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	return map[string][]byte{"fox300": []byte(fox), "bytes256": all}
}

// hashProbs returns the hex SHA-256 of probs as float32 little-endian bits.
func hashProbs(probs []float32) string {
	h := sha256.New()
	var b [4]byte
	for _, v := range probs {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func readGolden(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	f, err := os.Open(goldenFile)
	if os.IsNotExist(err) && *update {
		return out
	}
	if err != nil {
		t.Fatalf("golden hashes: %v (run go test ./model -run Golden -update)", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("golden hashes: bad line %q", line)
		}
		out[k] = strings.TrimSpace(v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func writeGolden(t *testing.T, hashes map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString("# SHA-256 of model probabilities (float32 LE bits) on fixed inputs, and model fingerprints.\n")
	buf.WriteString("# These pin the probability path (DESIGN.md §2): every build must reproduce them.\n")
	buf.WriteString("# Rewrite only on purpose: go test ./model -run Golden -update\n")
	keys := make([]string, 0, len(hashes))
	for k := range hashes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&buf, "%s %s\n", k, hashes[k])
	}
	if err := os.MkdirAll(filepath.Dir(goldenFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goldenFile, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGolden compares the fingerprints and probability hashes of the seed-1
// "tiny" and "ref" models with testdata/golden/model.txt. The same hashes
// must come out of every build (default, -tags purego, other GOARCH). For
// "tiny" the probabilities of Batch are hashed too, against the same line.
func TestGolden(t *testing.T) {
	want := readGolden(t)
	got := map[string]string{}
	for _, name := range []string{"tiny", "ref"} {
		if name == "ref" && testing.Short() {
			t.Log("-short: skipping ref")
			continue
		}
		m := newTestModel(t, Configs[name], 1)
		fp := m.Fingerprint()
		got[name+"/seed1/fingerprint"] = hex.EncodeToString(fp[:])
		for in, seq := range goldenInputs() {
			key := name + "/seed1/" + in
			got[key] = hashProbs(forward(m, seq))
			if name == "tiny" {
				if h := hashProbs(batchProbs(m, seq)); h != got[key] {
					t.Errorf("%s: Batch hash %s, Forward hash %s", key, h, got[key])
				}
			}
		}
	}
	if *update {
		for k, v := range got {
			want[k] = v
		}
		writeGolden(t, want)
		return
	}
	for k, v := range got {
		switch w, ok := want[k]; {
		case !ok:
			t.Errorf("%s: no golden hash (run with -update to add it)", k)
		case w != v:
			t.Errorf("%s: hash %s, golden %s: the probability path changed", k, v, w)
		}
	}
}

// batchProbs codes seq through a one-row Batch.
func batchProbs(m *Model, seq []byte) []float32 {
	b := m.NewBatch(1)
	probs := make([]float32, len(seq)*256)
	row := []int{0}
	for i, c := range seq {
		b.Next(row, probs[i*256:(i+1)*256])
		b.Push(row, []byte{c})
	}
	return probs
}
