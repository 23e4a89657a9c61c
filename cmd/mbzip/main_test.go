package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mbzip/mbzip/kernels"
	"github.com/mbzip/mbzip/model"
	"github.com/mbzip/mbzip/model/builtin"
)

// The tests build the real binary once and run it as a subprocess, so that
// exit codes, standard streams and the files left behind are exactly what a
// user sees.
var (
	binPath    string // the mbzip binary under test
	otherModel string // a .safetensors model that is not built in
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "mbzip-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binPath = filepath.Join(dir, "mbzip")
	// The subprocesses compress with the tiny untrained model unless a test
	// clears this: the shipped text prior codes at kB/s on a busy machine,
	// and these tests are about the command line, not the model.
	os.Setenv("MBZIP_MODEL", "test-random-v1")
	if out, err := exec.Command("go", append(append([]string{"build"}, buildTags...), "-o", binPath, ".")...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building mbzip: %v\n%s", err, out)
		return 1
	}
	otherModel = filepath.Join(dir, "other.safetensors")
	if err := writeOtherModel(otherModel); err != nil {
		fmt.Fprintf(os.Stderr, "writing the test model: %v\n", err)
		return 1
	}
	return m.Run()
}

// writeOtherModel saves the "tiny" config with seed 2: a valid model whose
// fingerprint differs from every built-in one.
func writeOtherModel(path string) error {
	m, err := model.New(model.Configs["tiny"], 2)
	if err != nil {
		return err
	}
	m.SetName("test-other-seed2")
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// result is one run of the binary.
type result struct {
	stdout, stderr []byte
	code           int
}

// mbzip runs the binary in dir with stdin and args, and fails the test on
// any sign of a crash: a run must end with a message and an exit code,
// never a panic or a runtime fatal error.
func mbzip(t *testing.T, dir string, stdin []byte, args ...string) result {
	t.Helper()
	return runCmd(t, dir, stdin, binPath, args...)
}

// mbzipLimited is mbzip under a 4 GiB address-space limit, so that a
// decoder that allocates from an unchecked length dies visibly instead of
// swapping the machine.
func mbzipLimited(t *testing.T, dir string, args ...string) result {
	t.Helper()
	sh := `ulimit -v 4194304 2>/dev/null; exec "$0" "$@"`
	return runCmd(t, dir, nil, "sh", append([]string{"-c", sh, binPath}, args...)...)
}

// runCmd runs one command. It is killed a little before the test binary's
// own deadline, so that a hung run fails its test instead of outliving it.
func runCmd(t *testing.T, dir string, stdin []byte, name string, args ...string) result {
	t.Helper()
	ctx := t.Context()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-10*time.Second))
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%v: killed at the test deadline: %v", cmd.Args, ctx.Err())
	}
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running %v: %v", cmd.Args, err)
		}
		code = ee.ExitCode()
	}
	r := result{stdout: stdout.Bytes(), stderr: stderr.Bytes(), code: code}
	for _, bad := range []string{"panic:", "fatal error:", "goroutine "} {
		if bytes.Contains(r.stderr, []byte(bad)) {
			t.Fatalf("%v crashed (exit %d):\n%s", cmd.Args[1:], code, r.stderr)
		}
	}
	return r
}

// ok fails the test unless r succeeded.
func (r result) ok(t *testing.T, what string) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("%s: exit %d, stderr:\n%s", what, r.code, r.stderr)
	}
	return r
}

// fails checks exit code want and that stderr says "mbzip:" and contains
// at least one of the words (case-insensitive) that name the problem.
func (r result) fails(t *testing.T, what string, want int, words ...string) {
	t.Helper()
	if r.code != want {
		t.Fatalf("%s: exit %d, want %d; stderr:\n%s", what, r.code, want, r.stderr)
	}
	msg := strings.ToLower(string(r.stderr))
	if !strings.Contains(msg, "mbzip: ") {
		t.Errorf("%s: stderr does not start its message with \"mbzip: \":\n%s", what, r.stderr)
	}
	if len(words) == 0 {
		return
	}
	for _, w := range words {
		if strings.Contains(msg, strings.ToLower(w)) {
			return
		}
	}
	t.Errorf("%s: stderr names none of %q:\n%s", what, words, r.stderr)
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// listDir returns the sorted names in dir, hidden temporaries included.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// sameDir fails the test if dir holds other names than want: the check that
// a failure left neither an output nor a temporary file behind.
func sameDir(t *testing.T, dir string, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := listDir(t, dir); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("directory holds %q, want %q", got, want)
	}
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x6d627a6970))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// textBytes returns n bytes of English-like text: this package's own
// sources, repeated. Real text matters because a text file is detected as
// the text modality.
func textBytes(t *testing.T, n int) []byte {
	t.Helper()
	var src []byte
	files, _ := filepath.Glob("*.go")
	sort.Strings(files)
	for _, f := range files {
		src = append(src, readFile(t, f)...)
	}
	if len(src) == 0 {
		t.Fatal("no source text found")
	}
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, src[:min(len(src), n-len(out))]...)
	}
	return out
}

