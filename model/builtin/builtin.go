// Package builtin is the registry of the models that ship with mbzip. A
// .mbz file names the model it was coded with; the decoder finds it here by
// name and checks its fingerprint.
//
// Until a trained prior exists, the only entry is "test-random-v1": the
// "tiny" config with seed 1, UNTRAINED, for tests and plumbing only. It
// compresses nothing well, but it is a real model on the probability path,
// so its weights must never change: files coded with it name it.
package builtin

import (
	"errors"
	"fmt"
	"sync"

	"github.com/mbzip/mbzip/model"
)

// ErrNotFound reports a name that no built-in model has.
var ErrNotFound = errors.New("builtin: no such model")

// Entry describes one built-in model.
type Entry struct {
	Name        string
	Description string
	Untrained   bool                         // random weights: for tests and plumbing only
	Model       func() (*model.Model, error) // builds the model once and returns the shared instance
}

// defaultName is the entry Default returns.
const defaultName = "test-random-v1"

// lazy builds a model on first use and returns the same instance after.
func lazy(build func() (*model.Model, error)) func() (*model.Model, error) {
	var (
		once sync.Once
		m    *model.Model
		err  error
	)
	return func() (*model.Model, error) {
		once.Do(func() { m, err = build() })
		return m, err
	}
}

var entries = []Entry{
	{
		Name:        "test-random-v1",
		Description: `UNTRAINED: "tiny" MEGABYTE config with random weights (seed 1); for tests and plumbing only, it does not compress`,
		Untrained:   true,
		Model: lazy(func() (*model.Model, error) {
			m, err := model.New(model.Configs["tiny"], 1)
			if err != nil {
				return nil, fmt.Errorf("builtin: test-random-v1: %w", err)
			}
			m.SetName("test-random-v1")
			return m, nil
		}),
	},
}

// List returns the built-in models, the default first.
func List() []Entry { return append([]Entry(nil), entries...) }

// Lookup returns the built-in model called name. The model is shared by all
// callers and must be treated as read-only (no SetName, no writes through
// Params).
func Lookup(name string) (*model.Model, error) {
	for _, e := range entries {
		if e.Name == name {
			return e.Model()
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
}

// Default returns the model used when none is chosen: today the untrained
// "test-random-v1".
func Default() (*model.Model, error) { return Lookup(defaultName) }
