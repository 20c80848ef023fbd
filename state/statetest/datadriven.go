// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package statetest

import (
	"embed"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/cockroachdb/datadriven"

	"github.com/eddy-streams/eddy/state"
)

// The files in testdata/ are scripts of cases in the format of
// github.com/cockroachdb/datadriven: a command line with arguments, optional
// input lines, a "----" line and the expected output, ending at a blank
// line:
//
//	put store=s
//	a 1
//	b 2
//	----
//	ok
//
// Keys and values are words, or Go-quoted strings for bytes that are not
// printable; <nil> is a nil value. Arguments (name=value) are split at
// spaces, so their values are single words or Go-quoted strings without
// spaces (an opening parenthesis would start a list of values). Lines
// starting with # are comments. A file whose first line is "# requires
// persistent" runs only for persistent backends. The commands are listed in
// (*script).run.
//
// The files are embedded, so that the suite runs from any backend's package
// directory.
//
//go:embed testdata/*.txt
var testdata embed.FS

func runDataDriven(t *testing.T, cfg Config) {
	files, err := fs.Glob(testdata, "testdata/*.txt")
	noErr(t, err)
	for _, name := range files {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(name, "testdata/"), ".txt"), func(t *testing.T) {
			data, err := testdata.ReadFile(name)
			noErr(t, err)
			if strings.HasPrefix(string(data), "# requires persistent") && !cfg.Persistent {
				t.Skip("backend is not persistent")
			}
			sc := &script{e: newEnv(t, cfg), windows: map[string]state.WindowOptions{}}
			datadriven.RunTestFromString(t, string(data), func(t *testing.T, d *datadriven.TestData) string {
				return sc.run(d)
			})
		})
	}
}

// script runs cases against one backend.
type script struct {
	e       *env
	windows map[string]state.WindowOptions // options of opened window stores
	// versioned holds the options of opened versioned stores.
	versioned map[string]state.VersionedOptions
}

// words splits a line into words and Go-quoted strings.
func words(line string) ([]string, error) {
	var out []string
	for line = strings.TrimSpace(line); line != ""; line = strings.TrimSpace(line) {
		if line[0] == '"' {
			q, err := strconv.QuotedPrefix(line)
			if err != nil {
				return nil, err
			}
			s, _ := strconv.Unquote(q)
			out = append(out, s)
			line = line[len(q):]
			continue
		}
		i := strings.IndexFunc(line, unicode.IsSpace)
		if i < 0 {
			i = len(line)
		}
		out = append(out, line[:i])
		line = line[i:]
	}
	return out, nil
}

// bytesOf decodes a word; "<nil>" is nil.
func bytesOf(w string) []byte {
	if w == "<nil>" {
		return nil
	}
	return []byte(w)
}

func fmtBytes(b []byte) string {
	if b == nil {
		return "<nil>"
	}
	s := string(b)
	if s == "" || !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsGraphic(r) || unicode.IsSpace(r) || r == '"' }) {
		return strconv.Quote(s)
	}
	return s
}

// arg returns the value of argument name, "" if it has none.
func arg(d *datadriven.TestData, name string) (string, bool) {
	a, ok := d.Arg(name)
	if !ok {
		return "", false
	}
	switch len(a.Vals) {
	case 0:
		return "", true
	case 1:
		return a.Vals[0], true
	}
	panic(fmt.Sprintf("argument %s has %d values, want one", name, len(a.Vals)))
}

// argBytes returns the bytes of argument name, a word or a Go-quoted string;
// nil if it is missing.
func argBytes(d *datadriven.TestData, name string) []byte {
	v, ok := arg(d, name)
	if !ok {
		return nil
	}
	ws, err := words(v)
	if err != nil || len(ws) != 1 {
		return []byte(v)
	}
	return []byte(ws[0])
}

func argInt(d *datadriven.TestData, name string, def int64) int64 {
	v, ok := arg(d, name)
	if !ok {
		return def
	}
	switch v {
	case "min":
		return math.MinInt64
	case "max":
		return math.MaxInt64
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		panic(fmt.Sprintf("bad %s=%s", name, v))
	}
	return n
}