// roundTrip compresses name in dir with the extra compress args, checks
// that the input is kept and FILE.mbz is written, then decompresses it in
// place of the moved-away original and compares byte for byte.
func roundTrip(t *testing.T, dir, name string, data []byte, args ...string) {
	t.Helper()
	path := filepath.Join(dir, name)
	writeFile(t, path, data)
	r := mbzip(t, dir, nil, append(append([]string{"compress", "-q"}, args...), name)...).ok(t, "compress "+name)
	if len(r.stdout) != 0 {
		t.Errorf("compress %s wrote %d bytes to stdout", name, len(r.stdout))
	}
	if !bytes.Equal(readFile(t, path), data) {
		t.Fatalf("compress %s changed its input", name)
	}
	if err := os.Rename(path, path+".orig"); err != nil {
		t.Fatal(err)
	}
	mbzip(t, dir, nil, "decompress", "-q", name+".mbz").ok(t, "decompress "+name)
	if got := readFile(t, path); !bytes.Equal(got, data) {
		t.Fatalf("%s: round trip differs: got %d bytes, want %d", name, len(got), len(data))
	}
	if !exists(path + ".mbz") {
		t.Errorf("decompress removed %s.mbz without --rm", name)
	}
}

func TestRoundTrip(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	// The untrained built-in model runs at a few hundred KB/s per core, so
	// the whole 14 MB binary would take minutes: a 1 MiB slice from its
	// middle (code and data, not just the ELF header) stands for it, and
	// -short trims the slow cases further.
	bin := readFile(t, binPath)
	binSize, randomSize := 1<<20, 1<<20
	if testing.Short() {
		binSize, randomSize = 128<<10, 128<<10
	}
	if len(bin) > binSize {
		mid := len(bin)/2 - binSize/2
		bin = bin[mid : mid+binSize]
	}
	cases := []struct {
		name string
		data []byte
		args []string
	}{
		{"empty", nil, nil},
		{"one", []byte{'x'}, nil},
		{"all256", all, nil},
		{"random.bin", randomBytes(randomSize, 1), nil},
		{"text.txt", textBytes(t, 50_000), nil},
		{"mbzip-binary", bin, nil},
		{"segments.txt", textBytes(t, 40_000), []string{"--segment-size", "4096"}},
		{"level1.txt", textBytes(t, 5_000), []string{"-1"}},
		{"level9-threads1.txt", textBytes(t, 5_000), []string{"-9", "--threads", "1"}},
		{"lanes1.txt", textBytes(t, 5_000), []string{"--lanes", "1"}},
		{"lanes2.txt", textBytes(t, 5_000), []string{"--lanes", "2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			roundTrip(t, dir, c.name, c.data, c.args...)
			sameDir(t, dir, c.name, c.name+".orig", c.name+".mbz")
		})
	}
}

func TestStdinStdout(t *testing.T) {
	dir := t.TempDir()
	data := textBytes(t, 20_000)
	for _, args := range [][]string{{"compress"}, {"compress", "-"}, {"compress", "-c", "-"}} {
		comp := mbzip(t, dir, data, args...).ok(t, strings.Join(args, " "))
		if len(comp.stdout) == 0 {
			t.Fatalf("%v wrote nothing to stdout", args)
		}
		for _, dargs := range [][]string{{"decompress"}, {"decompress", "-"}} {
			dec := mbzip(t, dir, comp.stdout, dargs...).ok(t, strings.Join(dargs, " "))
			if !bytes.Equal(dec.stdout, data) {
				t.Fatalf("%v | %v: round trip differs", args, dargs)
			}
		}
	}
	// Standard input into a named output.
	mbzip(t, dir, data, "compress", "-o", "piped.mbz").ok(t, "compress -o from stdin")
	mbzip(t, dir, nil, "decompress", "piped.mbz").ok(t, "decompress piped.mbz")
	if !bytes.Equal(readFile(t, filepath.Join(dir, "piped")), data) {
		t.Fatal("stdin -> -o -> decompress differs")
	}
	sameDir(t, dir, "piped", "piped.mbz")
}

