//go:build !purego

package main

// buildTags are the tags TestMain builds the binary under test with
// (purego_test.go sets them under -tags purego).
var buildTags []string
