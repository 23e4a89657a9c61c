package kernels

// The amd64 assembly (kernels_amd64.s), its Go declarations
// (kernels_stubs_amd64.go) and the table of micro-kernels
// (kernels_table_amd64.go) are generated with avo by the separate module in
// _asm, which needs the Go module proxy the first time:
//
//	go generate ./kernels

//go:generate sh -c "cd _asm && go run . -out ../kernels_amd64.s -stubs ../kernels_stubs_amd64.go -pkg kernels -table ../kernels_table_amd64.go"