func TestSeveralFiles(t *testing.T) {
	dir := t.TempDir()
	want := map[string][]byte{
		"a.txt": textBytes(t, 3000),
		"b.bin": randomBytes(5000, 2),
		"c":     []byte("c\n"),
	}
	for n, d := range want {
		writeFile(t, filepath.Join(dir, n), d)
	}
	// A missing file in the middle: the others are still compressed, and the
	// exit code says something failed.
	r := mbzip(t, dir, nil, "compress", "-q", "a.txt", "missing", "b.bin", "c")
	r.fails(t, "compress with a missing file", 1, "missing: no such file")
	sameDir(t, dir, "a.txt", "a.txt.mbz", "b.bin", "b.bin.mbz", "c", "c.mbz")

	mbzip(t, dir, nil, "decompress", "-q", "--rm", "-f", "a.txt.mbz", "b.bin.mbz", "c.mbz").ok(t, "decompress three")
	sameDir(t, dir, "a.txt", "b.bin", "c")
	for n, d := range want {
		if !bytes.Equal(readFile(t, filepath.Join(dir, n)), d) {
			t.Errorf("%s differs after the round trip", n)
		}
	}
	// -c with several containers concatenates their contents.
	mbzip(t, dir, nil, "compress", "a.txt", "c").ok(t, "compress two")
	cat := mbzip(t, dir, nil, "decompress", "-c", "a.txt.mbz", "c.mbz").ok(t, "decompress -c two")
	if !bytes.Equal(cat.stdout, append(append([]byte{}, want["a.txt"]...), want["c"]...)) {
		t.Error("decompress -c of two containers is not their concatenation")
	}
}

func TestForceRmKeep(t *testing.T) {
	dir := t.TempDir()
	data := textBytes(t, 4000)
	writeFile(t, filepath.Join(dir, "f.txt"), data)
	writeFile(t, filepath.Join(dir, "f.txt.mbz"), []byte("precious"))

	mbzip(t, dir, nil, "compress", "f.txt").fails(t, "compress onto an existing output", 1, "already exists")
	if got := readFile(t, filepath.Join(dir, "f.txt.mbz")); string(got) != "precious" {
		t.Fatal("existing output was overwritten without -f")
	}
	sameDir(t, dir, "f.txt", "f.txt.mbz")

	// Options after the file name work as in gzip.
	mbzip(t, dir, nil, "compress", "f.txt", "-f", "-k").ok(t, "compress -f -k")
	if string(readFile(t, filepath.Join(dir, "f.txt.mbz"))) == "precious" {
		t.Fatal("-f did not overwrite")
	}
	sameDir(t, dir, "f.txt", "f.txt.mbz")

	// Decompressing onto the existing original needs -f too.
	mbzip(t, dir, nil, "decompress", "f.txt.mbz").fails(t, "decompress onto an existing output", 1, "already exists")
	mbzip(t, dir, nil, "decompress", "-f", "--rm", "f.txt.mbz").ok(t, "decompress -f --rm")
	sameDir(t, dir, "f.txt")
	if !bytes.Equal(readFile(t, filepath.Join(dir, "f.txt")), data) {
		t.Fatal("decompress -f produced other bytes")
	}

	mbzip(t, dir, nil, "compress", "--rm", "f.txt").ok(t, "compress --rm")
	sameDir(t, dir, "f.txt.mbz")
	mbzip(t, dir, nil, "decompress", "f.txt.mbz").ok(t, "decompress")
	sameDir(t, dir, "f.txt", "f.txt.mbz")

	// A .mbz input is not compressed again without -f.
	mbzip(t, dir, nil, "compress", "f.txt.mbz").fails(t, "compress a .mbz", 1, "suffix")
	sameDir(t, dir, "f.txt", "f.txt.mbz")

	// An output that is the input itself is refused even with -f.
	mbzip(t, dir, nil, "compress", "-f", "-o", "f.txt", "f.txt").fails(t, "compress onto its input", 1, "overwrite the input")
	if !bytes.Equal(readFile(t, filepath.Join(dir, "f.txt")), data) {
		t.Fatal("input was damaged")
	}
	sameDir(t, dir, "f.txt", "f.txt.mbz")
}

