// Package builtin is the registry of the models that ship with mbzip. A
// .mbz file names the model it was coded with; the decoder finds it here by
// name and checks its fingerprint.
//
// Entries:
//   - "text-wide-v1-f16": text-wide-v1-h16 with the local blocks' and the
//     output head's Linear weights in binary16 too (model.Model.HalfLinears),
//     so that the weights a decoder runs every byte fit in a 1 MiB L2
//     (decompression about 5 % faster; the code as long to the byte on 256
//     KB). It is the default for text and bytes.
//   - "text-wide-v1-h16": text-wide-v1 with its global transformer in
//     binary16 (model.Model.HalfGlobal): the global blocks' Linear weights
//     and the attention's keys and values rounded to binary16, which halves
//     what a decoder reads from memory every patch (decompression about 15 %
//     faster; the code as long to a few bytes in 80 KB); kept so that files
//     coded with it still decode.
//   - "text-wide-v1": the text prior, the "wide" config (P = 8, global 4 × 256
//     with MLPs of 1280, local 2 × 96, 2048-byte window): text-ref-v7 grown
//     with `mbzip train --init text-ref-v7 --config wide` and trained further
//     on ../shared/corpus/train/text and Debian documentation text, English
//     books weighted ×6 (see README "Built-in models" for the runs); kept so
//     that files coded with it still decode.
//   - "text-ref-v7-f16": text-ref-v7 with every block's and the head's
//     Linear weights in binary16 (the "ref" configuration of the speed
//     figures).
//   - "text-ref-v7-h16": text-ref-v7 with its global transformer in
//     binary16; kept so that files coded with it still decode.
//   - "text-ref-v7": the "ref" config (global MLPs of 1024): text-ref-v6
//     trained further, English books weighted ×6; kept so that files coded
//     with it still decode.
//   - "text-ref-v6": text-ref-v5 trained further, English books weighted ×3;
//     kept so that files coded with it still decode.
//   - "text-ref-v5": text-ref-v4 trained further, English books weighted ×3;
//     kept so that files coded with it still decode.
//   - "text-ref-v4": text-ref-v3 trained further on train/text and Debian
//     documentation; kept so that files coded with it still decode.
//   - "text-ref-v3": text-ref-v2 trained further; kept so that files coded
//     with it still decode.
//   - "text-ref-v2": text-ref-v1 trained further; kept so that files coded
//     with it still decode.
//   - "text-ref-v1": the first text prior (same config, 1268 steps); kept so
//     that files coded with it still decode.
//   - "test-random-v1": the "tiny" config with seed 1, UNTRAINED, for tests
//     and plumbing only.
//
// A model's weights must never change once shipped: files coded with it name
// it. A better model ships under a new name.
package builtin

import (
	"encoding/hex"
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
	Modalities  []string                     // modalities (modalities.Kind names) it is the default for
	Model       func() (*model.Model, error) // builds the model once and returns the shared instance
}

// defaultName is the entry Default returns, and DefaultFor's fallback.
const defaultName = "text-wide-v1-f16"

// ErrNotBuiltIn reports a built-in model left out of this binary (the
// mbzip_nobuiltin build tag, for slim training binaries).
var ErrNotBuiltIn = errors.New("builtin: model weights not compiled into this binary (built with -tags mbzip_nobuiltin)")

// lazy builds a model on first use and returns the same instance after.
// fingerprint is the model's recorded fingerprint in hex (TestTextModelsPinned
// and TestTestRandomPinned check it against the weights), which Fingerprint
// returns without hashing; a malformed one stops the program at start.
func lazy(fingerprint string, build func() (*model.Model, error)) func() (*model.Model, error) {
	var recorded [32]byte
	b, decodeErr := hex.DecodeString(fingerprint)
	if decodeErr != nil || len(b) != len(recorded) {
		panic(fmt.Sprintf("builtin: recorded fingerprint %q is not 64 hex digits", fingerprint))
	}
	copy(recorded[:], b)
	var (
		once sync.Once
		m    *model.Model
		err  error
	)
	return func() (*model.Model, error) {
		once.Do(func() {
			if m, err = build(); err == nil {
				fingerprints.Store(m, recorded)
			}
		})
		return m, err
	}
}

// fingerprints holds, for each model lazy has built, its recorded
// fingerprint: *model.Model → [32]byte.
var fingerprints sync.Map

