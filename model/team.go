package model

import (
	"runtime"
	"sync/atomic"

	"github.com/mbzip/mbzip/kernels"
)

// team lets the threads of one Batch share every step: each product's
// output columns and the rows' attention are cut into parts (or, for the
// local step, the rows: Batch.localRows), part 0 run by the caller and
// the others by helper goroutines. Decoding a few rows is
// bound by streaming the weights from memory, so that two threads sharing
// the rows of one batch (each streaming half of every weight matrix) beat
// two batches of half the rows (each streaming all of it). Every element is
// computed by the same kernel call as without a team, so the probabilities
// do not change (kernels.LinearCols).
//
// Jobs are handed over through atomics, and the helpers spin between them:
// a step posts a job per product, a few microseconds apart, too often for
// a channel's wake-up. A helper that finds no job for a while sleeps on
// wake.
type team struct {
	parts    int
	posted   atomic.Uint64   // jobs posted so far; the job is job
	finished []atomic.Uint64 // per helper: jobs it has finished
	wake     []chan struct{} // per helper: a token when it may be asleep
	job      func(part int)  // nil with the last post: the helpers exit

	// The arguments of linear's job (linearPart, bound once).
	y, x, bias []float32
	lw         *kernels.LinearWeights
	m          int
	linearJob  func(part int)
}

// A waiting goroutine polls teamBusySpins times without yielding (the
// wait between two products of a step is a few microseconds, and a
// yield costs about one), then yields every 64 polls; a helper that has
// polled teamSpins times sleeps.
const (
	teamBusySpins = 1 << 12
	teamSpins     = 1 << 16
)

// newTeam starts parts−1 helper goroutines; close stops them.
func newTeam(parts int) *team {
	t := &team{
		parts:    parts,
		finished: make([]atomic.Uint64, parts-1),
		wake:     make([]chan struct{}, parts-1),
	}
	t.linearJob = t.linearPart
	for h := range parts - 1 {
		t.wake[h] = make(chan struct{}, 1)
		go t.help(h)
	}
	return t
}

// help is helper h's loop: it runs part h+1 of every posted job.
func (t *team) help(h int) {
	for seen := uint64(1); ; seen++ {
		for spins := 0; t.posted.Load() < seen; spins++ {
			switch {
			case spins >= teamSpins:
				<-t.wake[h] // perhaps an old token: the loop looks again
				spins = 0
			case spins >= teamBusySpins && spins%64 == 63:
				runtime.Gosched()
			}
		}
		job := t.job
		if job != nil {
			job(h + 1)
		}
		t.finished[h].Store(seen)
		if job == nil {
			return
		}
	}
}

// run runs job(part) for every part, part 0 on the calling goroutine, and
// returns when all are done.
func (t *team) run(job func(part int)) {
	t.job = job
	n := t.posted.Add(1)
	for _, w := range t.wake {
		select {
		case w <- struct{}{}:
		default:
		}
	}
	if job != nil {
		job(0)
	}
	for h := range t.finished {
		for spins := 0; t.finished[h].Load() < n; spins++ {
			if spins >= teamBusySpins && spins%64 == 63 {
				runtime.Gosched()
			}
		}
	}
}

// close stops the helpers. The team must not be used after.
func (t *team) close() { t.run(nil) }

// span returns part's share [lo, hi) of n items.
func (t *team) span(n, part int) (lo, hi int) {
	return n * part / t.parts, n * (part + 1) / t.parts
}

// linear is lw.Linear(y, x, bias, m) with the output columns cut into the
// team's parts.
func (t *team) linear(y, x []float32, lw *kernels.LinearWeights, bias []float32, m int) {
	t.y, t.x, t.lw, t.bias, t.m = y, x, lw, bias, m
	t.run(t.linearJob)
}

func (t *team) linearPart(part int) {
	j0, j1 := t.span(t.lw.Out, part)
	if t.lw.Out%32 == 0 {
		// Cuts at whole 32-column blocks, which the binary16 panels take.
		j0, j1 = j0&^31, j1&^31
		if part == t.parts-1 {
			j1 = t.lw.Out
		}
	}
	t.lw.LinearCols(t.y, t.x, t.bias, t.m, j0, j1)
}