func TestOutputFlags(t *testing.T) {
	dir := t.TempDir()
	data := textBytes(t, 6000)
	writeFile(t, filepath.Join(dir, "in.txt"), data)

	mbzip(t, dir, nil, "compress", "-o", "sub.mbz", "in.txt").ok(t, "compress -o")
	c := mbzip(t, dir, nil, "compress", "-c", "in.txt").ok(t, "compress -c")
	if !bytes.Equal(c.stdout, readFile(t, filepath.Join(dir, "sub.mbz"))) {
		t.Error("compress -c and compress -o wrote different containers for the same input")
	}
	named := mbzip(t, dir, nil, "compress", "--model", "test-random-v1", "-c", "in.txt").ok(t, "compress --model NAME")
	if !bytes.Equal(named.stdout, c.stdout) {
		t.Error("--model with the default's name wrote another container than the default")
	}
	sameDir(t, dir, "in.txt", "sub.mbz")

	// Names without .mbz need -o or -c.
	mbzip(t, dir, nil, "compress", "-o", "packed", "in.txt").ok(t, "compress -o packed")
	mbzip(t, dir, nil, "decompress", "packed").fails(t, "decompress a name without .mbz", 1, "suffix")
	sameDir(t, dir, "in.txt", "packed", "sub.mbz")
	d := mbzip(t, dir, nil, "decompress", "-c", "packed").ok(t, "decompress -c packed")
	if !bytes.Equal(d.stdout, data) {
		t.Error("decompress -c differs")
	}
	mbzip(t, dir, nil, "decompress", "-o", "out.txt", "packed").ok(t, "decompress -o")
	if !bytes.Equal(readFile(t, filepath.Join(dir, "out.txt")), data) {
		t.Error("decompress -o differs")
	}
	mbzip(t, dir, nil, "decompress", "-o", filepath.Join("nodir", "x"), "packed").fails(t, "decompress into a missing directory", 1, "no such file")
	sameDir(t, dir, "in.txt", "out.txt", "packed", "sub.mbz")

	// A directory is not an input.
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	mbzip(t, dir, nil, "compress", "d").fails(t, "compress a directory", 1, "is a directory")
	sameDir(t, dir, "d", "in.txt", "out.txt", "packed", "sub.mbz")
}

// corruptCase is a damaged container and what its error must mention.
type corruptCase struct {
	name  string
	data  []byte
	words []string
}

func TestCorruptInput(t *testing.T) {
	dir := t.TempDir()
	data := textBytes(t, 30_000)
	writeFile(t, filepath.Join(dir, "good.txt"), data)
	mbzip(t, dir, nil, "compress", "--segment-size", "8K", "good.txt").ok(t, "compress")
	good := readFile(t, filepath.Join(dir, "good.txt.mbz"))
	if len(good) < 64 {
		t.Fatalf("container is only %d bytes", len(good))
	}

	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x10
	magic := bytes.Clone(good)
	copy(magic, "GZIP")
	cases := []corruptCase{
		{"empty", nil, []string{"truncat", "empty", "magic"}},
		{"cut-3", good[:3], []string{"truncat", "magic"}},
		{"cut-half", good[:len(good)/2], []string{"truncat"}},
		{"cut-last", good[:len(good)-1], []string{"truncat"}},
		{"flipped", flipped, []string{"checksum", "corrupt", "mismatch"}},
		{"magic", magic, []string{"magic", "not an mbz", "not a .mbz"}},
		{"text", []byte("hello, this is not a container at all\n"), []string{"magic", "not an mbz", "not a .mbz"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := t.TempDir()
			writeFile(t, filepath.Join(d, "x.mbz"), c.data)
			mbzip(t, d, nil, "decompress", "x.mbz").fails(t, "decompress "+c.name, 1, c.words...)
			sameDir(t, d, "x.mbz")
			if c.name != "flipped" {
				// Inspect cannot check a model-coded segment without
				// decoding it, so a flipped payload bit may pass info.
				mbzip(t, d, nil, "info", "x.mbz").fails(t, "info "+c.name, 1, c.words...)
			}
			s := mbzip(t, d, c.data, "decompress")
			s.fails(t, "decompress stdin "+c.name, 1, c.words...)
		})
	}
}

