package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mbzip/mbzip/model"
)

// trainCorpusDir writes a small text corpus of many files (so that the
// hash split holds some out for validation) and returns its folder.
func trainCorpusDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "corpus")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	text := textBytes(t, 200*600)
	for i := range 200 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("f%03d.txt", i)), text[i*600:(i+1)*600])
	}
	return dir
}

// tinyTrain is the argument list of a short run of the tiny config.
func tinyTrain(corpus string, extra ...string) []string {
	args := []string{"train", "--corpus", corpus, "--config", "tiny", "--steps", "4", "--batch", "2",
		"--threads", "2", "--warmup", "1", "--val-every", "2", "--val-windows", "2", "--log-every", "1"}
	return append(args, extra...)
}

func TestTrain(t *testing.T) {
	corpus, dir := trainCorpusDir(t), t.TempDir()
	r := mbzip(t, dir, nil, tinyTrain(corpus, "-o", "a.safetensors")...).ok(t, "train")
	for _, want := range []string{"step 1/4", "step 4/4", "val ", "bpb", "/s", "ETA", "wrote a.safetensors", "held out"} {
		if !bytes.Contains(r.stderr, []byte(want)) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if len(r.stdout) != 0 {
		t.Errorf("train wrote to stdout: %q", r.stdout)
	}
	m, err := model.Load(readFile(t, filepath.Join(dir, "a.safetensors")))
	if err != nil {
		t.Fatal(err)
	}
	if m.Cfg != model.Configs["tiny"] || m.Name() != "mbzip-text-tiny" {
		t.Errorf("model: %+v %q", m.Cfg, m.Name())
	}
	if !exists(filepath.Join(dir, "a.safetensors.ckpt")) {
		t.Error("no checkpoint beside the output")
	}
	// The trained model codes files, both ways.
	notes := textBytes(t, 3000)
	writeFile(t, filepath.Join(dir, "notes.txt"), notes)
	mbzip(t, dir, nil, "compress", "-q", "--model", "a.safetensors", "notes.txt").ok(t, "compress with the trained model")
	mbzip(t, dir, nil, "decompress", "-q", "--model", "a.safetensors", "-o", "back.txt", "notes.txt.mbz").ok(t, "decompress")
	if !bytes.Equal(readFile(t, filepath.Join(dir, "back.txt")), notes) {
		t.Error("round trip through the trained model differs")
	}

	// -q: nothing on stderr; an existing output is refused without -f.
	mbzip(t, dir, nil, tinyTrain(corpus, "-o", "a.safetensors")...).fails(t, "existing output", exitFailure, "exists")
	r = mbzip(t, dir, nil, tinyTrain(corpus, "-q", "-f", "-o", "a.safetensors")...).ok(t, "train -q -f")
	if len(r.stderr) != 0 {
		t.Errorf("-q printed:\n%s", r.stderr)
	}
}

// TestTrainResume stops a run with --duration before its first step and
// resumes it: the model must equal that of an uninterrupted run.
func TestTrainResume(t *testing.T) {
	corpus, dir := trainCorpusDir(t), t.TempDir()
	mbzip(t, dir, nil, tinyTrain(corpus, "-q", "-o", "whole.safetensors")...).ok(t, "train")
	r := mbzip(t, dir, nil, tinyTrain(corpus, "--duration", "1ns", "--checkpoint", "run.ckpt", "-o", "part.safetensors")...).ok(t, "train --duration")
	if !bytes.Contains(r.stderr, []byte("stopped after")) || !bytes.Contains(r.stderr, []byte("run.ckpt")) {
		t.Errorf("a run out of time does not say so:\n%s", r.stderr)
	}
	mbzip(t, dir, nil, "train", "--corpus", corpus, "--resume", "run.ckpt", "-q", "-o", "resumed.safetensors").ok(t, "train --resume")
	if !bytes.Equal(readFile(t, filepath.Join(dir, "whole.safetensors")), readFile(t, filepath.Join(dir, "resumed.safetensors"))) {
		t.Error("resumed model differs from the uninterrupted run's")
	}
}

// TestTrainInterrupt sends SIGINT to a long run once it has reported a step:
// it must save its checkpoint, say where, exit 1 and write no model.
func TestTrainInterrupt(t *testing.T) {
	corpus, dir := trainCorpusDir(t), t.TempDir()
	// A run that ignores the signal is killed after two minutes, not left
	// to hang the test binary.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, tinyTrain(corpus, "--steps", "1000000", "--val-windows", "0", "-o", "m.safetensors")...)
	cmd.Dir = dir
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	sc := bufio.NewScanner(stderr)
	signalled := false
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if !signalled && strings.HasPrefix(sc.Text(), "step 1/") {
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			signalled = true
		}
	}
	err = cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !signalled || !ok || ee.ExitCode() != exitFailure {
		t.Fatalf("exit %v, want status %d after SIGINT; stderr:\n%s", err, exitFailure, log.String())
	}
	for _, want := range []string{"checkpoint saved in m.safetensors.ckpt", "resume with: mbzip train --resume m.safetensors.ckpt"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, log.String())
		}
	}
	ck, err := model.LoadCheckpoint(filepath.Join(dir, "m.safetensors.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	if ck.Step < 1 {
		t.Errorf("checkpoint at step %d", ck.Step)
	}
	sameDir(t, dir, "m.safetensors.ckpt")
}

