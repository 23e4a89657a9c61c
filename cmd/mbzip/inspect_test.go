package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "notes.txt"), []byte("Notes <b>& \"quotes\"</b>\r\nline two\n"))
	writeFile(t, filepath.Join(dir, "img.png"), append([]byte("\x89PNG\r\n\x1a\n"), randomBytes(500, 5)...))
	r := mbzip(t, dir, nil, "inspect", "--model", "test-random-v1", "--heatmap", "notes.html", "notes.txt").ok(t, "inspect --heatmap")
	for _, want := range []string{"modality        text", "test-random-v1", "cross-entropy", "heatmap         notes.html"} {
		if !strings.Contains(string(r.stdout), want) {
			t.Errorf("inspect output lacks %q:\n%s", want, r.stdout)
		}
	}
	page := string(readFile(t, filepath.Join(dir, "notes.html")))
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.Contains(page, "&lt;b&gt;&amp;") || strings.Contains(page, "<b>&") {
		t.Errorf("heatmap page:\n%s", page)
	}
	mbzip(t, dir, nil, "inspect", "--model", "test-random-v1", "--heatmap", "notes.html", "notes.txt").fails(t, "overwrite", 1, "exists")
	mbzip(t, dir, nil, "inspect", "-f", "--model", "test-random-v1", "--heatmap", "notes.html", "notes.txt").ok(t, "inspect -f")

	// Per-pixel heatmaps are pending: said before any work, nothing written.
	mbzip(t, dir, nil, "inspect", "--model", "test-random-v1", "--heatmap", "img-heat.png", "img.png").fails(t, "png heatmap", 1, "pending")
	if exists(filepath.Join(dir, "img-heat.png")) {
		t.Error("a pending heatmap left a file")
	}
	// Other data gets a hex dump; without --heatmap only the summary.
	mbzip(t, dir, nil, "inspect", "--model", "test-random-v1", "--heatmap", "img.html", "img.png").ok(t, "inspect bytes")
	if page := string(readFile(t, filepath.Join(dir, "img.html"))); !strings.Contains(page, "00000000  ") {
		t.Error("the heatmap of binary data is not a hex dump")
	}
	r = mbzip(t, dir, nil, "inspect", "--model", "test-random-v1", "img.png").ok(t, "inspect")
	if !strings.Contains(string(r.stdout), "modality        bytes") || strings.Contains(string(r.stdout), "heatmap") {
		t.Errorf("inspect without --heatmap:\n%s", r.stdout)
	}
	mbzip(t, dir, nil, "inspect", "missing.txt").fails(t, "missing file", 1, "no such file")
	sameDir(t, dir, "img.html", "img.png", "notes.html", "notes.txt")
}