// TestDamageAnywhere flips one bit at many offsets and overwrites runs of
// header bytes with 0xFF (huge lengths). Each damaged container must either
// fail cleanly (exit 1, a message, no output left) or, where the damage hit
// a field that does not matter for the bytes, restore the original exactly:
// never wrong data with exit 0, never a crash, never a huge allocation.
func TestDamageAnywhere(t *testing.T) {
	dir := t.TempDir()
	data := textBytes(t, 3000)
	writeFile(t, filepath.Join(dir, "s.txt"), data)
	mbzip(t, dir, nil, "compress", "s.txt").ok(t, "compress")
	good := readFile(t, filepath.Join(dir, "s.txt.mbz"))

	var damaged [][]byte
	step := max(1, len(good)/40)
	if testing.Short() {
		step = max(1, len(good)/12)
	}
	for off := 0; off < len(good); off += step {
		b := bytes.Clone(good)
		b[off] ^= 1 << (off % 8)
		damaged = append(damaged, b)
	}
	for off := 4; off < min(len(good), 96); off += 4 {
		b := bytes.Clone(good)
		for i := off; i < min(len(b), off+8); i++ {
			b[i] = 0xFF
		}
		damaged = append(damaged, b)
	}
	for i, b := range damaged {
		d := t.TempDir()
		writeFile(t, filepath.Join(d, "x.mbz"), b)
		r := mbzipLimited(t, d, "decompress", "x.mbz")
		switch r.code {
		case 0:
			if got := readFile(t, filepath.Join(d, "x")); !bytes.Equal(got, data) {
				t.Fatalf("damage %d: exit 0 with wrong output", i)
			}
		case 1:
			if !bytes.HasPrefix(r.stderr, []byte("mbzip: x.mbz: ")) {
				t.Fatalf("damage %d: message %q does not name the file", i, r.stderr)
			}
			sameDir(t, d, "x.mbz")
		default:
			t.Fatalf("damage %d: exit %d:\n%s", i, r.code, r.stderr)
		}
	}
}

func TestOtherModel(t *testing.T) {
	dir := t.TempDir()
	data := textBytes(t, 5000)
	writeFile(t, filepath.Join(dir, "m.txt"), data)
	local := filepath.Join(dir, "my.safetensors")
	writeFile(t, local, readFile(t, otherModel))

	mbzip(t, dir, nil, "compress", "--model", local, "m.txt").ok(t, "compress --model FILE")
	info := mbzip(t, dir, nil, "info", "m.txt.mbz").ok(t, "info")
	if !bytes.Contains(info.stdout, []byte("test-other-seed2")) {
		t.Errorf("info does not name the model:\n%s", info.stdout)
	}
	if err := os.Rename(filepath.Join(dir, "m.txt"), filepath.Join(dir, "m.orig")); err != nil {
		t.Fatal(err)
	}

	// Without the model: a clear failure that names it, and no output.
	mbzip(t, dir, nil, "decompress", "m.txt.mbz").fails(t, "decompress without the model", 1, "test-other-seed2")
	sameDir(t, dir, "m.orig", "m.txt.mbz", "my.safetensors")

	// With the model it decodes.
	mbzip(t, dir, nil, "decompress", "--model", local, "m.txt.mbz").ok(t, "decompress --model FILE")
	if !bytes.Equal(readFile(t, filepath.Join(dir, "m.txt")), data) {
		t.Fatal("round trip through a model file differs")
	}

	// The model file deleted: --model names a missing file.
	if err := os.Remove(local); err != nil {
		t.Fatal(err)
	}
	mbzip(t, dir, nil, "decompress", "-f", "--model", local, "m.txt.mbz").fails(t, "decompress with a deleted model", 1, "no such file")
	mbzip(t, dir, nil, "compress", "--model", "no-such-model", "-c", "m.orig").fails(t, "compress with an unknown model", 1, "not a built-in model")

	// A model file that is not a model.
	writeFile(t, local, []byte("not safetensors"))
	mbzip(t, dir, nil, "compress", "--model", local, "-o", "y.mbz", "m.orig").fails(t, "compress with a bad model file", 1, "my.safetensors")
	sameDir(t, dir, "m.orig", "m.txt", "m.txt.mbz", "my.safetensors")
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a"), []byte("a"))
	writeFile(t, filepath.Join(dir, "b"), []byte("b"))
	cases := [][]string{
		{},
		{"frobnicate"},
		{"compress", "--no-such-flag", "a"},
		{"compress", "--threads", "many", "a"},
		{"compress", "--threads", "-1", "a"},
		{"compress", "--segment-size", "big", "a"},
		{"compress", "--segment-size", "0", "a"},
		{"compress", "--lanes", "0", "a"},
		{"compress", "--lanes", "65", "a"},
		{"compress", "-1", "-9", "a"},
		{"compress", "-o", "x.mbz", "-c", "a"},
		{"compress", "-o", "x.mbz", "a", "b"},
		{"compress", "-c", "a", "b"},
		{"compress", "--rm", "-k", "a"},
		{"compress", "--rm", "-c", "a"},
		{"compress", "-q", "-v", "a"},
		{"decompress", "--level", "3", "a"},
		{"decompress", "-9", "a"},
		{"info", "--bogus"},
		{"models", "extra"},
	}
	for _, args := range cases {
		r := mbzip(t, dir, nil, args...)
		r.fails(t, fmt.Sprintf("mbzip %q", args), 2)
	}
	sameDir(t, dir, "a", "b")
}

