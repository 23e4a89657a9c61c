//go:build !mbzip_nobuiltin

package builtin

import _ "embed"

//go:embed text-ref-v1.safetensors
var textRefV1 []byte

//go:embed text-ref-v2.safetensors
var textRefV2 []byte

//go:embed text-ref-v3.safetensors
var textRefV3 []byte

//go:embed text-ref-v4.safetensors
var textRefV4 []byte

//go:embed text-ref-v5.safetensors
var textRefV5 []byte

//go:embed text-ref-v6.safetensors
var textRefV6 []byte

//go:embed text-ref-v7.safetensors
var textRefV7 []byte

//go:embed text-wide-v1.safetensors
var textWideV1 []byte
