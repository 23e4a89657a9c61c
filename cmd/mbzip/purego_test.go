//go:build purego

package main

// puregoTests is true when the tests run with -tags purego. The binary they
// run is built without tags all the same (TestMain), with the assembly.
const puregoTests = true