func TestHelp(t *testing.T) {
	dir := t.TempDir()
	top := mbzip(t, dir, nil, "--help").ok(t, "--help")
	for _, cmd := range []string{"compress", "decompress", "info", "models"} {
		if !bytes.Contains(top.stdout, []byte(cmd)) {
			t.Errorf("mbzip --help does not list %s", cmd)
		}
		r := mbzip(t, dir, nil, cmd, "--help").ok(t, cmd+" --help")
		if !bytes.Contains(r.stdout, []byte("Examples:")) || !bytes.Contains(r.stdout, []byte("mbzip "+cmd)) {
			t.Errorf("%s --help has no examples:\n%s", cmd, r.stdout)
		}
	}
	h := mbzip(t, dir, nil, "compress", "--help").ok(t, "compress --help")
	for _, flag := range []string{"-1", "-9", "--output", "-c", "--force", "--rm", "--keep", "--model", "--threads", "--segment-size", "--quiet", "--verbose"} {
		if !bytes.Contains(h.stdout, []byte(flag)) {
			t.Errorf("compress --help lacks %s", flag)
		}
	}
}

// TestVersion checks that --version names the kernels the binary runs:
// those these tests detect: generic when they run with -tags purego, whose
// binary is built with the same tag.
func TestVersion(t *testing.T) {
	r := mbzip(t, t.TempDir(), nil, "--version").ok(t, "--version")
	line := regexp.MustCompile(`^mbzip version \S+\nkernels: (avx512|avx2|avx2 without F16C|generic) \(` + runtime.GOOS + "/" + runtime.GOARCH + `\)\n$`)
	m := line.FindSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("--version printed %q: want the version, then the kernels and the platform", r.stdout)
	}
	if string(m[1]) != kernels.ISA() {
		t.Errorf("--version names the %s kernels, the tests detect %s", m[1], kernels.ISA())
	}
}

