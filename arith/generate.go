package arith

// The amd64 assembly of Quantize's common case (quantize_amd64.s) and its Go
// declaration (quantize_stubs_amd64.go) are generated with avo by the
// generator module of package kernels (kernels/_asm, -set arith):
//
//	go generate ./arith

//go:generate sh -c "cd ../kernels/_asm && go run . -set arith -out ../../arith/quantize_amd64.s -stubs ../../arith/quantize_stubs_amd64.go -pkg arith"
