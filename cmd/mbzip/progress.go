package main

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress is the bar of one file on standard error. The zero value (and a
// nil *progress) shows nothing: the bar appears only when standard error is
// a terminal and -q is not given, so logs and pipes never see it.
type progress struct {
	bar *progressbar.ProgressBar
}

// newProgress starts a bar over total input bytes (-1: unknown, a spinner).
func newProgress(o *fileOptions, name string, total int64) *progress {
	if o.quiet || !isTerminal(os.Stderr) {
		return nil
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(displayName(name, true)),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	return &progress{bar: bar}
}

// reader counts what is read through r on the bar. The codec consumes its
// input as it codes (a few segments ahead at most), so input bytes read is
// a fair measure of work done in both directions.
func (p *progress) reader(r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	pr := progressbar.NewReader(r, p.bar)
	return &pr
}

// clear removes the bar from the terminal.
func (p *progress) clear() {
	if p == nil {
		return
	}
	_ = p.bar.Finish()
	_ = p.bar.Clear()
}