func TestInfoAndModels(t *testing.T) {
	dir := t.TempDir()
	data := textBytes(t, 20_000)
	writeFile(t, filepath.Join(dir, "i.txt"), data)
	mbzip(t, dir, nil, "compress", "-7", "--segment-size", "4K", "i.txt").ok(t, "compress")
	size := len(readFile(t, filepath.Join(dir, "i.txt.mbz")))
	out := string(mbzip(t, dir, nil, "info", "i.txt.mbz").ok(t, "info").stdout)
	for _, want := range []string{
		"i.txt.mbz:",
		"modality        text",
		"model           test-random-v1",
		"level           7",
		fmt.Sprintf("original        %d bytes", len(data)),
		fmt.Sprintf("compressed      %d bytes", size),
		fmt.Sprintf("bits per byte   %.3f", 8*float64(size)/float64(len(data))),
		"segments        5 of 4096 bytes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("info lacks %q:\n%s", want, out)
		}
	}
	// Two files, one of them bad: the good one is still described.
	writeFile(t, filepath.Join(dir, "bad.mbz"), []byte("garbage"))
	r := mbzip(t, dir, nil, "info", "bad.mbz", "i.txt.mbz")
	r.fails(t, "info with a bad file", 1, "bad.mbz")
	if !bytes.Contains(r.stdout, []byte("i.txt.mbz:")) {
		t.Error("info stopped at the first bad file")
	}

	m := string(mbzip(t, dir, nil, "models").ok(t, "models").stdout)
	for _, want := range []string{"NAME", "FINGERPRINT", "text-wide-v1-f16 *", "text-wide-v1-h16 ", "text-wide-v1 ", "text-ref-v7-f16", "text-ref-v7-h16", "text-ref-v7", "text-ref-v6", "text-ref-v5", "text-ref-v4", "text-ref-v3", "text-ref-v2", "text-ref-v1", "test-random-v1", "UNTRAINED"} {
		if !strings.Contains(m, want) {
			t.Errorf("models lacks %q:\n%s", want, m)
		}
	}
}

func TestVerbose(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "v.txt"), textBytes(t, 2000))
	r := mbzip(t, dir, nil, "compress", "-v", "v.txt").ok(t, "compress -v")
	if !bytes.Contains(r.stderr, []byte("v.txt -> v.txt.mbz: 2000 -> ")) {
		t.Errorf("compress -v says %q", r.stderr)
	}
	r = mbzip(t, dir, nil, "decompress", "-v", "-f", "v.txt.mbz").ok(t, "decompress -v")
	if !bytes.Contains(r.stderr, []byte("v.txt.mbz -> v.txt: ")) {
		t.Errorf("decompress -v says %q", r.stderr)
	}
}

// TestTerminal runs mbzip on a pseudo-terminal (util-linux script): compressed
// data is not written to a terminal without -f, and the progress bar, which
// appears only on a terminal, must not disturb the output file.
func TestTerminal(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) to provide a terminal")
	}
	dir := t.TempDir()
	data := textBytes(t, 100_000)
	writeFile(t, filepath.Join(dir, "t.txt"), data)
	onTTY := func(args string) result {
		return runCmd(t, dir, nil, script, "-qec", binPath+" "+args, "/dev/null")
	}
	r := onTTY("compress -c t.txt")
	if r.code != 1 || !bytes.Contains(r.stdout, []byte("refusing to write compressed data to a terminal")) {
		t.Fatalf("compress -c to a terminal: exit %d, output %q", r.code, r.stdout)
	}
	sameDir(t, dir, "t.txt")
	onTTY("compress --segment-size 16K t.txt").ok(t, "compress with a progress bar")
	if err := os.Rename(filepath.Join(dir, "t.txt"), filepath.Join(dir, "t.orig")); err != nil {
		t.Fatal(err)
	}
	onTTY("decompress t.txt.mbz").ok(t, "decompress with a progress bar")
	if !bytes.Equal(readFile(t, filepath.Join(dir, "t.txt")), data) {
		t.Fatal("round trip on a terminal differs")
	}
	if r := onTTY("compress -f -c t.txt"); r.code != 0 || len(r.stdout) == 0 {
		t.Fatalf("compress -f -c to a terminal: exit %d, %d bytes", r.code, len(r.stdout))
	}
}

