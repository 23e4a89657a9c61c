//go:build purego

package main

// buildTags are the tags TestMain builds the binary under test with: with
// -tags purego the binary runs the pure-Go kernels, as the tests do.
var buildTags = []string{"-tags", "purego"}