// Fingerprint returns m.Fingerprint(): for a built-in model (the shared,
// read-only instances that Lookup, Default and DefaultFor return) the one
// recorded in the registry, which tests check against its weights; for any
// other model, hashed every time. Hashing the weights of a text prior takes
// about 5 ms, a tenth of what starting a decoder takes.
func Fingerprint(m *model.Model) [32]byte {
	if v, ok := fingerprints.Load(m); ok {
		return v.([32]byte)
	}
	return m.Fingerprint()
}

// load reads the weights an embed file holds (nil in a -tags
// mbzip_nobuiltin binary) as the model called name. The file's recorded
// fingerprint is trusted, not recomputed: the pinning tests check it.
func load(name string, weights []byte) (*model.Model, error) {
	if weights == nil {
		return nil, fmt.Errorf("%s: %w", name, ErrNotBuiltIn)
	}
	m, err := model.Load(weights, model.SkipFingerprintCheck())
	if err != nil {
		return nil, fmt.Errorf("builtin: %s: %w", name, err)
	}
	m.SetName(name)
	return m, nil
}

// embedded returns the model of an embed file's weights, called name, with
// the given fingerprint, built once.
func embedded(name, fingerprint string, weights []byte) func() (*model.Model, error) {
	return lazy(fingerprint, func() (*model.Model, error) { return load(name, weights) })
}

// half16 returns the model of an embedded entry's weights with its global
// transformer in binary16 (model.Model.HalfGlobal): another model, with
// its own name and fingerprint, and no weights of its own to ship.
func half16(name, fingerprint string, weights []byte) func() (*model.Model, error) {
	return rounded(name, fingerprint, weights, (*model.Model).HalfGlobal)
}

// half16All is half16 with every block's and the head's Linear weights in
// binary16 (model.Model.HalfLinears).
func half16All(name, fingerprint string, weights []byte) func() (*model.Model, error) {
	return rounded(name, fingerprint, weights, (*model.Model).HalfLinears)
}

// rounded returns the model of an embedded entry's weights after round,
// which rounds some of them to binary16.
func rounded(name, fingerprint string, weights []byte, round func(*model.Model)) func() (*model.Model, error) {
	return lazy(fingerprint, func() (*model.Model, error) {
		m, err := load(name, weights)
		if err != nil {
			return nil, err
		}
		round(m)
		return m, nil
	})
}

