package corpus

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// MaxWeight bounds a Weight's Times: more would make one folder crowd out
// the rest of a corpus entirely, which is a different corpus, not a mix.
const MaxWeight = 100

// Weight makes the files whose split key (SplitKey: the member path for a
// shard member, the path below its root for a plain file) lies under Prefix
// count Times over in the training windows, as if they were repeated Times
// times in the corpus. It changes the mix of training windows, not what is
// held out: the validation windows stay those of the plain corpus.
type Weight struct {
	Prefix string
	Times  int
}

// String gives the PREFIX=N form ParseWeight reads.
func (w Weight) String() string { return w.Prefix + "=" + strconv.Itoa(w.Times) }

// ParseWeight reads a weight written PREFIX=N, as `mbzip train --weight`
// takes it: gutenberg-en=3 triples the share of the files under
// gutenberg-en/.
func ParseWeight(s string) (Weight, error) {
	i := strings.LastIndexByte(s, '=')
	if i < 0 {
		return Weight{}, fmt.Errorf("weight %q: want PREFIX=N", s)
	}
	prefix := strings.Trim(s[:i], "/")
	if prefix == "" {
		return Weight{}, fmt.Errorf("weight %q: empty prefix", s)
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil || n < 1 || n > MaxWeight {
		return Weight{}, fmt.Errorf("weight %q: N must be a whole number from 1 to %d", s, MaxWeight)
	}
	return Weight{Prefix: prefix, Times: n}, nil
}

// matches reports whether key is Prefix or lies below it.
func (w Weight) matches(key string) bool {
	return key == w.Prefix || strings.HasPrefix(key, w.Prefix+"/")
}

// ApplyWeights sets the Weight of every training file of files from
// weights; where several match a file the last one wins. A weight that
// matches no training file is an error (a misspelt prefix would otherwise
// silently train on the plain mix).
func ApplyWeights(files []File, weights []Weight) error {
	for _, w := range weights {
		if w.Times < 1 || w.Times > MaxWeight {
			return fmt.Errorf("corpus: weight %v: N must be from 1 to %d", w, MaxWeight)
		}
		hit := false
		for i := range files {
			if !files[i].Validation && w.matches(files[i].SplitKey()) {
				files[i].Weight = w.Times
				hit = true
			}
		}
		if !hit {
			return fmt.Errorf("corpus: weight %v matches no training file (prefixes are member paths such as gutenberg-en/…, or paths below a corpus folder)", w)
		}
	}
	return nil
}

// formatWeights and parseWeights keep a run's weights in its checkpoint.
func formatWeights(ws []Weight) string {
	s := make([]string, len(ws))
	for i, w := range ws {
		s[i] = w.String()
	}
	return strings.Join(s, "\n")
}

func parseWeights(s string) ([]Weight, error) {
	if s == "" {
		return nil, nil
	}
	var ws []Weight
	for _, f := range strings.Split(s, "\n") {
		w, err := ParseWeight(f)
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// weightedSpan is one training file seen through its weight: the bytes
// [start, start+n) of the training ring (separator included) occupy
// [virt, virt+times·n) of the virtual ring in which the file is repeated.
type weightedSpan struct {
	start, n, virt uint64
}

// weightedStart maps a point of the virtual ring to the training ring.
func weightedStart(spans []weightedSpan, v uint64) int {
	i := sort.Search(len(spans), func(i int) bool { return spans[i].virt > v }) - 1
	s := spans[i]
	return int(s.start + (v-s.virt)%s.n)
}