// run runs one case and returns its output; a panic is output too.
func (sc *script) run(d *datadriven.TestData) (out string) {
	defer func() {
		if r := recover(); r != nil {
			out = fmt.Sprint("panic: ", r)
		}
	}()
	var lines []string
	emit := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	fail := func(err error) string { return "error: " + err.Error() }
	var inputs [][]string
	if d.Input != "" {
		for l := range strings.SplitSeq(d.Input, "\n") {
			ws, err := words(l)
			if err != nil {
				return fail(err)
			}
			inputs = append(inputs, ws)
		}
	}
	store, _ := arg(d, "store")
	kv := func() state.KeyValueStore {
		s, err := sc.e.b.KeyValue(store)
		if err != nil {
			panic(err)
		}
		return s
	}
	win := func() state.WindowStore {
		opts, ok := sc.windows[store]
		if !ok {
			panic("window store " + store + " not declared")
		}
		w, err := sc.e.b.Window(store, opts)
		if err != nil {
			panic(err)
		}
		return w
	}
	kvs := func(seq func(yield func(state.KeyValue, error) bool)) string {
		for kv, err := range seq {
			if err != nil {
				return fail(err)
			}
			emit("%s %s", fmtBytes(kv.Key), fmtBytes(kv.Value))
		}
		if len(lines) == 0 {
			return "<empty>"
		}
		return strings.Join(lines, "\n")
	}
	wes := func(seq func(yield func(state.WindowEntry, error) bool)) string {
		for we, err := range seq {
			if err != nil {
				return fail(err)
			}
			emit("%s %d %s", fmtBytes(we.Key), we.WindowStart, fmtBytes(we.Value))
		}
		if len(lines) == 0 {
			return "<empty>"
		}
		return strings.Join(lines, "\n")
	}
	bound := func(name string) []byte { return argBytes(d, name) }
	reverse := d.HasArg("reverse")

	switch d.Cmd {
	case "put":
		s := kv()
		for _, in := range inputs {
			if err := s.Put(bytesOf(in[0]), bytesOf(in[1])); err != nil {
				return fail(err)
			}
		}
		return "ok"
	case "delete":
		s := kv()
		for _, in := range inputs {
			if err := s.Delete(bytesOf(in[0])); err != nil {
				return fail(err)
			}
		}
		return "ok"
	case "get":
		s := kv()
		for _, in := range inputs {
			v, err := s.Get(bytesOf(in[0]))
			if err != nil {
				return fail(err)
			}
			emit("%s %s", fmtBytes(bytesOf(in[0])), fmtBytes(v))
		}
		return strings.Join(lines, "\n")
	case "range":
		if reverse {
			return kvs(kv().ReverseRange(bound("from"), bound("to")))
		}
		return kvs(kv().Range(bound("from"), bound("to")))
	case "prefix":
		return kvs(kv().PrefixScan(argBytes(d, "p")))
	case "all":
		return kvs(kv().All())
	case "count":
		n, err := kv().ApproximateNumEntries()
		if err != nil {
			return fail(err)
		}
		return fmt.Sprint(n)
	case "window":
		sc.windows[store] = state.WindowOptions{
			Retention:        argInt(d, "retention", 0),
			SegmentInterval:  argInt(d, "segment", 0),
			RetainDuplicates: d.HasArg("dup"),
		}
		win()
		return "ok"
	case "wput":
		w := win()
		for _, in := range inputs {
			start, err := strconv.ParseInt(in[1], 10, 64)
			if err != nil {
				return fail(err)
			}
			if err := w.Put(bytesOf(in[0]), start, bytesOf(in[2])); err != nil {
				return fail(err)
			}
		}
		return "ok"
	case "wfetch":
		w := win()
		for _, in := range inputs {
			start, err := strconv.ParseInt(in[1], 10, 64)
			if err != nil {
				return fail(err)
			}
			v, err := w.Fetch(bytesOf(in[0]), start)
			if err != nil {
				return fail(err)
			}
			emit("%s %d %s", fmtBytes(bytesOf(in[0])), start, fmtBytes(v))
		}
		return strings.Join(lines, "\n")
	case "wrange":
		w := win()
		key, from, to := argBytes(d, "key"), argInt(d, "from", math.MinInt64), argInt(d, "to", math.MaxInt64)
		if reverse {
			return wes(w.BackwardFetchRange(key, from, to))
		}
		return wes(w.FetchRange(key, from, to))
	case "wkeyrange":
		return wes(win().FetchKeyRange(bound("kfrom"), bound("kto"), argInt(d, "from", math.MinInt64), argInt(d, "to", math.MaxInt64)))
	case "wall":
		return wes(win().All())
	case "observed":
		t := win().ObservedTime()
		if t == state.MinTime {
			return "min"
		}
		return fmt.Sprint(t)
	case "commit":
		offs := map[string]int64{}
		for _, in := range inputs {
			n, err := strconv.ParseInt(in[1], 10, 64)
			if err != nil {
				return fail(err)
			}
			offs[in[0]] = n
		}
		if err := sc.e.b.Commit(offs); err != nil {
			return fail(err)
		}
		return "ok"
	case "abort":
		if err := sc.e.b.Abort(); err != nil {
			return fail(err)
		}
		return "ok"
	case "offsets":
		offs, err := sc.e.b.Offsets()
		if err != nil {
			return fail(err)
		}
		if len(offs) == 0 {
			return "<empty>"
		}
		var keys []string
		for k := range offs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			emit("%s %d", k, offs[k])
		}
		return strings.Join(lines, "\n")
	case "reopen":
		sc.e.reopen()
		return "ok"
	}
	if out, ok := sc.runVersioned(d, inputs); ok {
		return out
	}
	return "unknown command " + d.Cmd
}