var entries = []Entry{
	{
		Name: "text-wide-v1-f16",
		Description: "text prior: text-wide-v1 with every block's and the output head's weights, and the global keys " +
			"and values, rounded to binary16, which halves what the decoder reads per patch and per byte; " +
			"the same code length to 0.01 %",
		Modalities: []string{"text", "bytes"},
		Model: half16All("text-wide-v1-f16",
			"290d59b1dd463ed4ade796b289dd9de5968cc6bae7231a9d2449ed92172527d1",
			textWideV1),
	},
	{
		Name: "text-wide-v1-h16",
		Description: "text-wide-v1 with its global transformer's weights, keys and values rounded to binary16; " +
			"superseded by text-wide-v1-f16, kept to decode older files",
		Model: half16("text-wide-v1-h16",
			"a2b1d077b2adf332e6a98149b8976f99aa152ca3226b4f90269a9dc2c6a73cb3",
			textWideV1),
	},
	{
		Name: "text-wide-v1",
		Description: "text prior: text-ref-v7 grown to global MLPs of 1280 and trained 6131 more steps × 32 windows " +
			"(1631 MB in all) on train/text and Debian docs, English books ×6; validation 2.35 bits/byte; " +
			"superseded by text-wide-v1-h16, kept to decode older files",
		Model: embedded("text-wide-v1",
			"ec4d6ddfac00064584962dc3d8a1907089cf7290dab45a004e0292404e51fa16",
			textWideV1),
	},
	{
		Name: "text-ref-v7-f16",
		Description: "text-ref-v7 with every block's and the output head's weights, and the global keys and values, " +
			"rounded to binary16; the reference configuration of the speed figures",
		Model: half16All("text-ref-v7-f16",
			"832d37afc1c59fff333e6ee4c0380e1fe460975cef6c075d86145e1f41e08904",
			textRefV7),
	},
	{
		Name: "text-ref-v7-h16",
		Description: "text-ref-v7 with its global transformer's weights, keys and values rounded to binary16; " +
			"superseded by text-ref-v7-f16, kept to decode older files",
		Model: half16("text-ref-v7-h16",
			"208a167695265a394ab7e18dc1de60e4775ab470fa01d30106c387619e7f9e7e",
			textRefV7),
	},
	{
		Name: "text-ref-v7",
		Description: "text prior: text-ref-v6 trained 3300 more steps × 32 windows (1229 MB in all) on train/text " +
			"and Debian docs, English books ×6; validation 2.36 bits/byte; superseded by text-wide-v1, kept to decode older files",
		Model: embedded("text-ref-v7",
			"2b49b45875ac93c18f71082fa6313484c42845085c2400166a83f4c6f48ee9dc",
			textRefV7),
	},
	{
		Name: "text-ref-v6",
		Description: "text prior: text-ref-v5 trained 4358 more steps × 32 windows (1013 MB in all) on train/text " +
			"and Debian docs, English books ×3; validation 2.36 bits/byte; superseded by text-ref-v7, kept to decode older files",
		Model: embedded("text-ref-v6",
			"08c55848265de1b95f2a9cd3174b8f99c6bcd7ee9391e952ec7efdadfab0736f",
			textRefV6),
	},
	{
		Name: "text-ref-v5",
		Description: "text prior: text-ref-v4 trained 3300 more steps × 32 windows (727 MB in all) on train/text " +
			"and Debian docs, English books ×3; validation 2.39 bits/byte; superseded by text-ref-v6, kept to decode older files",
		Model: embedded("text-ref-v5",
			"b8001b3705e5388a8c0dd10e2fba2d66951359d87c76cfcfa230221fd90a318f",
			textRefV5),
	},
	{
		Name: "text-ref-v4",
		Description: "text prior: text-ref-v3 trained 2820 more steps × 32 windows (511 MB in all) on train/text " +
			"and Debian docs; validation 2.42 bits/byte; superseded by text-ref-v5, kept to decode older files",
		Model: embedded("text-ref-v4",
			"4d36777e90fb8f0dc0805dc4ac67b27a1852b22c0dfb7c455baf4c6289c2f8fc",
			textRefV4),
	},
	{
		Name: "text-ref-v3",
		Description: "text prior: text-ref-v2 trained 2700 more steps × 32 windows (326 MB in all) on train/text; " +
			"validation 2.50 bits/byte; superseded by text-ref-v4, kept to decode older files",
		Model: embedded("text-ref-v3",
			"93aa5d649d6f6cd3ce463531efeaa80baf73d2afd6d42058ae5109f1d5312def",
			textRefV3),
	},
	{
		Name: "text-ref-v2",
		Description: "text prior: text-ref-v1 trained 1007 more steps × 32 windows (149 MB in all) on train/text; " +
			"validation 2.64 bits/byte; superseded by text-ref-v3, kept to decode older files",
		Model: embedded("text-ref-v2",
			"24fbafafac47e134d01e95d27c7029b314a3e8bcc01016a11db30226cda952ec",
			textRefV2),
	},
	{
		Name: "text-ref-v1",
		Description: "text prior: MEGABYTE \"ref\" config trained 1268 steps × 32 windows (83 MB) on train/text; " +
			"validation 2.96 bits/byte; superseded by text-ref-v2, kept to decode older files",
		Model: embedded("text-ref-v1",
			"297a8c2b2d4441dfe9d29edd1e09428306e3040a0c083814b0e323fe904767dd",
			textRefV1),
	},
	{
		Name:        "test-random-v1",
		Description: `UNTRAINED: "tiny" MEGABYTE config with random weights (seed 1); for tests and plumbing only, it does not compress`,
		Untrained:   true,
		Model: lazy("c166d4b41893a364f7cbb3b263f2ecfe172491016a261ab71a360fe74d6c9449", func() (*model.Model, error) {
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

// Default returns the model used when neither a model nor a modality is
// known: the text prior "text-wide-v1-h16".
func Default() (*model.Model, error) { return Lookup(defaultName) }

// DefaultFor returns the built-in model for a modality (a modalities.Kind
// name such as "text"), or Default when no entry claims it.
func DefaultFor(modality string) (*model.Model, error) {
	for _, e := range entries {
		for _, k := range e.Modalities {
			if k == modality {
				return e.Model()
			}
		}
	}
	return Default()
}
