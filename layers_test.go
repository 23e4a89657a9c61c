package mbzip_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// module is the import path prefix of every project package.
const module = "github.com/mbzip/mbzip"

// rooms is the layer table of DESIGN.md §1: for each room (top-level
// folder), the other rooms its packages may import directly. A package may
// also import packages of its own room (model/builtin imports model).
// Transitive imports follow from the direct ones, and are checked as well.
var rooms = map[string][]string{
	"kernels":    {},
	"arith":      {},
	"modalities": {},
	"model":      {"kernels"},
	"mix":        {"arith"},
	"codec":      {"model", "mix", "arith", "modalities"},
	"corpus":     {"modalities", "model", "codec"},
	"serve":      {"kernels", "arith", "modalities", "model", "mix", "codec", "corpus"},
	"cmd":        {"kernels", "arith", "modalities", "model", "mix", "codec", "corpus", "serve"},
	// The module root holds only this test; testdata holds no Go packages.
	"":         {},
	"testdata": {},
}

// goPackage is the part of `go list -json` this test reads.
type goPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Error      *struct{ Err string }
}

// room returns the top-level folder of a project package: "model" for
// github.com/mbzip/mbzip/model/builtin, "cmd" for .../cmd/mbzip.
func room(importPath string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(importPath, module), "/")
	r, _, _ := strings.Cut(rel, "/")
	return r
}

func isProject(importPath string) bool {
	return importPath == module || strings.HasPrefix(importPath, module+"/")
}

// allowedClosure returns every room that room r may reach through imports:
// the rooms it may import directly, theirs, and so on.
func allowedClosure(r string) map[string]bool {
	seen := map[string]bool{r: true}
	stack := []string{r}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, next := range rooms[cur] {
			if !seen[next] {
				seen[next] = true
				stack = append(stack, next)
			}
		}
	}
	return seen
}

// listPackages runs `go list -e -json ./...`: -e so that a package another
// engineer has half written is still listed (its imports are what count).
func listPackages(t *testing.T) []goPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []goPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p goPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestLayers holds the dependency rule of DESIGN.md §1: each package
// imports only from the rooms below it, so a wrong import fails CI rather
// than waiting for a review. Rooms that do not exist yet are simply absent
// from the listing.
func TestLayers(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	seenRooms := map[string]bool{}
	for _, p := range pkgs {
		if !isProject(p.ImportPath) {
			continue
		}
		r := room(p.ImportPath)
		seenRooms[r] = true
		if _, known := rooms[r]; !known {
			t.Errorf("%s: room %q is not in the layer table of DESIGN.md §1; add it there and to this test", p.ImportPath, r)
			continue
		}
		direct := map[string]bool{r: true}
		for _, d := range rooms[r] {
			direct[d] = true
		}
		for _, imp := range p.Imports {
			if isProject(imp) && !direct[room(imp)] {
				t.Errorf("%s imports %s: room %q may import only %v", p.ImportPath, imp, r, rooms[r])
			}
		}
		reach := allowedClosure(r)
		for _, dep := range p.Deps {
			if isProject(dep) && !reach[room(dep)] {
				t.Errorf("%s depends on %s (through its imports): room %q may reach only %v", p.ImportPath, dep, r, keys(reach))
			}
		}
	}
	for _, must := range []string{"kernels", "cmd"} {
		if !seenRooms[must] {
			t.Errorf("go list did not report room %q: is the test running at the module root?", must)
		}
	}
}

// TestLayerTable checks the table itself: no room may reach itself through
// other rooms (a cycle would make "below" meaningless), and the leaves of
// DESIGN.md import nothing.
func TestLayerTable(t *testing.T) {
	for r := range rooms {
		for _, d := range rooms[r] {
			if allowedClosure(d)[r] {
				t.Errorf("rooms %q and %q may import each other", r, d)
			}
		}
	}
	for _, leaf := range []string{"kernels", "arith", "modalities"} {
		if len(rooms[leaf]) != 0 {
			t.Errorf("leaf room %q may import %v", leaf, rooms[leaf])
		}
	}
}

// TestRoom pins the mapping from import path to room.
func TestRoom(t *testing.T) {
	for path, want := range map[string]string{
		module + "/model/builtin": "model",
		module + "/cmd/mbzip":     "cmd",
		module + "/kernels":       "kernels",
		module:                    "",
	} {
		if got := room(path); got != want {
			t.Errorf("room(%q) = %q, want %q", path, got, want)
		}
	}
}

func keys(m map[string]bool) []string {
	var s []string
	for k := range m {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}
