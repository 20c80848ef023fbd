package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// Scenario names. Topic names match examples/wordcount and the Java
// reference (java/), with a per-run prefix.
const (
	scenWordCount = "wordcount"
	scenStateless = "stateless"

	inputTopic   = "text-lines"
	outputTopic  = "word-counts-output"
	statelessOut = "text-upper"
	wordStore    = "word-counts"
)

// javaTopology names the Java reference topology for a scenario; "" when
// the reference jar has none (stateless filter/map).
func javaTopology(scenario string) string {
	if scenario == scenWordCount {
		return "wordcount"
	}
	return ""
}

func outTopic(scenario string) string {
	if scenario == scenStateless {
		return statelessOut
	}
	return outputTopic
}

// words is examples/wordcount.Words (a main package, so repeated here as
// integration/ does): Java's toLowerCase(Locale.ROOT).split("\\s+").
func words(line string) []string {
	return strings.FieldsFunc(lowerRoot(line), func(r rune) bool {
		switch r {
		case ' ', '\t', '\n', '\v', '\f', '\r':
			return true
		}
		return false
	})
}

func lowerRoot(s string) string {
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range rs {
		switch {
		case r == 'İ':
			b.WriteString("i\u0307")
		case r == 'Σ' && i > 0 && unicode.IsLetter(rs[i-1]) && (i+1 == len(rs) || !unicode.IsLetter(rs[i+1])):
			b.WriteRune('ς')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// keepLine and upper are the stateless scenario: drop short lines, upper-case
// the rest.
func keepLine(line string) bool { return len(line) >= 12 }
func upper(line string) string  { return strings.ToUpper(line) }

// topology builds the Eddy topology of a scenario with prefixed user topics.
func topology(scenario, prefix string) (*stream.Topology, error) {
	b := stream.NewBuilder()
	in := b.Stream(prefix+inputTopic, serde.String(), serde.String())
	switch scenario {
	case scenWordCount:
		in.FlatMapValues(words).
			GroupBy(func(_, word string) string { return word }, serde.String()).
			Count(table.Named(wordStore)).
			ToStream().
			To(prefix+outputTopic, serde.String(), serde.Int64())
	case scenStateless:
		in.Filter(func(_, v string) bool { return keepLine(v) }).
			MapValues(upper).
			To(prefix+statelessOut, serde.String(), serde.String())
	default:
		return nil, fmt.Errorf("unknown scenario %q", scenario)
	}
	return b.Build()
}

// corpus returns n deterministic text lines of 1–6 words from a vocabulary
// of vocab words, in mixed case; the same seed gives the same bytes.
func corpus(n, vocab int, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([][]byte, n)
	for i := range out {
		var b strings.Builder
		for j := range 1 + rng.IntN(6) {
			if j > 0 {
				b.WriteByte(' ')
			}
			w := fmt.Sprintf("w%d", rng.IntN(vocab))
			if rng.IntN(3) == 0 {
				w = strings.ToUpper(w)
			}
			b.WriteString(w)
		}
		out[i] = []byte(b.String())
	}
	return out
}

// expectedOutput is the number of output records a scenario must produce
// without a record cache: one count update per word, or one line per kept line.
func expectedOutput(scenario string, lines [][]byte) int64 {
	var n int64
	for _, l := range lines {
		if scenario == scenWordCount {
			n += int64(len(words(string(l))))
		} else if keepLine(string(l)) {
			n++
		}
	}
	return n
}
