//go:build mbzip_nobuiltin

package builtin

// Without the weights: a slim binary for training machines, where the
// working tree and the carried files must stay small. Only `mbzip train`
// (with --init FILE or a new config) is meant to run from it.
var textRefV1 []byte
var textRefV2 []byte
var textRefV3 []byte
var textRefV4 []byte
var textRefV5 []byte
var textRefV6 []byte
var textRefV7 []byte
var textWideV1 []byte