// TestInterrupt stops a compression with SIGINT while its temporary output
// exists: the temporary file must be removed and the exit status be 130.
func TestInterrupt(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "big.bin"), randomBytes(4<<20, 3))
	cmd := exec.CommandContext(t.Context(), binPath, "compress", "-q", "--threads", "1", "big.bin")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for the temporary output to appear (the model takes seconds over
	// 4 MiB), then interrupt.
	seen := false
	for i := 0; i < 600 && !seen; i++ {
		for _, n := range listDir(t, dir) {
			if strings.HasSuffix(n, ".tmp") {
				seen = true
			}
		}
		if !seen {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if !seen {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("no temporary output appeared within 30 s")
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if exists(filepath.Join(dir, "big.bin.mbz")) {
		t.Skip("compression finished before the interrupt arrived")
	}
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 130 {
		t.Fatalf("interrupted run: %v, stderr %q; want exit 130", err, stderr.Bytes())
	}
	sameDir(t, dir, "big.bin")
}

// TestShippedTextModel compresses with the defaults a user gets (no
// MBZIP_MODEL): a text file goes through the trained text prior, which must
// beat storing it, and comes back byte-exact.
func TestShippedTextModel(t *testing.T) {
	dir := t.TempDir()
	text := []byte(`It was the best of times, it was the worst of times, it was the age of
wisdom, it was the age of foolishness, it was the epoch of belief, it was the
epoch of incredulity, it was the season of Light, it was the season of
Darkness, it was the spring of hope, it was the winter of despair, we had
everything before us, we had nothing before us, we were all going direct to
Heaven, we were all going direct the other way.
`)
	writeFile(t, filepath.Join(dir, "t.txt"), text)
	env := func(args ...string) result {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), binPath, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "MBZIP_MODEL=")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr.Bytes())
		}
		return result{stdout: stdout.Bytes(), stderr: stderr.Bytes()}
	}
	env("compress", "-q", "t.txt")
	info := string(env("info", "t.txt.mbz").stdout)
	if !strings.Contains(info, "model           text-wide-v1-f16") {
		t.Fatalf("the default model for text is not text-wide-v1-f16:\n%s", info)
	}
	// About 100 bytes of the file are container (header, fingerprint,
	// checksums); the model must have coded the segment, not stored it.
	if !strings.Contains(info, "(0 stored)") {
		t.Errorf("text-wide-v1-f16 did not code the English segment:\n%s", info)
	}
	if size := len(readFile(t, filepath.Join(dir, "t.txt.mbz"))); size > len(text)/2+100 {
		t.Errorf("text-wide-v1-f16 coded %d bytes of English into %d bytes:\n%s", len(text), size, info)
	}
	if got := env("decompress", "-c", "t.txt.mbz").stdout; !bytes.Equal(got, text) {
		t.Fatal("round trip through text-wide-v1-f16 changed the bytes")
	}
}

// TestModelsExport checks models --export: the file loads as the same model
// (the binary16 default's fingerprint included), an existing file is kept
// without -f, an unknown model writes nothing, and --model without
// --export is a usage error.
func TestModelsExport(t *testing.T) {
	dir := t.TempDir()
	out := mbzip(t, dir, nil, "models", "--export", "d.safetensors").ok(t, "export the default").stdout
	data := readFile(t, filepath.Join(dir, "d.safetensors"))
	m, err := model.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	def, err := builtin.Default()
	if err != nil {
		t.Fatal(err)
	}
	if m.Fingerprint() != def.Fingerprint() || m.Cfg != def.Cfg {
		t.Fatalf("the exported default loads as another model: %+v", m.Cfg)
	}
	if !bytes.Contains(out, []byte(def.Name())) {
		t.Errorf("export says %q, not the model's name", out)
	}
	mbzip(t, dir, nil, "models", "--export", "d.safetensors", "--model", "text-ref-v7-f16").fails(t, "export over a file", 1, "already exists")
	if !bytes.Equal(readFile(t, filepath.Join(dir, "d.safetensors")), data) {
		t.Fatal("a refused export changed the file")
	}
	mbzip(t, dir, nil, "models", "--export", "d.safetensors", "--model", "text-ref-v7-f16", "-f").ok(t, "export with -f")
	if m, err := model.Load(readFile(t, filepath.Join(dir, "d.safetensors"))); err != nil || !m.Cfg.HalfKV || m.Cfg.GlobalMLP != 0 {
		t.Fatalf("the exported text-ref-v7-f16 loads as %+v, %v", m, err)
	}
	mbzip(t, dir, nil, "models", "--export", "x.safetensors", "--model", "no-such-model").fails(t, "export of an unknown model", 1, "no such model")
	if _, err := os.Stat(filepath.Join(dir, "x.safetensors")); !os.IsNotExist(err) {
		t.Fatal("a failed export left a file")
	}
	mbzip(t, dir, nil, "models", "--model", "text-ref-v7").fails(t, "--model without --export", 2, "--export")
}