func TestTrainUsage(t *testing.T) {
	corpus, dir := trainCorpusDir(t), t.TempDir()
	evalDir := filepath.Join(t.TempDir(), "eval")
	if err := os.MkdirAll(evalDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(evalDir, "x.txt"), textBytes(t, 1000))
	for _, tc := range []struct {
		args  []string
		code  int
		words []string
	}{
		{[]string{"train", "-o", "x.safetensors"}, exitUsage, []string{"corpus"}},
		{[]string{"train", "--corpus", corpus}, exitUsage, []string{"output"}},
		{[]string{"train", "--corpus", corpus, "--config", "huge", "-o", "x"}, exitUsage, []string{"config"}},
		{[]string{"train", "--corpus", corpus, "--modality", "smell", "-o", "x"}, exitUsage, []string{"modality"}},
		{[]string{"train", "--corpus", corpus, "--batch", "6", "--accum", "4", "-o", "x"}, exitUsage, []string{"accum"}},
		{[]string{"train", "--corpus", corpus, "--steps", "-3", "-o", "x"}, exitUsage, []string{"steps"}},
		{[]string{"train", "--corpus", corpus, "--resume", "r.ckpt", "--config", "tiny", "-o", "x"}, exitUsage, []string{"conflict"}},
		{[]string{"train", "--corpus", corpus, "--resume", "missing.ckpt", "-o", "x"}, exitFailure, []string{"missing.ckpt"}},
		{[]string{"train", "--corpus", corpus, "--init", "m.safetensors", "--config", "huge", "-o", "x"}, exitUsage, []string{"config", "huge"}},
		{[]string{"train", "--corpus", corpus, "--init", "missing.safetensors", "--config", "wide", "-o", "x"}, exitFailure, []string{"missing.safetensors"}},
		{[]string{"train", "--corpus", corpus, "--init", "m.safetensors", "--resume", "r.ckpt", "-o", "x"}, exitUsage, []string{"conflict"}},
		{[]string{"train", "--corpus", corpus, "--init", "missing.safetensors", "-o", "x"}, exitFailure, []string{"missing.safetensors"}},
		{[]string{"train", "--corpus", evalDir, "--config", "tiny", "-o", "x"}, exitFailure, []string{"eval"}},
		{[]string{"train", "--corpus", corpus, "--weight", "f001.txt", "-o", "x"}, exitUsage, []string{"--weight", "PREFIX=N"}},
		{[]string{"train", "--corpus", corpus, "--weight", "f001.txt=0", "-o", "x"}, exitUsage, []string{"--weight", "1 to 100"}},
		{[]string{"train", "--corpus", corpus, "--config", "tiny", "--weight", "nosuch=2", "-o", "x"}, exitFailure, []string{"nosuch=2", "matches no training file"}},
		{[]string{"train", "--corpus", filepath.Join(dir, "nowhere"), "--config", "tiny", "-o", "x"}, exitFailure, []string{"nowhere"}},
	} {
		mbzip(t, dir, nil, tc.args...).fails(t, strings.Join(tc.args, " "), tc.code, tc.words...)
	}
	sameDir(t, dir)

	r := mbzip(t, dir, nil, "train", "--help").ok(t, "train --help")
	for _, want := range []string{"Examples:", "--resume", "--duration", "Ctrl-C", "--weight PREFIX=N"} {
		if !bytes.Contains(r.stdout, []byte(want)) {
			t.Errorf("train --help lacks %q", want)
		}
	}
}
