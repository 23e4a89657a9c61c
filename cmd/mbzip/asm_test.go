//go:build !purego

package main

// puregoTests is true when the tests run with -tags purego (purego_test.go).
const puregoTests = false
